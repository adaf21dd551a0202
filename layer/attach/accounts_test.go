package attach

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/manifest"
)

// orgRun runs attach.Run on m's layers with the clients of moto at url:
// the credentials' own, and each account's through a role assumed there
// (those in denied cannot be).
func orgRun(t *testing.T, url string, m *manifest.Manifest, denied map[string]bool, opts RunOptions) (*Report, error) {
	opts.Manifest, opts.Layers = m, m.Layers
	opts.Build = func() (build.RunOptions, error) {
		t.Error("attach built a layer the lock records")
		return build.RunOptions{}, nil
	}
	opts.Clients = func(context.Context) (*Clients, error) {
		own := &Clients{Lambda: func(r string) API { return testenv.LambdaAt(url, r) }, Region: "us-east-1", ID: "123456789012"}
		own.Account = func(_ context.Context, a manifest.Account) (*Clients, error) {
			if denied[a.ID] {
				return nil, fmt.Errorf("assuming role %s: AccessDenied: not authorized", a.Role)
			}
			return &Clients{Lambda: func(r string) API { return testenv.LambdaIn(url, a.ID, r) }, ID: a.ID}, nil
		}
		return own, nil
	}
	opts.Options.PollInterval = 10 * time.Millisecond
	return Run(context.Background(), opts)
}

// functionRows are the report's functions as "FUNCTION ACCOUNT REGION STATUS".
func functionRows(r *Report) []string {
	var out []string
	for _, f := range r.Functions {
		out = append(out, fmt.Sprintf("%s %s %s %s", f.Function, f.Account, f.Region, f.Status))
	}
	return out
}

