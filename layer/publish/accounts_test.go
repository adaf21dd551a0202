package publish

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/lockstore"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/manifest"
)

// orgEnv is a manifest of layers published to several accounts of moto,
// each account's clients those of a role assumed in it.
type orgEnv struct {
	t      *testing.T
	url    string
	m      *manifest.Manifest
	denied map[string]bool // accounts whose role cannot be assumed
	built  []string        // the layers each run built, in order
	mu     sync.Mutex
}

func newOrgEnv(t *testing.T, accounts []manifest.Account, layers ...string) *orgEnv {
	e := &orgEnv{t: t, url: testenv.MotoURL(t), denied: map[string]bool{}}
	dir := t.TempDir()
	e.m = &manifest.Manifest{Path: filepath.Join(dir, "layerctl.yaml"), Dir: dir, Version: 1}
	for _, name := range layers {
		l := testenv.PyLayer(testenv.UniqueName(name), manifest.FileMap{From: "src/" + name, To: "python/" + name})
		l.Accounts = accounts
		testenv.Tree(t, dir, map[string]string{"src/" + name + "/__init__.py": "NAME = '" + l.Name + "'\n"})
		e.m.Layers = append(e.m.Layers, l)
	}
	return e
}

func (e *orgEnv) clientsIn(account string) *Clients {
	return &Clients{
		Lambda: func(r string) LambdaAPI { return testenv.LambdaIn(e.url, account, r) },
		S3:     func(r string) S3API { return testenv.S3In(e.url, account, r) },
		ID:     account,
	}
}

func (e *orgEnv) run(opts RunOptions) (*Report, error) {
	opts.Manifest = e.m
	if opts.Layers == nil {
		opts.Layers = e.m.Layers
	}
	opts.Build = func() (build.RunOptions, error) {
		return build.RunOptions{OutDir: filepath.Join(e.m.Dir, "dist"), Modified: layer.DefaultModified, Built: func(a *layer.Artifact, _ time.Duration) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.built = append(e.built, a.Layer)
		}}, nil
	}
	opts.Clients = func(ctx context.Context) (*Clients, error) {
		own := &Clients{Lambda: func(r string) LambdaAPI { return testenv.LambdaAt(e.url, r) }, S3: func(r string) S3API { return testenv.S3At(e.url, r) },
			Region: "us-east-1", ID: "123456789012"}
		own.Account = func(_ context.Context, a manifest.Account) (*Clients, error) {
			if e.denied[a.ID] {
				return nil, fmt.Errorf("assuming role %s: AccessDenied: not authorized", a.Role)
			}
			return e.clientsIn(a.ID), nil
		}
		if e.m.Lock.S3 != nil {
			own.Lock = testenv.S3At(e.url, "us-east-1")
		}
		return own, nil
	}
	return Run(context.Background(), opts)
}

// rows are the results as "LAYER ACCOUNT REGION STATUS VERSION".
func rows(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %s %s %s %d", r.Layer, r.Account, r.Region, r.Status, r.Version))
	}
	return out
}

var (
	acctA = manifest.Account{ID: "210000000001", Role: "arn:aws:iam::210000000001:role/layerctl"}
	acctB = manifest.Account{ID: "210000000002", Role: "arn:aws:iam::210000000002:role/layerctl", Regions: []string{"eu-west-1"}}
)

// Each layer is published in each of its accounts and regions there, in
// that account (its ARN says so), recorded per account in the lock; a
// rerun finds every version and publishes nothing.
func TestPublishAcrossAccounts(t *testing.T) {
	e := newOrgEnv(t, []manifest.Account{acctA, acctB}, "org")
	l := e.m.Layers[0]
	l.Regions = []string{"us-east-1", "us-west-2"}
	r, err := e.run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		l.Name + " 210000000001 us-east-1 published 1",
		l.Name + " 210000000001 us-west-2 published 1",
		l.Name + " 210000000002 eu-west-1 published 1",
	}
	if d := cmp.Diff(want, rows(r.Results)); d != "" {
		t.Fatalf("results (-want +got):\n%s", d)
	}
	for _, res := range r.Results {
		if wantARN := fmt.Sprintf("arn:aws:lambda:%s:%s:layer:%s:1", res.Region, res.Account, l.Name); res.ARN != wantARN {
			t.Errorf("ARN %s, want %s", res.ARN, wantARN)
		}
	}
	if r.Caller != "123456789012" {
		t.Errorf("Caller %q", r.Caller)
	}
	lock, err := manifest.LoadLock(e.m.LockPath())
	if err != nil {
		t.Fatal(err)
	}
	ll := lock.Layers[l.Name]
	if lock.Version != 2 || len(ll.Regions) != 0 || len(ll.RegionsIn(acctA.ID)) != 2 || len(ll.RegionsIn(acctB.ID)) != 1 {
		t.Errorf("lock: version %d, %+v", lock.Version, ll)
	}
	// The credentials' own account got nothing.
	if v := testenv.LambdaAt(e.url, "us-east-1"); len(versionsOf(t, v, l.Name)) != 0 {
		t.Error("published in the credentials' own account")
	}

	again, err := e.run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range again.Results {
		if res.Status != layer.StatusUnchanged || res.Version != 1 {
			t.Errorf("rerun: %+v", res)
		}
	}
	if again.LockWritten {
		t.Error("the rerun wrote the lock")
	}
}

