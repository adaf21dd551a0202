package layer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/testenv"
)

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
			before := testenv.ListDir(t, out)
			testenv.PanicIn(t, worker, 1)
			_, err := buildLayer(t, dir, out, cacheLayer(), false)
			testenv.WantCrash(t, err, worker)
			if after := testenv.ListDir(t, out); after != before {
				t.Errorf("output folder was\n%s\nis now\n%s", before, after)
			}
		})
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
