package status

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

func motoClients(url string) func(context.Context) (*Clients, error) {
	return func(context.Context) (*Clients, error) {
		return &Clients{Lambda: func(r string) API { return testenv.LambdaAt(url, r) }, Region: "us-east-1"}, nil
	}
}

// Against moto: versions 1 to 4 (the lock names 4), functions on 1, 3 and
// 4, a published function version on 2 under the alias live. Each version
// says its digest, date, lock and users; each configuration how far behind
// it is; the storage is unknown (moto does not serve GetAccountSettings).
// Once every $LATEST and alias is on 4, nothing watched is behind, though
// the published version 1 stays on 2.
func TestStatusAgainstMoto(t *testing.T) {
	ctx := context.Background()
	e := steptest.NewLifecycle(t)
	run := func() *Report {
		t.Helper()
		r, err := Run(ctx, RunOptions{Manifest: e.Manifest, Layers: e.Manifest.Layers, Clients: motoClients(e.URL)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := run()
	if len(r.Layers) != 1 {
		t.Fatalf("%d layer statuses, want 1", len(r.Layers))
	}
	got := r.Layers[0]
	for _, v := range got.Versions {
		if v.CodeSHA256 == "" || time.Since(v.Created) > 10*time.Minute {
			t.Errorf("version %d: digest %q, created %v", v.Number, v.CodeSHA256, v.Created)
		}
	}
	if got.Versions[0].CodeSHA256 != e.Lock.Layers[e.Layer.Name].CodeSHA256 {
		t.Errorf("version 4's digest %s is not the lock's", got.Versions[0].CodeSHA256)
	}
	want := Layer{Layer: e.Layer.Name, Region: "us-east-1", Latest: 4,
		Versions: []Version{
			{Number: 4, ARN: e.ARN[4], InLock: true, UsedBy: 2},
			{Number: 3, ARN: e.ARN[3], UsedBy: 1},
			{Number: 2, ARN: e.ARN[2], UsedBy: 1},
			{Number: 1, ARN: e.ARN[1], UsedBy: 1},
		},
		Functions: []Function{
			{Function: e.Aliased, Qualifier: "$LATEST", Aliases: []string{}, Version: 4, Behind: 0},
			{Function: e.Aliased, Qualifier: "1", Aliases: []string{"live"}, Version: 2, Behind: 2},
			{Function: e.On1, Qualifier: "$LATEST", Aliases: []string{}, Version: 1, Behind: 3},
			{Function: e.On3, Qualifier: "$LATEST", Aliases: []string{}, Version: 3, Behind: 1},
			{Function: e.On4, Qualifier: "$LATEST", Aliases: []string{}, Version: 4, Behind: 0},
		},
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(Version{}, "CodeSHA256", "Created")); d != "" {
		t.Errorf("status (-want +got):\n%s", d)
	}
	if n := r.Behind(); n != 3 {
		t.Errorf("%d watched configurations behind, want 3 (on1, on3, live)", n)
	}
	if len(r.Storage) != 1 || r.Storage[0].Err == nil || r.Storage[0].Region != "us-east-1" {
		t.Errorf("storage %+v: want unknown in us-east-1 (moto does not serve GetAccountSettings)", r.Storage)
	}

	e.Moto.SetLayers(e.On1, e.ARN[4])
	e.Moto.SetLayers(e.On3, e.ARN[4])
	if n := run().Behind(); n != 1 {
		t.Errorf("with live still on 2: %d behind, want 1", n)
	}
	e.Moto.CreateAlias(e.Aliased, "next", e.Moto.PublishVersion(e.Aliased), nil)
	updateAlias(t, e, "live", "2")
	r = run()
	if n := r.Behind(); n != 0 {
		t.Errorf("every $LATEST and alias on 4: %d behind, want 0\n%+v", n, r.Layers[0].Functions)
	}
	if f := r.Layers[0].Functions[1]; f.Qualifier != "1" || f.Behind != 2 || len(f.Aliases) != 0 {
		t.Errorf("the unaliased version 1: %+v, want 2 behind and not watched", f)
	}
}

// A layer never published in a region stands at nothing there; status
// says so and fails on nothing.
func TestStatusOfNothing(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	l := testenv.PyLayer("never")
	l.Regions = []string{"us-east-1"}
	m := &manifest.Manifest{Dir: t.TempDir(), Layers: []*manifest.Layer{l}}
	r, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers, Clients: fakeClients(fake)})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]Layer{{Layer: "never", Region: "us-east-1", Versions: []Version{}, Functions: []Function{}}}, r.Layers); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func fakeClients(fake *fakelambda.Server) func(context.Context) (*Clients, error) {
	return func(context.Context) (*Clients, error) {
		return &Clients{Lambda: func(r string) API { return testenv.LambdaAt(fake.URL, r) }, Region: "us-east-1"}, nil
	}
}

