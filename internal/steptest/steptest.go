// Package steptest runs the real earlier steps for the tests of a later
// one: builds a layer, publishes it to moto. Only tests import it, and only
// tests of packages the steps it runs do not import (attach, cmd).
package steptest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/publish"
	"github.com/layerctl/layerctl/manifest"
)

// Build builds l from dir with opts (a temporary output folder and
// DefaultModified unless set).
func Build(t testing.TB, dir string, l *manifest.Layer, opts build.Options) (*layer.Artifact, error) {
	t.Helper()
	if opts.OutDir == "" {
		opts.OutDir = filepath.Join(t.TempDir(), "dist")
	}
	if opts.Modified.IsZero() {
		opts.Modified = layer.DefaultModified
	}
	return build.Build(context.Background(), &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}, l, opts)
}

// MustBuild is Build, failing the test on an error.
func MustBuild(t testing.TB, dir string, l *manifest.Layer, opts build.Options) *layer.Artifact {
	t.Helper()
	a, err := Build(t, dir, l, opts)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return a
}

// PublishEnv is a layer's sources and a lock, published to moto.
type PublishEnv struct {
	T     testing.TB
	URL   string
	Dir   string
	Layer *manifest.Layer
	Lock  *manifest.Lock
}

// NewPublishEnv writes files (see testenv.Tree) as the sources of a python
// layer mapping src to python/, published to us-east-1 of moto.
func NewPublishEnv(t testing.TB, files map[string]string) *PublishEnv {
	e := &PublishEnv{T: t, URL: testenv.MotoURL(t), Dir: t.TempDir()}
	testenv.Tree(t, e.Dir, files)
	e.Layer = testenv.PyLayer(testenv.UniqueName("pub"), manifest.FileMap{From: "src", To: "python"})
	e.Layer.Regions = []string{"us-east-1"}
	e.Lock = &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{}}
	return e
}

// Publish builds the layer and publishes it, recording it in the lock.
func (e *PublishEnv) Publish() []publish.Result {
	e.T.Helper()
	art := MustBuild(e.T, e.Dir, e.Layer, build.Options{OutDir: filepath.Join(e.Dir, "dist")})
	targets := []publish.Target{{Layer: e.Layer, Artifact: art, Regions: e.Layer.Regions}}
	res := publish.Publish(context.Background(), targets, e.Lock, publish.Options{
		Lambda: func(r string) publish.LambdaAPI { return testenv.LambdaAt(e.URL, r) },
		S3:     func(r string) publish.S3API { return testenv.S3At(e.URL, r) },
	})
	publish.Record(e.Lock, targets, res)
	return res
}

// WantResults checks publish's results, as "REGION STATUS VERSION" each.
func WantResults(t testing.TB, got []publish.Result, want ...string) {
	t.Helper()
	var s []string
	for _, r := range got {
		if r.Err != nil {
			t.Errorf("%s %s: %v", r.Layer, r.Region, r.Err)
		}
		v, _ := json.Marshal(r.Version)
		s = append(s, r.Region+" "+string(r.Status)+" "+string(v))
	}
	if strings.Join(s, ", ") != strings.Join(want, ", ") {
		t.Fatalf("results %v, want %v", s, want)
	}
}

// BuildLayer builds l (x86_64 unless it says, with the default excludes)
// from dir into out with tools, as the builder tests do.
func BuildLayer(t testing.TB, dir, out string, l *manifest.Layer, noCache bool, tools *builder.Tools) (*layer.Artifact, error) {
	t.Helper()
	if l.Architectures == nil {
		l.Architectures = []string{"x86_64"}
	}
	l.DefaultExcludes = true
	m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
	return build.Build(context.Background(), m, l, build.Options{OutDir: out, Modified: layer.DefaultModified, NoCache: noCache, Tools: tools})
}
