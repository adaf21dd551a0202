package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Pos is a place in a manifest. Line and Column are 1-based; 0 means unknown.
type Pos struct {
	File         string
	Line, Column int
}

// String returns "file:line:col", dropping the parts that are unknown.
func (p Pos) String() string {
	var parts []string
	if p.File != "" {
		parts = append(parts, p.File)
	}
	if p.Line > 0 {
		parts = append(parts, strconv.Itoa(p.Line))
		if p.Column > 0 {
			parts = append(parts, strconv.Itoa(p.Column))
		}
	}
	return strings.Join(parts, ":")
}

// Problem is one thing wrong (or, in Manifest.Warnings, worth a look) in a manifest.
type Problem struct {
	Pos   Pos
	Field string // dotted path such as layers.api.runtimes[1]; empty for the whole file
	Msg   string
}

func (p *Problem) String() string {
	var b strings.Builder
	if pos := p.Pos.String(); pos != "" {
		b.WriteString(pos)
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is every problem found in a manifest, reported at once. The CLI maps it to exit code 2.
type Error struct {
	Problems []*Problem
}

// MaxShownProblems is how many problems Error shows, the first in file
// order; it counts the rest. Fixing the first ones often fixes many more,
// and a screenful is what a person reads.
const MaxShownProblems = 40

func (e *Error) Error() string {
	shown := e.Problems[:min(len(e.Problems), MaxShownProblems)]
	lines := make([]string, len(shown), len(shown)+1)
	for i, p := range shown {
		lines[i] = p.String()
	}
	if more := len(e.Problems) - len(shown); more > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more problems", more))
	}
	return strings.Join(lines, "\n")
}

func newError(problems []*Problem) *Error {
	return &Error{Problems: inFileOrder(problems)}
}

// inFileOrder sorts problems by position, keeping the order in which
// problems at the same position were found, and drops exact repeats (a YAML
// alias used twice would otherwise report its anchor's problems twice).
func inFileOrder(problems []*Problem) []*Problem {
	slices.SortStableFunc(problems, func(a, b *Problem) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
	seen := make(map[string]bool, len(problems))
	out := problems[:0]
	for _, p := range problems {
		if s := p.String(); !seen[s] {
			seen[s] = true
			out = append(out, p)
		}
	}
	return out
}
