package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Tools runs the package tools a build or a verify needs (python3 with pip
// or uv, npm and node, go) and remembers, for one run of layerctl, what it
// asked them about themselves.
type Tools struct {
	Env []string  // the environment of every tool; nil means this process's
	Log io.Writer // one line per step, for people; nil discards

	mu      sync.Mutex
	logMu   sync.Mutex
	answers map[string]*answer
}

type answer struct {
	once sync.Once
	out  []byte
	err  error
}

func (t *Tools) Environ() []string {
	if t.Env == nil {
		return os.Environ()
	}
	return t.Env
}

// Getenv reads a variable of the tools' environment.
func (t *Tools) Getenv(name string) string {
	env := t.Environ()
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v
		}
	}
	return ""
}

func (t *Tools) Logf(format string, args ...any) {
	if t.Log != nil {
		t.logMu.Lock()
		fmt.Fprintf(t.Log, format+"\n", args...)
		t.logMu.Unlock()
	}
}

// LookPath finds an executable on the tools' PATH.
func (t *Tools) LookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(t.Getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not on PATH", name)
}

// Command is one run of a tool.
type Command struct {
	Tool string   // what it is, for messages: pip, npm, go
	What string   // what for, for messages: "for python3.12 on arm64"
	Dir  string   // working folder
	Note string   // what the working folder is, when it is not the user's
	Args []string // args[0] is the program, as found on PATH
	Env  []string // added to the tools' environment
}

// ToolError is a package tool that failed: the command as run and the
// tool's own last words.
type ToolError struct {
	Layer   string
	Tool    string
	What    string
	Dir     string
	DirNote string // what Dir is, when it is a temporary folder
	Command []string
	Err     error
	Lines   []string // the end of what the tool wrote, stderr first
	Hint    string   // what layerctl knows about this failure, or ""
}

func (e *ToolError) Error() string {
	var b strings.Builder
	if e.Layer != "" {
		fmt.Fprintf(&b, "layer %q: ", e.Layer)
	}
	fmt.Fprintf(&b, "%s failed", e.Tool)
	if e.What != "" {
		b.WriteString(" " + e.What)
	}
	fmt.Fprintf(&b, " (%v)", e.Err)
	fmt.Fprintf(&b, "\n  command: cd %s && %s", shellQuote(e.Dir), shellJoin(e.Command))
	if e.DirNote != "" {
		fmt.Fprintf(&b, "\n  (%s)", e.DirNote)
	}
	if len(e.Lines) > 0 {
		fmt.Fprintf(&b, "\n  %s said:", e.Tool)
		for _, l := range e.Lines {
			b.WriteString("\n    " + l)
		}
	}
	if e.Hint != "" {
		b.WriteString("\n  hint: " + e.Hint)
	}
	return b.String()
}

func (e *ToolError) Unwrap() error { return e.Err }

// toolLines is how much of a failing tool's output an error shows.
const toolLines = 25

// Run runs c and returns its stdout. A tool that cannot be started or that
// fails gives a *ToolError.
func (t *Tools) Run(ctx context.Context, layer string, c Command) ([]byte, error) {
	prog, err := t.LookPath(c.Args[0])
	if err != nil {
		return nil, &ToolError{Layer: layer, Tool: c.Tool, What: c.What, Dir: c.Dir, Command: c.Args, Err: fmt.Errorf("%w: install it, or put it on PATH", err)}
	}
	cmd := exec.CommandContext(ctx, prog, c.Args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(append([]string(nil), t.Environ()...), c.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lines := LastLines(stderr.String(), toolLines)
		if len(lines) < toolLines {
			lines = append(LastLines(stdout.String(), toolLines-len(lines)), lines...)
		}
		return nil, &ToolError{Layer: layer, Tool: c.Tool, What: c.What, Dir: c.Dir, DirNote: c.Note, Command: c.Args, Err: err, Lines: lines}
	}
	return stdout.Bytes(), nil
}

// Ask runs a question to a tool (its version, its configuration) once per
// Tools, however many layers need the answer.
func (t *Tools) Ask(ctx context.Context, c Command) ([]byte, error) {
	k := strings.Join(append(append([]string{c.Dir}, c.Env...), c.Args...), "\x00")
	t.mu.Lock()
	if t.answers == nil {
		t.answers = map[string]*answer{}
	}
	a, ok := t.answers[k]
	if !ok {
		a = &answer{}
		t.answers[k] = a
	}
	t.mu.Unlock()
	a.once.Do(func() { a.out, a.err = t.Run(ctx, "", c) })
	if a.err != nil && errors.Is(a.err, context.Canceled) {
		return nil, a.err
	}
	return a.out, a.err
}

// LastLines returns the last n non-blank lines of s.
func LastLines(s string, n int) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimRight(l, "\r "))
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// EnvWithPrefix lists the tools' environment variables whose names start
// with one of the prefixes (compared without case), sorted: the part of
// the environment that can change what a tool produces.
func (t *Tools) EnvWithPrefix(prefixes ...string) []string {
	var out []string
	for _, kv := range t.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		for _, p := range prefixes {
			if len(k) >= len(p) && strings.EqualFold(k[:len(p)], p) {
				out = append(out, kv)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}
