package publish

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/inuse"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// takenAtPublish tries, as another run's cleanup of old builds does, to
// take the ZIP while PublishLayerVersion uploads it.
type takenAtPublish struct {
	LambdaAPI
	zip   string
	taken *bool
}

func (c takenAtPublish) PublishLayerVersion(ctx context.Context, in *lambda.PublishLayerVersionInput, opts ...func(*lambda.Options)) (*lambda.PublishLayerVersionOutput, error) {
	h, ok, _ := inuse.TryHold(c.zip)
	h.Release()
	*c.taken = ok
	return c.LambdaAPI.PublishLayerVersion(ctx, in, opts...)
}

// The ZIP publish built, or was given (--zip), is held while it is
// uploaded: another layerctl's cleanup of old builds cannot take it; once
// publish is done, it can.
func TestRunHoldsTheZipWhileItPublishes(t *testing.T) {
	for _, given := range []bool{false, true} {
		name := map[bool]string{false: "built", true: "--zip"}[given]
		t.Run(name, func(t *testing.T) {
			e := newPublishEnv(t, map[string]string{"src/pkg/__init__.py": "V = 1\n"})
			out := filepath.Join(e.dir, "dist")
			art := mustBuildForPublish(t, e.dir, e.layer, build.Options{OutDir: out}) // its name, and for --zip the ZIP
			m := &manifest.Manifest{Dir: e.dir, Version: 1, Layers: []*manifest.Layer{e.layer}}
			taken := true
			opts := RunOptions{Manifest: m, Layers: m.Layers,
				Build: func() (build.RunOptions, error) {
					return build.RunOptions{OutDir: out, Modified: layer.DefaultModified}, nil
				},
				Clients: func(context.Context) (*Clients, error) {
					return &Clients{Lambda: func(r string) LambdaAPI {
						return takenAtPublish{testenv.LambdaAt(e.url, r), art.Path, &taken}
					}, S3: func(r string) S3API { return testenv.S3At(e.url, r) }}, nil
				},
			}
			if given {
				opts.Zip = art.Path
			}
			r, err := Run(context.Background(), opts)
			if err != nil || len(r.Results) != 1 || r.Results[0].Err != nil {
				t.Fatalf("publish: %v %+v", err, r)
			}
			if taken {
				t.Error("another run's cleanup could take the ZIP while it was being published")
			}
			h, ok, err := inuse.TryHold(art.Path)
			h.Release()
			if !ok || err != nil {
				t.Errorf("the ZIP is still held once publish is done: ok=%v %v", ok, err)
			}
		})
	}
}
