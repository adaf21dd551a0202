package publish

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// mustBuildForPublish builds l from dir with the real build step, for publish to
// have something to publish.
func mustBuildForPublish(t *testing.T, dir string, l *manifest.Layer, opts build.Options) *layer.Artifact {
	t.Helper()
	if opts.OutDir == "" {
		opts.OutDir = filepath.Join(t.TempDir(), "dist")
	}
	if opts.Modified.IsZero() {
		opts.Modified = layer.DefaultModified
	}
	a, err := build.Build(context.Background(), &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}, l, opts)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return a
}
