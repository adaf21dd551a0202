package prune

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

func clientsAt(url string) func(context.Context) (*Clients, error) {
	return func(context.Context) (*Clients, error) {
		return &Clients{Lambda: func(r string) API { return testenv.LambdaAt(url, r) }, Region: "us-east-1"}, nil
	}
}

// rows is a report as "VERSION STATUS: REASON", in order.
func rows(r *Report) []string {
	var out []string
	for _, res := range r.Results {
		out = append(out, fmt.Sprintf("%d %s: %s", res.Version, res.Status, res.Reason))
	}
	return out
}

func listed(t *testing.T, lc versions.ListAPI, layer string) []int64 {
	t.Helper()
	vs, err := versions.List(context.Background(), lc, layer)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, v := range vs {
		out = append(out, v.Number)
	}
	return out
}

// Against moto: versions 1 to 4, the lock on 4, functions on 1, 3 and 4, a
// published function version on 2 under the alias live, 3 shared with
// another account. While every version is used, --keep 1 keeps them all,
// each saying why. Once the functions on 1 and 3 moved to 4, it deletes 1
// alone (3 is shared, 2 used by the published version); again, nothing;
// --include-shared would delete 3 too.
func TestPruneAgainstMoto(t *testing.T) {
	ctx := context.Background()
	e := steptest.NewLifecycle(t)
	prune := func(dryRun, includeShared bool) []string {
		t.Helper()
		r, err := Run(ctx, RunOptions{Manifest: e.Manifest, Layers: e.Manifest.Layers, Clients: clientsAt(e.URL), Keep: 1, DryRun: dryRun, IncludeShared: includeShared})
		if err != nil {
			t.Fatal(err)
		}
		return rows(r)
	}
	name := e.Layer.Name
	want := []string{
		fmt.Sprintf("4 kept: newest version; named in layerctl.lock; used by %s, %s", e.Aliased, e.On4),
		fmt.Sprintf("3 kept: used by %s", e.On3),
		fmt.Sprintf("2 kept: used by %s:1 (live)", e.Aliased),
		fmt.Sprintf("1 kept: used by %s", e.On1),
	}
	if d := cmp.Diff(want, prune(false, false)); d != "" {
		t.Errorf("every version in use (-want +got):\n%s", d)
	}

	e.Moto.SetLayers(e.On1, e.ARN[4])
	e.Moto.SetLayers(e.On3, e.ARN[4])
	want = []string{
		fmt.Sprintf("4 kept: newest version; named in layerctl.lock; used by %s, %s, %s, %s", e.Aliased, e.On1, e.On3, e.On4),
		"3 kept: shared with account 111122223333: their functions are invisible here (--include-shared deletes it)",
		fmt.Sprintf("2 kept: used by %s:1 (live)", e.Aliased),
		"1 would-delete: older than the newest version, not in layerctl.lock, used by no function configuration or alias, shared with no one",
	}
	if d := cmp.Diff(want, prune(true, false)); d != "" {
		t.Errorf("--dry-run (-want +got):\n%s", d)
	}
	if got := listed(t, e.Moto.LC, name); !slices.Equal(got, []int64{4, 3, 2, 1}) {
		t.Fatalf("--dry-run deleted: %v left", got)
	}
	want[3] = strings.Replace(want[3], "would-delete", "deleted", 1)
	if d := cmp.Diff(want, prune(false, false)); d != "" {
		t.Errorf("prune (-want +got):\n%s", d)
	}
	if got := listed(t, e.Moto.LC, name); !slices.Equal(got, []int64{4, 3, 2}) {
		t.Errorf("versions left %v, want 4 3 2", got)
	}
	again := prune(false, false)
	if d := cmp.Diff(want[:3], again); d != "" {
		t.Errorf("a rerun (-want +got):\n%s", d)
	}
	if got := prune(true, true); got[1] != "3 would-delete: older than the newest version, not in layerctl.lock, used by no function configuration or alias here (shares not checked: --include-shared)" {
		t.Errorf("--include-shared: %q", got)
	}
}

// fakeEnv is layer "shared" with versions 1 to 4 in the double, a manifest
// and a lock naming lockVersion (0: no lock).
type fakeEnv struct {
	fake *fakelambda.Server
	v    [5]string
	m    *manifest.Manifest
}

