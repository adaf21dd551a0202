package build

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

// The build step builds every layer in turn: one that fails does not stop
// the next, each is told to Built as it is done, and a second run finds
// both in the cache (skipped).
func TestRunBuildsEveryLayerAndSaysWhatItSkipped(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/ok/m.py": "X = 1\n", "src/bad/m.py": "Y = 2\n"})
	good := testenv.PyLayer("good", manifest.FileMap{From: "src/ok", To: "python/ok"})
	bad := testenv.PyLayer("bad", manifest.FileMap{From: "src/bad", To: "elsewhere"})
	m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{bad, good}}
	var told []string
	opts := RunOptions{Manifest: m, Layers: m.Layers, Modified: layer.DefaultModified,
		Built: func(a *layer.Artifact, _ time.Duration) {
			told = append(told, a.Layer+" cached="+map[bool]string{true: "yes", false: "no"}[a.Cached])
		}}
	r, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Artifacts) != 2 || r.Artifacts[0] != nil || r.Artifacts[1] == nil || len(r.Built()) != 1 {
		t.Fatalf("artifacts %v", r.Artifacts)
	}
	var ce *layer.CheckError
	if len(r.Errors) != 1 || !errors.As(r.Errors[0], &ce) || ce.Layer != "bad" {
		t.Fatalf("errors %v", r.Errors)
	}
	if got := filepath.Dir(r.Built()[0].Path); got != filepath.Join(dir, "dist") {
		t.Errorf("ZIP in %s, want dist/ beside the manifest", got)
	}
	r, err = Run(context.Background(), opts)
	if err != nil || len(r.Built()) != 1 {
		t.Fatalf("second run: %v %v", r, err)
	}
	if want := "good cached=no,good cached=yes"; strings.Join(told, ",") != want {
		t.Errorf("told %q, want %q", strings.Join(told, ","), want)
	}
}

// An output folder that is a source stops the step before anything is
// built, with an *OutputError naming the flag; an interrupted step is a
// *StoppedError.
func TestRunRefusesBeforeBuildingAndStopsWhenInterrupted(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/m.py": "X = 1\n"})
	l := testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"})
	m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
	_, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers, OutDir: filepath.Join(dir, "src"), OutLabel: "--out src", Modified: layer.DefaultModified})
	var oe *OutputError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "--out src") {
		t.Fatalf("error %v, want an *OutputError naming --out src", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Run(ctx, RunOptions{Manifest: m, Layers: m.Layers, Modified: layer.DefaultModified})
	var se *StoppedError
	if !errors.As(err, &se) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want a *StoppedError", err)
	}
	// Also when the cache holds the layer and would give it back at once.
	if _, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers, Modified: layer.DefaultModified}); err != nil {
		t.Fatal(err)
	}
	if _, err = Run(ctx, RunOptions{Manifest: m, Layers: m.Layers, Modified: layer.DefaultModified}); !errors.As(err, &se) {
		t.Fatalf("interrupted, the cache holding the layer: error %v, want a *StoppedError", err)
	}
}