// An account whose role cannot be assumed fails, naming the account, and
// the others are published and recorded.
func TestPublishOneAccountDenied(t *testing.T) {
	e := newOrgEnv(t, []manifest.Account{acctA, acctB}, "deny")
	l := e.m.Layers[0]
	l.Regions = []string{"us-east-1"}
	e.denied[acctB.ID] = true
	r, err := e.run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{l.Name + " 210000000001 us-east-1 published 1", l.Name + " 210000000002 eu-west-1 failed 0"}
	if d := cmp.Diff(want, rows(r.Results)); d != "" {
		t.Fatalf("results (-want +got):\n%s", d)
	}
	if err := r.Results[1].Err; err == nil || !strings.Contains(err.Error(), `publishing layer "`+l.Name+`" in eu-west-1: account 210000000002: assuming role arn:aws:iam::210000000002:role/layerctl: AccessDenied`) {
		t.Errorf("error %v", err)
	}
	lock, _ := manifest.LoadLock(e.m.LockPath())
	if ll := lock.Layers[l.Name]; ll == nil || len(ll.RegionsIn(acctA.ID)) != 1 || len(ll.RegionsIn(acctB.ID)) != 0 {
		t.Errorf("lock %+v", lock.Layers[l.Name])
	}
}

// Shards run at once share the S3 lock: each publishes its units only,
// and the lock ends up holding every unit; every shard again publishes
// nothing.
func TestPublishShardsShareTheS3Lock(t *testing.T) {
	accounts := []manifest.Account{acctA, acctB, {ID: "210000000003", Role: "arn:aws:iam::210000000003:role/layerctl"}}
	e := newOrgEnv(t, accounts, "one", "two")
	for _, l := range e.m.Layers {
		l.Regions = []string{"us-east-1", "ap-south-1"}
	}
	bucket := strings.ToLower(testenv.UniqueName("org-lock"))
	if _, err := testenv.S3At(e.url, "us-east-1").CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	e.m.Lock = manifest.LockPlace{S3: &manifest.LockObject{Bucket: bucket, Key: "layerctl.lock"}}
	plan, _ := units.Plan(e.m.Layers, nil, nil)
	const n = 3
	shardRun := func() [][]Result {
		out := make([][]Result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r, err := e.run(RunOptions{Shard: units.Shard{Index: i + 1, Count: n}})
				if err != nil {
					t.Error(err)
					return
				}
				out[i] = r.Results
			})
		}
		wg.Wait()
		return out
	}
	first := shardRun()
	var all []string
	for i, rs := range first {
		for _, res := range rs {
			if res.Status != layer.StatusPublished || res.Version != 1 {
				t.Errorf("shard %d: %+v", i+1, res)
			}
			all = append(all, fmt.Sprintf("%s %s %s", res.Layer, res.Account, res.Region))
		}
	}
	slices.Sort(all)
	if len(all) != len(plan) || len(slices.Compact(all)) != len(plan) {
		t.Fatalf("%d results for %d units: %v", len(all), len(plan), all)
	}
	for _, u := range plan {
		if got := versionsOf(t, testenv.LambdaIn(e.url, u.Account.ID, u.Region), u.Layer.Name); len(got) != 1 {
			t.Errorf("%s in %s %s: versions %v, want one", u.Layer.Name, u.Account.ID, u.Region, got)
		}
	}
	lock, _, err := (&lockstore.S3{Client: testenv.S3At(e.url, "us-east-1"), Object: e.m.Lock.S3}).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	for _, ll := range lock.Layers {
		for _, la := range ll.Accounts {
			entries += len(la.Regions)
		}
	}
	if entries != len(plan) {
		t.Errorf("the S3 lock holds %d entries, want %d", entries, len(plan))
	}

	for i, rs := range shardRun() {
		for _, res := range rs {
			if res.Status != layer.StatusUnchanged {
				t.Errorf("again, shard %d: %+v", i+1, res)
			}
		}
	}
}

// A shard builds only the layers it has units of.
func TestPublishShardBuildsItsLayersOnly(t *testing.T) {
	e := newOrgEnv(t, nil, "first", "second")
	e.m.Layers[0].Accounts = []manifest.Account{acctA}
	e.m.Layers[1].Accounts = []manifest.Account{{ID: "210000000009", Role: "arn:aws:iam::210000000009:role/layerctl"}}
	for _, l := range e.m.Layers {
		l.Regions = []string{"us-east-1"}
	}
	for i, want := range []string{e.m.Layers[0].Name, e.m.Layers[1].Name} {
		e.built = nil
		r, err := e.run(RunOptions{Shard: units.Shard{Index: i + 1, Count: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{want}, e.built); d != "" {
			t.Errorf("shard %d/2 built (-want +got):\n%s", i+1, d)
		}
		if len(r.Results) != 1 || r.Results[0].Layer != want {
			t.Errorf("shard %d/2: %v", i+1, rows(r.Results))
		}
	}
	// More shards than units: shard 1 of 3 has none (2 units: shards 2
	// and 3 get one each), and does nothing.
	e.built = nil
	r, err := e.run(RunOptions{Shard: units.Shard{Index: 1, Count: 3}})
	if err != nil || len(r.Results) != 0 || len(e.built) != 0 {
		t.Errorf("an empty shard: %v, %v, built %v", rows(r.Results), err, e.built)
	}
}

// versionsOf lists the version numbers of a layer.
func versionsOf(t *testing.T, lc *lambda.Client, name string) []int64 {
	t.Helper()
	out, err := lc.ListLayerVersions(context.Background(), &lambda.ListLayerVersionsInput{LayerName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	for _, v := range out.LayerVersions {
		vs = append(vs, v.Version)
	}
	return vs
}
