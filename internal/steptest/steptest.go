// Package steptest runs the real earlier steps for the tests of a later
// one: builds a layer, publishes it to moto. Only tests import it, and only
// tests of packages the steps it runs do not import (attach, status, prune,
// cmd).
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

// Lifecycle is what status and prune are tested on, in moto's us-east-1:
// versions 1 to 4 of a layer, each published by layerctl (the lock, saved
// beside the manifest, names 4); functions on 1, 3 and 4; a function whose
// published version 1 uses 2 under the alias live while its $LATEST uses
// 4; version 3 shared with account 111122223333. Its layerctl.yaml
// describes the layer as published.
type Lifecycle struct {
	*PublishEnv
	Manifest *manifest.Manifest
	Moto     *testenv.MotoLambda
	ARN      [5]string // ARN[n] is version n's
	// On1, On3, On4 use versions 1, 3 and 4; Aliased's version 1 uses 2
	// (alias live), its $LATEST 4.
	On1, On3, On4, Aliased string
}

// SharedWith is the account Lifecycle shares version 3 with.
const SharedWith = "111122223333"

// NewLifecycle sets the Lifecycle up.
func NewLifecycle(t testing.TB) *Lifecycle {
	t.Helper()
	e := &Lifecycle{PublishEnv: NewPublishEnv(t, map[string]string{"src/pkg/__init__.py": "V = 1\n"})}
	for n := 1; n <= 4; n++ {
		testenv.Tree(t, e.Dir, map[string]string{"src/pkg/__init__.py": strings.Repeat("V = 1\n", n)})
		if res := e.Publish(); len(res) != 1 || res[0].Version != int64(n) {
			t.Fatalf("publishing version %d: %+v", n, res)
		}
		e.ARN[n] = e.Lock.Layers[e.Layer.Name].Regions["us-east-1"].ARN
	}
	// The manifest a user would have written for this layer, beside the lock.
	testenv.Tree(t, e.Dir, map[string]string{"layerctl.yaml": "version: 1\nlayers:\n  " + e.Layer.Name +
		":\n    runtimes: [python3.12]\n    regions: [us-east-1]\n    files:\n      - {from: src, to: python}\n"})
	m, err := manifest.Load(filepath.Join(e.Dir, "layerctl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.Manifest = m
	if err := e.Lock.Save(m.LockPath()); err != nil {
		t.Fatal(err)
	}
	e.Moto = testenv.NewMotoLambda(t, e.URL, "us-east-1")
	name := func(s string) string { return e.Layer.Name + "-" + s }
	e.On1, e.On3, e.On4, e.Aliased = name("on1"), name("on3"), name("on4"), name("aliased")
	e.Moto.CreateFunction(e.On1, e.ARN[1])
	e.Moto.CreateFunction(e.On3, e.ARN[3])
	e.Moto.CreateFunction(e.On4, e.ARN[4])
	e.Moto.CreateFunction(e.Aliased, e.ARN[2])
	e.Moto.CreateAlias(e.Aliased, "live", e.Moto.PublishVersion(e.Aliased), nil)
	e.Moto.SetLayers(e.Aliased, e.ARN[4])
	e.Moto.Share(e.Layer.Name, 3, SharedWith)
	return e
}
