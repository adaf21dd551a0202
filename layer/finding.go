package layer

import (
	"fmt"
	"strings"
)

// Severity says whether a finding stops a build.
type Severity string

const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevNote    Severity = "note"
)

// Finding is one thing the checks noticed about a layer's content.
type Finding struct {
	Severity Severity `json:"severity"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
	// Kind names the finding for the code that acts on it (the message is
	// for people); "" for the findings nothing acts on. Not in the JSON.
	Kind Kind `json:"-"`
}

// Kind is a finding some code acts on.
type Kind string

// UnsafeName is an entry name that could write outside the folder it is
// unpacked into (absolute, climbing out with ..): such a ZIP is never
// unpacked.
const UnsafeName Kind = "unsafe-name"

func (f Finding) String() string { return string(f.Severity) + ": " + f.Message }

// CheckError is a layer whose content would not work on Lambda.
type CheckError struct {
	Layer    string
	Findings []Finding // the errors only
}

func (e *CheckError) Error() string {
	const show = 10
	var b strings.Builder
	fmt.Fprintf(&b, "layer %q would not work on Lambda:", e.Layer)
	for i, f := range e.Findings {
		if i == show {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Findings)-show)
			break
		}
		b.WriteString("\n  " + f.Message)
	}
	return b.String()
}

// Errors are the findings of fs that are errors: those that stop a build.
func Errors(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == SevError {
			out = append(out, f)
		}
	}
	return out
}
