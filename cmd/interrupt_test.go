package cmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Contexts made from an interrupted run's read "interrupted", and are
// still context.Canceled for errors.Is; a deadline stays a deadline.
func TestInterruptibleContext(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	ctx, stop := interruptibleContext(parent)
	defer stop()
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	timed, cancelTimed := context.WithTimeout(child, time.Hour)
	defer cancelTimed()
	if ctx.Err() != nil || timed.Err() != nil {
		t.Fatal("ended before the interrupt")
	}
	cancel()
	<-timed.Done()
	for _, c := range []context.Context{ctx, child, timed} {
		err := c.Err()
		if err == nil || err.Error() != "interrupted" || !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v", err)
		}
		if cause := context.Cause(c); cause == nil || cause.Error() != "interrupted" {
			t.Errorf("Cause() = %v", cause)
		}
	}

	late, cancelLate := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancelLate()
	ctx2, stop2 := interruptibleContext(late)
	defer stop2()
	<-ctx2.Done()
	if !errors.Is(ctx2.Err(), context.DeadlineExceeded) {
		t.Errorf("a deadline reads %v", ctx2.Err())
	}
}

// What a user sees when Ctrl-C stops a command: "interrupted", never
// "context canceled". verify is stopped while python3 imports a module
// that takes its time; build and publish are stopped at once.
func TestInterruptsSayInterrupted(t *testing.T) {
	testenvNeedPython(t)
	for _, tc := range []struct {
		args  []string
		after time.Duration // the interrupt, after the start; 0: before
	}{
		{[]string{"verify"}, 2 * time.Second},
		{[]string{"build"}, 0},
		{[]string{"publish"}, 0},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			dir := t.TempDir() // each its own: no build cache from the one before
			for name, body := range map[string]string{
				"layerctl.yaml":        "version: 1\nlayers:\n  slow:\n    runtimes: [python3.12]\n    files: [{from: src, to: python}]\n",
				"src/slow/__init__.py": "import time\ntime.sleep(60)\n",
			} {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
				os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.after == 0 {
				cancel()
			} else {
				time.AfterFunc(tc.after, cancel)
			}
			defer cancel()
			var out, errs bytes.Buffer
			f := &Factory{Out: &out, Err: &errs, Getenv: os.Getenv, Now: time.Now}
			start := time.Now()
			code := Execute(ctx, append([]string{"-f", filepath.Join(dir, "layerctl.yaml")}, tc.args...), f)
			if code != ExitFailed {
				t.Errorf("exit code %d", code)
			}
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("took %s to stop", took)
			}
			all := out.String() + errs.String()
			if !strings.Contains(errs.String(), "interrupted") || strings.Contains(all, "context canceled") {
				t.Errorf("stdout:\n%s\nstderr:\n%s", out.String(), errs.String())
			}
		})
	}
}

func testenvNeedPython(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs python3 (run without -short)")
	}
}