// The storage as GetAccountSettings reports it, crowded past 80% of the
// limit; not crowded at 80% itself.
func TestStorage(t *testing.T) {
	for _, c := range []struct {
		used, limit int64
		crowded     bool
	}{{61 << 30, 75 << 30, true}, {60 << 30, 75 << 30, false}, {1 << 30, 75 << 30, false}} {
		fake := fakelambda.New()
		fake.SetAccountSettings(&fakelambda.AccountSettings{TotalCodeSizeUsed: c.used, TotalCodeSizeLimit: c.limit})
		l := testenv.PyLayer("shared")
		m := &manifest.Manifest{Dir: t.TempDir(), Layers: []*manifest.Layer{l}}
		r, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers, Clients: fakeClients(fake)})
		fake.Close()
		if err != nil {
			t.Fatal(err)
		}
		s := r.Storage[0]
		if s.Err != nil || s.Used != c.used || s.Limit != c.limit || s.Crowded() != c.crowded {
			t.Errorf("%d of %d: %+v crowded=%v, want crowded=%v", c.used, c.limit, s, s.Crowded(), c.crowded)
		}
	}
}

// A listing that fails fails status, naming the region and what status
// needs: a gate must not pass on what it could not see.
func TestStatusFailsOnWhatItCannotRead(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	fake.AddLayerVersion("shared", nil, nil, 100)
	fake.Inject("ListFunctions", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "not allowed"})
	l := testenv.PyLayer("shared")
	m := &manifest.Manifest{Dir: t.TempDir(), Layers: []*manifest.Layer{l}}
	_, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers, Clients: fakeClients(fake)})
	if err == nil || !strings.Contains(err.Error(), "us-east-1") || !strings.Contains(err.Error(), "lambda:ListLayerVersions, GetLayerVersion, ListFunctions, ListAliases") {
		t.Errorf("err = %v", err)
	}
}

// Throttled calls are retried through the shared pacing, not failed.
func TestStatusRetriesThrottles(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	v1 := fake.AddLayerVersion("shared", nil, nil, 100)
	fake.PutFunction(fakelambda.Function{Name: "fn", Runtime: "python3.12", Layers: []string{v1}})
	fake.PutAlias("fn", "live", "$LATEST")
	for _, op := range []string{"ListLayerVersions", "GetLayerVersion", "ListFunctions", "ListAliases"} {
		fake.Inject(op, fakelambda.Throttle(), fakelambda.Throttle())
	}
	l := testenv.PyLayer("shared")
	m := &manifest.Manifest{Dir: t.TempDir(), Layers: []*manifest.Layer{l}}
	r, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers, Clients: fakeClients(fake), RetryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if f := r.Layers[0].Functions; len(f) != 1 || f[0].Aliases[0] != "live" {
		t.Errorf("functions %+v", f)
	}
	for _, op := range []string{"ListLayerVersions", "GetLayerVersion", "ListFunctions", "ListAliases"} {
		if n := fake.Calls(op); n != 3 {
			t.Errorf("%s called %d times, want 3 (two throttled)", op, n)
		}
	}
}

// updateAlias points alias of the Lifecycle's aliased function at version.
func updateAlias(t *testing.T, e *steptest.Lifecycle, alias, version string) {
	t.Helper()
	_, err := e.Moto.LC.UpdateAlias(context.Background(), &lambda.UpdateAliasInput{FunctionName: aws.String(e.Aliased), Name: aws.String(alias), FunctionVersion: aws.String(version)})
	if err != nil {
		t.Fatal(err)
	}
}
