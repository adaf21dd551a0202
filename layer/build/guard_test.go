package build

import (
	"testing"

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
