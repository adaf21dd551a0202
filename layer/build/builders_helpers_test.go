package build

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// testTools is one Tools for the whole test binary, so that python3, npm
// and go are asked about themselves once.
var testTools = sync.OnceValue(func() *builder.Tools { return &builder.Tools{} })

// buildLayer builds l from dir into out with the shared test Tools.
func buildLayer(t *testing.T, dir, out string, l *manifest.Layer, noCache bool) (*layer.Artifact, error) {
	t.Helper()
	if l.Architectures == nil {
		l.Architectures = []string{"x86_64"}
	}
	l.DefaultExcludes = true
	m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
	return Build(context.Background(), m, l, Options{OutDir: out, Modified: layer.DefaultModified, NoCache: noCache, Tools: testTools()})
}

// cacheEntries lists the recorded builds in an output folder.
func cacheEntries(t *testing.T, out string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(out, CacheDirName, "builds"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
