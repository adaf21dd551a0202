package build

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

func build(t *testing.T, dir string, l *manifest.Layer, opts Options) (*layer.Artifact, error) {
	t.Helper()
	if opts.OutDir == "" {
		opts.OutDir = filepath.Join(t.TempDir(), "dist")
	}
	if opts.Modified.IsZero() {
		opts.Modified = layer.DefaultModified
	}
	return Build(context.Background(), &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}, l, opts)
}

func mustBuild(t *testing.T, dir string, l *manifest.Layer, opts Options) *layer.Artifact {
	t.Helper()
	a, err := build(t, dir, l, opts)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return a
}
