package layer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/testenv"
)

// panicIn makes the named worker panic on its n-th unit of work (from 1),
// for the rest of the test. Not for parallel tests.
func panicIn(t *testing.T, worker string, n int64) {
	var count atomic.Int64
	t.Cleanup(crash.InjectPanics(func(w string) {
		if w == worker && count.Add(1) == n {
			panic(fmt.Sprintf("injected into %s\nsecond line", w))
		}
	}))
}

// wantCrash checks that err is the worker's panic, carried back as an error
// that says it is a bug.
func wantCrash(t *testing.T, err error, worker string) {
	t.Helper()
	if !crash.Is(err) {
		t.Fatalf("error %v (%T), want a *crash.Error", err, err)
	}
	if want := "internal error: injected into " + worker + " second line"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
}

// A panic in any of a build's worker goroutines fails the build with an
// error, the process lives on, and nothing is left in the output folder.
func TestBuildWorkerPanicIsAnError(t *testing.T) {
	for _, worker := range []string{"zip", "zip producer", "walk", "hash", "content"} {
		t.Run(worker, func(t *testing.T) {
			dir, out := t.TempDir(), t.TempDir()
			testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "src/pkg/core.py": "X = 1\n", "src/pkg/deep/d.py": "", "tool*": "#!/bin/sh\n"})
			aged(t, dir)
			if worker == "hash" {
				// Inputs are hashed up front when the cache may hold the
				// build: a first build, then a changed file.
				if _, err := buildLayer(t, dir, out, cacheLayer(), false); err != nil {
					t.Fatal(err)
				}
				testenv.Tree(t, dir, map[string]string{"src/pkg/core.py": "X = 2\n"})
			}
			before := listDir(t, out)
			panicIn(t, worker, 1)
			_, err := buildLayer(t, dir, out, cacheLayer(), false)
			wantCrash(t, err, worker)
			if after := listDir(t, out); after != before {
				t.Errorf("output folder was\n%s\nis now\n%s", before, after)
			}
		})
	}
}

func listDir(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, "\n")
}

// A panic in an attach worker: no further update starts, the run returns
// the panic as its error, the report still lists every function.
func TestAttachWorkerPanicIsAnError(t *testing.T) {
	e := newAttachEnv(t)
	for i := range 20 {
		e.fn(fmt.Sprintf("f%02d", i), e.a, e.v1)
	}
	// The first "attach" unit resolves the version; the next are functions.
	panicIn(t, "attach", 4)
	opts := e.options()
	opts.Concurrency = 1
	r, err := Attach(context.Background(), []AttachTarget{e.target()}, opts)
	wantCrash(t, err, "attach")
	if r == nil || len(r.Functions) != 20 {
		t.Fatalf("report %+v", r)
	}
	failed := 0
	for _, f := range r.Functions {
		if f.Status == StatusFailed {
			failed++
			if !crash.Is(f.Err) {
				t.Errorf("%s failed with %v", f.Function, f.Err)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d functions failed, want the one whose worker panicked: %s", failed, r.Summary())
	}
	if n := e.fake.Calls("UpdateFunctionConfiguration"); n > 8 {
		t.Errorf("%d updates sent: work went on after the panic", n)
	}
}

// A panic in publish's goroutine for one region fails that region.
func TestPublishRegionPanicIsAnError(t *testing.T) {
	e := newFaultEnv(t)
	art := mustBuild(t, e.dir, e.layer, BuildOptions{OutDir: filepath.Join(e.dir, "dist")})
	targets := []PublishTarget{{Layer: e.layer, Artifact: art, Regions: []string{"us-east-1"}}}
	res := Publish(context.Background(), targets, e.lock, PublishOptions{
		Lambda: func(string) LambdaAPI { return testenv.LambdaAt(e.fake.URL, "us-east-1") },
		Log:    panicWriter{},
		Sleep:  func(context.Context, time.Duration) error { return nil },
	})
	if len(res) != 1 || !crash.Is(res[0].Err) || !strings.Contains(res[0].Err.Error(), "internal error: a log line") {
		t.Fatalf("results %+v", res)
	}
	if changed, _ := Record(e.lock, targets, res); changed {
		t.Error("a region whose goroutine panicked was recorded in the lock")
	}
}

type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("a log line") }
