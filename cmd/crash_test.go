package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/fakelambda"
)

var internalErrorLine = regexp.MustCompile(`^layerctl: internal error: .+ \(please report it; run with LAYERCTL_DEBUG=1 for the stack\)$`)

// A panic in a command is a bug: one line and exit 1, not a stack dump and
// the exit code of invalid usage. The stack comes with LAYERCTL_DEBUG=1.
func TestPanicInACommandIsOneLine(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "m.py"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "layerctl.yaml"), []byte("version: 1\nlayers:\n  l:\n    runtimes: [python3.12]\n    files: [{from: src, to: python}]\n"), 0o644)
	for _, debug := range []string{"", "1"} {
		t.Run("LAYERCTL_DEBUG="+debug, func(t *testing.T) {
			var out, errs bytes.Buffer
			getenv := func(k string) string {
				switch k {
				case "SOURCE_DATE_EPOCH":
					panic("the build command\nbroke")
				case "LAYERCTL_DEBUG":
					return debug
				}
				return ""
			}
			f := &Factory{Out: &out, Err: &errs, Getenv: getenv, Now: time.Now}
			code := Execute(context.Background(), []string{"-f", filepath.Join(dir, "layerctl.yaml"), "build"}, f)
			if code != ExitFailed {
				t.Fatalf("exit code %d, want 1\nstderr:\n%s", code, errs.String())
			}
			first, rest, _ := strings.Cut(errs.String(), "\n")
			if !internalErrorLine.MatchString(first) || !strings.Contains(first, "the build command broke") {
				t.Errorf("first line %q", first)
			}
			if hasStack := strings.Contains(rest, "goroutine ") && strings.Contains(rest, "panic("); hasStack != (debug == "1") {
				t.Errorf("LAYERCTL_DEBUG=%q, stack shown %v:\n%s", debug, hasStack, rest)
			}
			if debug == "" && rest != "" {
				t.Errorf("more than one line:\n%s", errs.String())
			}
		})
	}
}

// A panic in a worker goroutine (here attach's, while it logs) would end
// the process whatever main does; caught, it ends the run the same way.
func TestPanicInAWorkerIsOneLine(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	v1 := fake.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	v2 := fake.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	for i := range 5 {
		fake.PutFunction(fakelambda.Function{Name: fmt.Sprintf("f%02d", i), Runtime: "python3.12", Layers: []string{v1}})
	}
	// The update of the first function meets a busy function: its worker
	// logs that it waits, and that log line panics.
	fake.Inject("UpdateFunctionConfiguration", fakelambda.Fault{Status: 409, Code: "ResourceConflictException", Message: "busy"})
	dir := projectLockedAt(t, fake, v2)
	var out bytes.Buffer
	errs := &panickyWriter{on: "an update is in progress"}
	f := &Factory{Out: &out, Err: errs, Getenv: func(string) string { return "" }, Now: time.Now}
	code := Execute(context.Background(), []string{"-f", filepath.Join(dir, "layerctl.yaml"), "attach", "--endpoint-url", fake.URL, "--concurrency", "1"}, f)
	if code != ExitFailed {
		t.Fatalf("exit code %d, want 1\nstderr:\n%s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(errs.String()), "\n")
	if last := lines[len(lines)-1]; !internalErrorLine.MatchString(last) || !strings.Contains(last, "internal error: stderr broke") {
		t.Errorf("stderr:\n%s", errs.String())
	}
	if strings.Contains(errs.String(), "goroutine ") {
		t.Errorf("a stack without LAYERCTL_DEBUG:\n%s", errs.String())
	}
}

// panickyWriter panics on a write holding on, as a bug in a worker would.
type panickyWriter struct {
	on string
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *panickyWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(w.on)) {
		panic("stderr broke")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *panickyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
