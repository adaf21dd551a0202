package attach

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
)

// motoFunctions are functions in moto (testenv.MotoLambda), read back.
type motoFunctions struct {
	*testenv.MotoLambda
	t *testing.T
}

func newMotoFunctions(t *testing.T, url string) *motoFunctions {
	return &motoFunctions{testenv.NewMotoLambda(t, url, "us-east-1"), t}
}

func (m *motoFunctions) config(name string) *lambda.GetFunctionConfigurationOutput {
	m.t.Helper()
	out, err := m.LC.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if err != nil {
		m.t.Fatal(err)
	}
	return out
}

func (m *motoFunctions) layers(name string) []string {
	var out []string
	for _, l := range m.config(name).Layers {
		out = append(out, aws.ToString(l.Arn))
	}
	return out
}

// publishOther publishes a version of another team's layer and returns its ARN.
func (m *motoFunctions) publishOther(name string) string { return m.PublishLayer(name, "X = 1\n") }

// Against moto: functions with 0, 1 and 3 other layers, this layer first,
// in the middle and last. attach changes only this layer's ARN; every other
// layer, the order and the rest of the configuration stay. Then a rollback
// with --publish-version --alias moves the alias.
func TestAttachAgainstMoto(t *testing.T) {
	ctx := context.Background()
	pe := steptest.NewPublishEnv(t, map[string]string{"src/pkg/__init__.py": "V = 1\n"})
	pe.Layer.Runtimes = []string{"python3.12", "python3.13"}
	steptest.WantResults(t, pe.Publish(), "us-east-1 published 1")
	v1 := pe.Lock.Layers[pe.Layer.Name].Regions["us-east-1"].ARN
	testenv.Tree(t, pe.Dir, map[string]string{"src/pkg/__init__.py": "V = 2\n"})
	steptest.WantResults(t, pe.Publish(), "us-east-1 published 2")
	v2 := pe.Lock.Layers[pe.Layer.Name].Regions["us-east-1"].ARN

	m := newMotoFunctions(t, pe.URL)
	a, b, c := m.publishOther(testenv.UniqueName("team-a")), m.publishOther(testenv.UniqueName("team-b")), m.publishOther(testenv.UniqueName("team-c"))
	fn := func(s string) string { return pe.Layer.Name + "-" + s }
	cases := map[string][2][]string{ // before, after
		fn("alone"):  {{v1}, {v2}},
		fn("before"): {{a, v1}, {a, v2}},
		fn("after"):  {{v1, a}, {v2, a}},
		fn("first"):  {{v1, a, b, c}, {v2, a, b, c}},
		fn("middle"): {{a, b, v1, c}, {a, b, v2, c}},
		fn("last"):   {{a, b, c, v1}, {a, b, c, v2}},
		fn("other"):  {{a, b}, {a, b}},
	}
	for name, ls := range cases {
		m.CreateFunction(name, ls[0]...)
	}

	var log syncBuffer
	opts := Options{Lambda: func(r string) API { return testenv.LambdaAt(pe.URL, r) }, Log: &log}
	target := Target{Layer: pe.Layer, Regions: []string{"us-east-1"}, Lock: pe.Lock.Layers[pe.Layer.Name]}
	report, err := Attach(ctx, []Target{target}, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := statuses(report)
	if len(got) != 6 {
		t.Errorf("functions %v: want the 6 using the layer", got)
	}
	for name, ls := range cases {
		if name != fn("other") && got[name] != "attached" {
			t.Errorf("%s: %s\nlog:\n%s", name, got[name], log.String())
		}
		if d := cmp.Diff(ls[1], m.layers(name)); d != "" {
			t.Errorf("%s's Layers (-want +got):\n%s", name, d)
		}
		if cfg := m.config(name); cfg.Environment == nil || cfg.Environment.Variables["OWNER"] != name || aws.ToString(cfg.Handler) != "app.handler" {
			t.Errorf("%s: the rest of its configuration changed: %+v", name, cfg.Environment)
		}
	}

	// Roll back to version 1, publishing a function version and moving
	// the alias that production traffic follows.
	alias := fn("middle")
	pv, err := m.LC.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(alias)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.LC.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(alias), Name: aws.String("live"), FunctionVersion: pv.Version}); err != nil {
		t.Fatal(err)
	}
	target.Version, target.Functions = 1, []string{alias}
	opts.PublishVersion, opts.Alias = true, "live"
	report, err = Attach(ctx, []Target{target}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := report.Functions[0]; r.Status != layer.StatusAttached || r.Version == "" || r.Version == aws.ToString(pv.Version) || r.AliasFrom != aws.ToString(pv.Version) {
		t.Fatalf("%+v\nlog:\n%s", r, log.String())
	}
	if d := cmp.Diff([]string{a, b, v1, c}, m.layers(alias)); d != "" {
		t.Errorf("after the rollback (-want +got):\n%s", d)
	}
	al, err := m.LC.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(alias), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(al.FunctionVersion) != report.Functions[0].Version {
		t.Errorf("alias live -> %s, want the version published, %s", aws.ToString(al.FunctionVersion), report.Functions[0].Version)
	}
	ver, err := m.LC.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(alias), Qualifier: al.FunctionVersion})
	if err != nil {
		t.Fatal(err)
	}
	if len(ver.Layers) != 4 || aws.ToString(ver.Layers[2].Arn) != v1 {
		t.Errorf("the version the alias points to has Layers %v", ver.Layers)
	}
}

