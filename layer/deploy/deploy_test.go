package deploy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/attach"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/publish"
	"github.com/layerctl/layerctl/manifest"
)

// deployEnv is a fresh manifest (one python layer from files, attached to
// the functions it names) and the endpoint its AWS calls go to.
type deployEnv struct {
	t     *testing.T
	url   string
	m     *manifest.Manifest
	built int // layers built, not taken from the cache
}

func newDeployEnv(t *testing.T, url, name string, functions ...string) *deployEnv {
	dir := t.TempDir()
	attachTo := ""
	if len(functions) > 0 {
		attachTo = fmt.Sprintf("    attach: {functions: [%s]}\n", strings.Join(functions, ", "))
	}
	testenv.Tree(t, dir, map[string]string{
		"src/pkg/__init__.py": "V = 1\n",
		"layerctl.yaml": "version: 1\nlayers:\n  " + name + ":\n    runtimes: [python3.12]\n    regions: [us-east-1]\n" +
			"    files: [{from: src, to: python}]\n" + attachTo,
	})
	m, err := manifest.Load(filepath.Join(dir, "layerctl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return &deployEnv{t: t, url: url, m: m}
}

func (e *deployEnv) options(dryRun bool) RunOptions {
	bo := build.RunOptions{Modified: layer.DefaultModified, Built: func(a *layer.Artifact, _ time.Duration) {
		if !a.Cached {
			e.built++
		}
	}}
	return RunOptions{Manifest: e.m, Layers: e.m.Layers, DryRun: dryRun, Build: bo,
		Publish: publish.RunOptions{Clients: func(context.Context) (*publish.Clients, error) {
			return &publish.Clients{Lambda: func(r string) publish.LambdaAPI { return testenv.LambdaAt(e.url, r) },
				S3: func(r string) publish.S3API { return testenv.S3At(e.url, r) }}, nil
		}},
		Attach: attach.RunOptions{
			Clients: func(context.Context) (*attach.Clients, error) {
				return &attach.Clients{Lambda: func(r string) attach.API { return testenv.LambdaAt(e.url, r) }}, nil
			},
			Build: func() (build.RunOptions, error) { return build.RunOptions{Modified: layer.DefaultModified}, nil },
		},
	}
}

func (e *deployEnv) run(dryRun bool) *Report {
	e.t.Helper()
	r, err := Run(context.Background(), e.options(dryRun))
	if err != nil {
		e.t.Fatal(err)
	}
	if r.PublishErr != nil || r.AttachErr != nil {
		e.t.Fatalf("publish: %v; attach: %v", r.PublishErr, r.AttachErr)
	}
	return r
}

// steps is what each step did: "built|cached", then publish's and
// attach's statuses.
func steps(r *Report) string {
	var s []string
	for _, a := range r.Artifacts {
		s = append(s, map[bool]string{true: "cached", false: "built"}[a.Cached])
	}
	if r.Publish != nil {
		for _, p := range r.Publish.Results {
			s = append(s, fmt.Sprintf("%s %d", p.Status, p.Version))
		}
	}
	if r.Attach != nil {
		for _, f := range r.Attach.Functions {
			s = append(s, f.Function+" "+string(f.Status))
		}
	}
	for _, n := range r.NotAttached {
		s = append(s, "not attached: "+n.Reason)
	}
	return strings.Join(s, ", ")
}

// Against moto, a fresh manifest: --dry-run builds and says what would be
// published, attaching nothing; deploy builds, publishes version 1 and
// attaches the function the manifest names, keeping its other layer; a
// rerun finds every step with nothing to do.
func TestDeployAgainstMoto(t *testing.T) {
	url := testenv.MotoURL(t)
	m := testenv.NewMotoLambda(t, url, "us-east-1")
	name, fn := testenv.UniqueName("deploy"), testenv.UniqueName("deploy-fn")
	other := m.PublishLayer(testenv.UniqueName("other"), "X = 1\n")
	m.CreateFunction(fn, other)
	e := newDeployEnv(t, url, name, fn)

	if got, want := steps(e.run(true)), "built, would-publish 0, not attached: its content is not published in us-east-1 yet (--dry-run): attach would move its functions to the version publish makes"; got != want {
		t.Errorf("--dry-run:\n got %s\nwant %s", got, want)
	}
	if got, want := steps(e.run(false)), fmt.Sprintf("cached, published 1, %s attached", fn); got != want {
		t.Errorf("deploy:\n got %s\nwant %s", got, want)
	}
	v1 := fmt.Sprintf("arn:aws:lambda:us-east-1:123456789012:layer:%s:1", name)
	if got := functionLayers(t, m, fn); !slices.Equal(got, []string{other, v1}) {
		t.Errorf("%s has %v", fn, got)
	}
	if got, want := steps(e.run(false)), fmt.Sprintf("cached, unchanged 1, %s unchanged", fn); got != want {
		t.Errorf("a rerun:\n got %s\nwant %s", got, want)
	}
	if got, want := steps(e.run(true)), fmt.Sprintf("cached, unchanged 1, %s unchanged", fn); got != want {
		t.Errorf("a rerun with --dry-run:\n got %s\nwant %s", got, want)
	}
	if e.built != 1 {
		t.Errorf("built %d times, want once (then the cache)", e.built)
	}
}

// A layer that could not be published in a region is not attached: its
// functions stay on what works.
func TestDeployDoesNotAttachWhatFailedToPublish(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	old := fake.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	fake.PutFunction(fakelambda.Function{Name: "fn", Runtime: "python3.12", Layers: []string{old}})
	fake.Inject("PublishLayerVersion", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "not allowed"})
	e := newDeployEnv(t, fake.URL, "shared", "fn")
	r, err := Run(context.Background(), e.options(false))
	if err != nil {
		t.Fatal(err)
	}
	if r.Publish == nil || len(r.Publish.Results) != 1 || r.Publish.Results[0].Err == nil {
		t.Fatalf("publish %+v", r.Publish)
	}
	if r.Attach != nil || len(r.NotAttached) != 1 || !strings.Contains(r.NotAttached[0].Reason, "publishing it to us-east-1 failed") {
		t.Errorf("attach %+v, not attached %+v", r.Attach, r.NotAttached)
	}
	if st := fake.FunctionState("fn"); st.Updates != 0 || !slices.Equal(st.Layers, []string{old}) {
		t.Errorf("fn was changed: %+v", st)
	}
}

// A layer that fails to build stops deploy before anything is published.
func TestDeployStopsOnABuildFailure(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	e := newDeployEnv(t, fake.URL, "shared")
	testenv.Tree(t, e.m.Dir, map[string]string{"src/bad\x01name.py": ""})
	_, err := Run(context.Background(), e.options(false))
	var fe *build.FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *build.FailedError", err)
	}
	if fake.Calls("PublishLayerVersion")+fake.Calls("ListLayerVersions") != 0 {
		t.Error("deploy published after a failed build")
	}
}

func functionLayers(t *testing.T, m *testenv.MotoLambda, fn string) []string {
	t.Helper()
	out, err := m.LC.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, l := range out.Layers {
		arns = append(arns, aws.ToString(l.Arn))
	}
	return arns
}
