package publish

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// Given the artifacts a build step made (deploy's), Run publishes them as
// they are and builds nothing.
func TestRunPublishesWhatWasBuilt(t *testing.T) {
	e := newPublishEnv(t, map[string]string{"src/pkg/__init__.py": "V = 1\n"})
	art := mustBuildForPublish(t, e.dir, e.layer, build.Options{OutDir: filepath.Join(e.dir, "dist")})
	m := &manifest.Manifest{Dir: e.dir, Version: 1, Layers: []*manifest.Layer{e.layer}}
	r, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers, Built: []*layer.Artifact{art},
		Build: func() (build.RunOptions, error) {
			t.Error("Run built again what it was given")
			return build.RunOptions{}, nil
		},
		Clients: func(context.Context) (*Clients, error) {
			return &Clients{Lambda: func(r string) LambdaAPI { return testenv.LambdaAt(e.url, r) },
				S3: func(r string) S3API { return testenv.S3At(e.url, r) }}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 1 || r.Results[0].Err != nil || r.Results[0].CodeSHA256 != art.CodeSHA256 {
		t.Fatalf("results %+v", r.Results)
	}
	lock, err := manifest.LoadLock(m.LockPath())
	if err != nil || lock.Layers[e.layer.Name] == nil || lock.Layers[e.layer.Name].SHA256 != art.SHA256 {
		t.Errorf("lock %+v %v", lock, err)
	}
}