// Without a lock entry, the version is the newest holding the content's
// digest (publish's lookup, reused).
func TestAttachFindsTheVersionByDigest(t *testing.T) {
	pe := steptest.NewPublishEnv(t, map[string]string{"src/pkg/__init__.py": "V = 1\n"})
	steptest.WantResults(t, pe.Publish(), "us-east-1 published 1")
	v1 := pe.Lock.Layers[pe.Layer.Name].Regions["us-east-1"].ARN
	m := newMotoFunctions(t, pe.URL)
	m.CreateFunction(pe.Layer.Name + "-fn")
	art := steptest.MustBuild(t, pe.Dir, pe.Layer, build.Options{OutDir: filepath.Join(pe.Dir, "dist")})
	target := Target{Layer: pe.Layer, Regions: []string{"us-east-1"}, Artifact: art, Functions: []string{pe.Layer.Name + "-fn"}}
	report, err := Attach(context.Background(), []Target{target}, Options{Lambda: func(r string) API { return testenv.LambdaAt(pe.URL, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if s := statuses(report)[pe.Layer.Name+"-fn"]; s != "attached" {
		t.Fatal(s)
	}
	if d := cmp.Diff([]string{v1}, m.layers(pe.Layer.Name+"-fn")); d != "" {
		t.Error(d)
	}

	// New content, not published: nothing to attach, nothing changed.
	testenv.Tree(t, pe.Dir, map[string]string{"src/pkg/__init__.py": "V = 2\n"})
	target.Artifact = steptest.MustBuild(t, pe.Dir, pe.Layer, build.Options{OutDir: filepath.Join(pe.Dir, "dist")})
	_, err = Attach(context.Background(), []Target{target}, Options{Lambda: func(r string) API { return testenv.LambdaAt(pe.URL, r) }})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("holds its content (sha256 "+target.Artifact.SHA256[:12]+"): run layerctl publish first")) {
		t.Fatalf("error %v", err)
	}
}

// Against moto: a function using another layer's deleted version is
// refused before any update (the layer read by its ARN and number), the
// others attached.
func TestAttachRefusesADeletedLayerAgainstMoto(t *testing.T) {
	ctx := context.Background()
	pe := steptest.NewPublishEnv(t, map[string]string{"src/pkg/__init__.py": "V = 1\n"})
	steptest.WantResults(t, pe.Publish(), "us-east-1 published 1")
	v1 := pe.Lock.Layers[pe.Layer.Name].Regions["us-east-1"].ARN
	m := newMotoFunctions(t, pe.URL)
	other, gone := testenv.UniqueName("team-a"), testenv.UniqueName("team-gone")
	a, g := m.publishOther(other), m.publishOther(gone)
	broken, fine := pe.Layer.Name+"-broken", pe.Layer.Name+"-fine"
	m.CreateFunction(broken, g, a)
	m.CreateFunction(fine, a)
	if _, err := m.LC.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(gone), VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	target := Target{Layer: pe.Layer, Regions: []string{"us-east-1"}, Lock: pe.Lock.Layers[pe.Layer.Name], Functions: []string{broken, fine}}
	report, err := Attach(ctx, []Target{target}, Options{Lambda: func(r string) API { return testenv.LambdaAt(pe.URL, r) }})
	if err != nil {
		t.Fatal(err)
	}
	got := statuses(report)
	if want := "refused: its layer " + g + " no longer exists"; !strings.HasPrefix(got[broken], want) || got[fine] != "attached" {
		t.Fatalf("%v, want %s… and attached", got, want)
	}
	if d := cmp.Diff([]string{g, a}, m.layers(broken)); d != "" {
		t.Errorf("broken changed (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{a, v1}, m.layers(fine)); d != "" {
		t.Errorf("fine (-want +got):\n%s", d)
	}
}