// Each account's functions move onto that account's version (the lock's
// entry there), through that account's clients; the credentials' own
// account is not touched; an account whose role cannot be assumed is a
// failed row naming it, and the others are attached.
func TestAttachAcrossAccounts(t *testing.T) {
	url := testenv.MotoURL(t)
	name := testenv.UniqueName("org-attach")
	a := manifest.Account{ID: "220000000001", Role: "arn:aws:iam::220000000001:role/layerctl"}
	b := manifest.Account{ID: "220000000002", Role: "arn:aws:iam::220000000002:role/layerctl", Regions: []string{"eu-west-1"}}
	c := manifest.Account{ID: "220000000003", Role: "arn:aws:iam::220000000003:role/layerctl"}
	ll := &manifest.LockLayer{SHA256: strings.Repeat("ab", 32), Regions: map[string]*manifest.LockRegion{}}
	fn := map[string]string{}
	for _, where := range []struct{ account, region string }{{a.ID, "us-east-1"}, {b.ID, "eu-west-1"}} {
		ml := testenv.NewMotoLambdaIn(t, url, where.account, where.region)
		old := ml.PublishLayer(name, "V = 1\n")
		v2 := ml.PublishLayer(name, "V = 2\n")
		out, err := ml.LC.GetLayerVersion(context.Background(), &lambda.GetLayerVersionInput{LayerName: aws.String(name), VersionNumber: aws.Int64(2)})
		if err != nil {
			t.Fatal(err)
		}
		ll.CodeSHA256 = aws.ToString(out.Content.CodeSha256)
		ll.Set(where.account, where.region, manifest.LockRegion{ARN: v2, Version: 2})
		fn[where.account] = testenv.UniqueName("fn")
		ml.CreateFunction(fn[where.account], old)
	}
	own := testenv.NewMotoLambda(t, url, "us-east-1")
	ownOld := own.PublishLayer(name, "V = 1\n")
	ownFn := testenv.UniqueName("own")
	own.CreateFunction(ownFn, ownOld)

	dir := t.TempDir()
	l := testenv.PyLayer(name)
	l.Regions, l.Accounts = []string{"us-east-1"}, []manifest.Account{a, b, c}
	m := &manifest.Manifest{Path: filepath.Join(dir, "layerctl.yaml"), Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
	lock := manifest.NewLock()
	lock.Layers[name] = ll
	if err := lock.Save(m.LockPath()); err != nil {
		t.Fatal(err)
	}
	r, err := orgRun(t, url, m, map[string]bool{c.ID: true}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		fn[a.ID] + " 220000000001 us-east-1 attached",
		fn[b.ID] + " 220000000002 eu-west-1 attached",
		" 220000000003 us-east-1 failed",
	}
	if d := cmp.Diff(want, functionRows(r)); d != "" {
		t.Fatalf("functions (-want +got):\n%s", d)
	}
	if err := r.Functions[2].Err; err == nil || !strings.Contains(err.Error(), "account 220000000003: assuming role arn:aws:iam::220000000003:role/layerctl: AccessDenied") {
		t.Errorf("the denied account's error: %v", err)
	}
	if r.Problems() != 1 || r.Caller != "123456789012" {
		t.Errorf("%d problems, caller %q", r.Problems(), r.Caller)
	}
	for _, acct := range []manifest.Account{a, {ID: b.ID, Regions: []string{"eu-west-1"}}} {
		region := "us-east-1"
		if len(acct.Regions) > 0 {
			region = acct.Regions[0]
		}
		cfg, err := testenv.LambdaIn(url, acct.ID, region).GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn[acct.ID])})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(cfg.Layers[0].Arn), fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s:2", region, acct.ID, name); got != want {
			t.Errorf("%s uses %s, want %s", fn[acct.ID], got, want)
		}
	}
	cfg, _ := own.LC.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(ownFn)})
	if got := aws.ToString(cfg.Layers[0].Arn); got != ownOld {
		t.Errorf("the credentials' own function was moved to %s", got)
	}

	// A shard attaches its units only: shard 1 of 3 is account A's.
	r, err = orgRun(t, url, m, nil, RunOptions{Shard: units.Shard{Index: 1, Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{fn[a.ID] + " 220000000001 us-east-1 unchanged"}, functionRows(r)); d != "" {
		t.Errorf("shard 1/3 (-want +got):\n%s", d)
	}
}

// accountRecorder is the HTTP client of one account's Lambda clients: it
// notes when each call other than GetFunction leaves attach.
type accountRecorder struct {
	rec     *callRecorder
	account string
	next    *awshttp.BuildableClient
}

func (c accountRecorder) Do(req *http.Request) (*http.Response, error) {
	return recordingClient{rec: c.rec, region: c.account, next: c.next}.Do(req)
}

// Lambda's quotas are per account and region: three accounts in one
// region are paced apart (none over 15 calls in a second, each at its own
// pace of 12), so together they run three times as fast as one, while
// --concurrency still bounds the calls in flight over them all.
func TestAttachPacesEachAccountOnItsOwn(t *testing.T) {
	accounts := []manifest.Account{
		{ID: "230000000001", Role: "arn:aws:iam::230000000001:role/layerctl"},
		{ID: "230000000002", Role: "arn:aws:iam::230000000002:role/layerctl"},
		{ID: "230000000003", Role: "arn:aws:iam::230000000003:role/layerctl"},
	}
	rec := &callRecorder{sent: map[string][]time.Time{}}
	fakes := map[string]*fakelambda.Server{}
	lock := &manifest.LockLayer{SHA256: strings.Repeat("ab", 32), Regions: map[string]*manifest.LockRegion{}}
	for _, a := range accounts {
		f := fakelambda.Start(t)
		f.Account, f.UpdateDuration, f.Latency, f.ControlPlaneRate = a.ID, 5*time.Millisecond, 3*time.Millisecond, 15
		f.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
		v2 := f.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
		for i := range 30 {
			f.PutFunction(fakelambda.Function{Name: fmt.Sprintf("f%02d", i), Runtime: "python3.12", Layers: []string{strings.TrimSuffix(v2, "2") + "1"}})
		}
		fakes[a.ID] = f
		lock.Set(a.ID, "us-east-1", manifest.LockRegion{ARN: v2, Version: 2})
		v, err := testenv.LambdaAt(f.URL, "us-east-1").GetLayerVersion(context.Background(), &lambda.GetLayerVersionInput{LayerName: aws.String("shared"), VersionNumber: aws.Int64(2)})
		if err != nil {
			t.Fatal(err)
		}
		lock.CodeSHA256 = aws.ToString(v.Content.CodeSha256)
	}
	dir := t.TempDir()
	l := testenv.PyLayer("shared")
	l.Regions, l.Accounts = []string{"us-east-1"}, accounts
	m := &manifest.Manifest{Path: filepath.Join(dir, "layerctl.yaml"), Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
	saved := manifest.NewLock()
	saved.Layers["shared"] = lock
	if err := saved.Save(m.LockPath()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := Run(context.Background(), RunOptions{Manifest: m, Layers: m.Layers,
		Clients: func(context.Context) (*Clients, error) {
			return &Clients{Region: "us-east-1", Lambda: func(string) API { t.Error("the credentials' own account was called"); return nil },
				Account: func(_ context.Context, a manifest.Account) (*Clients, error) {
					lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(fakes[a.ID].URL), Credentials: testenv.Creds,
						HTTPClient: accountRecorder{rec: rec, account: a.ID, next: awshttp.NewBuildableClient()}})
					return &Clients{Lambda: func(string) API { return lc }, ID: a.ID}, nil
				}}, nil
		},
		Options: Options{Concurrency: 4, Rate: 12, ReadRate: 80, PollInterval: 10 * time.Millisecond, RetryBase: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if len(r.Functions) != 90 || r.Problems() != 0 {
		t.Fatalf("%d functions: %s", len(r.Functions), r.Summary())
	}
	var all []time.Time
	for _, a := range accounts {
		other := busiestSecond(rec.sent[a.ID+" other"])
		t.Logf("account %s: %d calls, busiest second %d", a.ID, len(rec.sent[a.ID+" other"]), other)
		if other > 15 {
			t.Errorf("account %s: %d calls in one second (Lambda allows 15 per account and region)", a.ID, other)
		}
		if other < 10 {
			t.Errorf("account %s: at most %d calls in a second: it never ran at its own pace of 12", a.ID, other)
		}
		if n := fakes[a.ID].Throttled(); n != 0 {
			t.Errorf("account %s throttled %d times", a.ID, n)
		}
		all = append(all, rec.sent[a.ID+" other"]...)
	}
	busiest := busiestSecond(all)
	t.Logf("all accounts: busiest second %d calls; 90 functions in %v; at most %d calls in flight", busiest, took, rec.maxInFlight)
	if busiest < 2*15 {
		t.Errorf("the three accounts made at most %d calls in a second together: they share one pace", busiest)
	}
	if rec.maxInFlight > 4 {
		t.Errorf("%d calls in flight over all accounts, --concurrency 4", rec.maxInFlight)
	}
}