func newFakeEnv(t *testing.T, lockVersion int64) *fakeEnv {
	e := &fakeEnv{fake: fakelambda.New()}
	t.Cleanup(e.fake.Close)
	for n := 1; n <= 4; n++ {
		e.v[n] = e.fake.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	}
	l := testenv.PyLayer("shared")
	l.Regions = []string{"us-east-1"}
	e.m = &manifest.Manifest{Dir: t.TempDir(), Layers: []*manifest.Layer{l}}
	if lockVersion > 0 {
		lock := &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{"shared": {CodeSHA256: "x", SHA256: strings.Repeat("0", 64),
			Regions: map[string]*manifest.LockRegion{"us-east-1": {ARN: e.v[lockVersion], Version: lockVersion}}}}}
		if err := lock.Save(e.m.LockPath()); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *fakeEnv) run(t *testing.T, opts RunOptions) *Report {
	t.Helper()
	opts.Manifest, opts.Layers, opts.Clients = e.m, e.m.Layers, clientsAt(e.fake.URL)
	opts.Keep = max(opts.Keep, 1)
	opts.RetryBase = time.Millisecond
	r, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A function that starts using a version between the plan and the delete
// keeps it: the functions are listed again right before deleting.
func TestPruneKeepsAVersionThatGainsAUser(t *testing.T) {
	e := newFakeEnv(t, 0)
	e.fake.PutFunction(fakelambda.Function{Name: "late", Runtime: "python3.12"})
	// The plan's reads are over by the first policy read: the function
	// starts using version 2 then.
	e.fake.OnCall("GetLayerVersionPolicy", 1, func() { e.fake.SetLayers("late", e.v[2]) })
	r := e.run(t, RunOptions{})
	want := []string{
		"4 kept: newest version",
		"3 deleted: older than the newest version, not in layerctl.lock, used by no function configuration or alias, shared with no one",
		"2 kept: used by late (found when checked again before deleting)",
		"1 deleted: older than the newest version, not in layerctl.lock, used by no function configuration or alias, shared with no one",
	}
	if d := cmp.Diff(want, rows(r)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if got := e.fake.Versions("shared"); !slices.Equal(got, []int64{2, 4}) {
		t.Errorf("versions left %v, want 2 and 4", got)
	}
	if n := e.fake.Calls("ListFunctions"); n != 2 {
		t.Errorf("ListFunctions called %d times, want 2 (the plan, the second look)", n)
	}
}

// A version shared between the plan and the delete keeps it too: its
// policy is read again right before.
func TestPruneKeepsAVersionSharedMeanwhile(t *testing.T) {
	e := newFakeEnv(t, 0)
	lc := testenv.LambdaAt(e.fake.URL, "us-east-1")
	e.fake.OnCall("ListFunctions", 2, func() {
		_, err := lc.AddLayerVersionPermission(context.Background(), &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("shared"), VersionNumber: aws.Int64(1),
			StatementId: aws.String("org"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*"), OrganizationId: aws.String("o-abc123defg")})
		if err != nil {
			t.Error(err)
		}
	})
	r := e.run(t, RunOptions{})
	if got := rows(r)[3]; got != "1 kept: shared with organization o-abc123defg: their functions are invisible here (--include-shared deletes it) (found when checked again before deleting)" {
		t.Errorf("version 1: %s", got)
	}
	if got := e.fake.Versions("shared"); !slices.Equal(got, []int64{1, 4}) {
		t.Errorf("versions left %v, want 1 and 4", got)
	}
}

// The lock's version is kept, whatever its age; --keep 2 keeps the newest
// two.
func TestPruneKeepsTheLocksVersion(t *testing.T) {
	e := newFakeEnv(t, 1)
	r := e.run(t, RunOptions{Keep: 2, DryRun: true})
	want := []string{
		"4 kept: newest 2 versions",
		"3 kept: newest 2 versions",
		"2 would-delete: older than the newest 2 versions, not in layerctl.lock, used by no function configuration or alias, shared with no one",
		"1 kept: named in layerctl.lock",
	}
	if d := cmp.Diff(want, rows(r)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if e.fake.Calls("DeleteLayerVersion") != 0 {
		t.Error("--dry-run deleted")
	}
}

// A delete that fails is reported failed; the others are still deleted.
// A policy that cannot be read keeps its version (failed, not deleted).
func TestPruneGoesOnAfterAFailure(t *testing.T) {
	e := newFakeEnv(t, 0)
	e.fake.Inject("GetLayerVersionPolicy", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "no policy for you"})
	e.fake.Inject("DeleteLayerVersion", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "not allowed"})
	r := e.run(t, RunOptions{})
	got := rows(r)
	if !strings.HasPrefix(got[1], "3 failed: reading its permissions; not deleted: AccessDeniedException: no policy for you; prune needs lambda:ListLayerVersions, GetLayerVersionPolicy") {
		t.Errorf("version 3: %s", got[1])
	}
	if !strings.HasPrefix(got[2], "2 failed: deleting it: AccessDeniedException: not allowed; prune needs") || !strings.HasPrefix(got[3], "1 deleted: ") {
		t.Errorf("versions 2 and 1: %q", got[2:])
	}
	if r.Failed() != 2 {
		t.Errorf("%d failed, want 2", r.Failed())
	}
	if left := e.fake.Versions("shared"); !slices.Equal(left, []int64{2, 3, 4}) {
		t.Errorf("versions left %v", left)
	}
}

// While another layerctl has its turn with the lock file (a publish that
// may record an old version), prune waits and deletes nothing.
func TestPruneWaitsForTheLockFile(t *testing.T) {
	e := newFakeEnv(t, 4)
	release, err := manifest.HoldLock(context.Background(), e.m.LockPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	waited := false
	_, err = Run(ctx, RunOptions{Manifest: e.m, Layers: e.m.Layers, Clients: clientsAt(e.fake.URL), Keep: 1,
		Waiting: func(string, int) { waited = true }})
	if err == nil || !waited || !strings.Contains(err.Error(), "nothing was deleted") {
		t.Errorf("waited=%v err=%v", waited, err)
	}
	if e.fake.Calls("DeleteLayerVersion") != 0 || e.fake.Calls("ListLayerVersions") != 0 {
		t.Error("prune went on without the lock file's turn")
	}
	if _, err := os.Stat(e.m.LockPath()); err != nil {
		t.Errorf("the lock file: %v", err)
	}
}
