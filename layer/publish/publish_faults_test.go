package publish

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// faultEnv publishes to the fault-injecting Lambda double.
type faultEnv struct {
	t     *testing.T
	fake  *fakelambda.Server
	dir   string
	layer *manifest.Layer
	lock  *manifest.Lock
	log   strings.Builder
	// inline, when set, lowers the size over which ZIPs go through S3.
	inline int64
}

func newFaultEnv(t *testing.T) *faultEnv {
	fake := fakelambda.New()
	t.Cleanup(fake.Close)
	e := &faultEnv{t: t, fake: fake, dir: t.TempDir(), lock: &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{}}}
	e.layer = testenv.PyLayer("faulty", manifest.FileMap{From: "src", To: "python"})
	e.content("v = 0\n")
	return e
}

func (e *faultEnv) content(s string) { testenv.Tree(e.t, e.dir, map[string]string{"src/m.py": s}) }

func (e *faultEnv) publish() Result {
	e.t.Helper()
	art := mustBuildForPublish(e.t, e.dir, e.layer, build.Options{OutDir: filepath.Join(e.dir, "dist")})
	targets := []Target{{Layer: e.layer, Artifact: art, Regions: []string{"us-east-1"}}}
	res := Publish(context.Background(), targets, e.lock, Options{
		Lambda:      func(string) LambdaAPI { return testenv.LambdaAt(e.fake.URL, "us-east-1") },
		Log:         &e.log,
		Sleep:       func(context.Context, time.Duration) error { return nil },
		InlineLimit: e.inline,
	})
	Record(e.lock, targets, res)
	return res[0]
}

func (e *faultEnv) want(r Result, status layer.Status, version int64) {
	e.t.Helper()
	if r.Err != nil || r.Status != status || r.Version != version {
		e.t.Fatalf("got %s %d (%v), want %s %d\nlog:\n%s", r.Status, r.Version, r.Err, status, version, e.log.String())
	}
	if lr := e.lock.Layers["faulty"].Regions["us-east-1"]; lr == nil || lr.Version != version {
		e.t.Fatalf("lock holds %+v, want version %d", lr, version)
	}
}

func TestPublishThroughFaults(t *testing.T) {
	tests := []struct {
		name   string
		inject map[string][]fakelambda.Fault
		calls  map[string]int // PublishLayerVersion requests, at least the list calls
	}{
		{"throttled publish", map[string][]fakelambda.Fault{"PublishLayerVersion": {fakelambda.Throttle(), fakelambda.Throttle()}}, map[string]int{"PublishLayerVersion": 3}},
		{"throttled lookups", map[string][]fakelambda.Fault{"ListLayerVersions": {fakelambda.Throttle(), fakelambda.Throttle()}}, map[string]int{"PublishLayerVersion": 1, "ListLayerVersions": 3}},
		{"server errors", map[string][]fakelambda.Fault{"PublishLayerVersion": {fakelambda.ServerError(), fakelambda.ServerError()}}, map[string]int{"PublishLayerVersion": 3}},
		{"answer lost after the version was made", map[string][]fakelambda.Fault{"PublishLayerVersion": {fakelambda.LostAnswer()}}, map[string]int{"PublishLayerVersion": 1}},
		{"500 after the version was made", map[string][]fakelambda.Fault{"PublishLayerVersion": {{AfterWork: true, Status: 500, Code: "ServiceException"}}}, map[string]int{"PublishLayerVersion": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newFaultEnv(t)
			for op, fs := range tc.inject {
				e.fake.Inject(op, fs...)
			}
			e.want(e.publish(), layer.StatusPublished, 1)
			if vs := e.fake.Versions("faulty"); len(vs) != 1 {
				t.Fatalf("versions %v: published twice", vs)
			}
			for op, n := range tc.calls {
				if got := e.fake.Calls(op); got != n {
					t.Errorf("%s called %d times, want %d", op, got, n)
				}
			}
			// And the next run sees it unchanged.
			e.want(e.publish(), layer.StatusUnchanged, 1)
		})
	}
}

func TestPublishGivesUp(t *testing.T) {
	e := newFaultEnv(t)
	for range publishAttempts {
		e.fake.Inject("PublishLayerVersion", fakelambda.ServerError())
	}
	r := e.publish()
	if r.Status != layer.StatusFailed || r.Err == nil || !strings.Contains(r.Err.Error(), fmt.Sprintf("gave up after %d attempts", publishAttempts)) {
		t.Fatalf("got %s: %v", r.Status, r.Err)
	}
	if len(e.fake.Versions("faulty")) != 0 || e.lock.Layers["faulty"] != nil {
		t.Fatal("a failed publish left a version or a lock entry")
	}
}

func TestPublishAccessDenied(t *testing.T) {
	e := newFaultEnv(t)
	e.fake.Inject("PublishLayerVersion", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "User is not authorized to perform: lambda:PublishLayerVersion"})
	r := e.publish()
	if r.Err == nil || !strings.Contains(r.Err.Error(), "AccessDeniedException") || !strings.Contains(r.Err.Error(), "the credentials need lambda:") {
		t.Fatalf("error %v", r.Err)
	}
	if n := e.fake.Calls("PublishLayerVersion"); n != 1 {
		t.Errorf("access denied was retried: %d calls", n)
	}
}

func TestPublishFindsOldVersionAcrossPages(t *testing.T) {
	e := newFaultEnv(t)
	e.fake.PageSize = 2
	e.want(e.publish(), layer.StatusPublished, 1)
	for i := 1; i <= 4; i++ {
		e.content(fmt.Sprintf("v = %d\n", i))
		e.want(e.publish(), layer.StatusPublished, int64(i+1))
	}
	// Back to the first content, with the lock lost: version 1 is on the
	// last page of ListLayerVersions.
	e.content("v = 0\n")
	e.lock = &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{}}
	e.want(e.publish(), layer.StatusUnchanged, 1)
	if n := e.fake.Calls("ListLayerVersions"); n < 3 {
		t.Errorf("ListLayerVersions called %d times: the paginator did not page", n)
	}
}

func TestPublishRegionNamedTwiceOnce(t *testing.T) {
	e := newFaultEnv(t)
	art := mustBuildForPublish(t, e.dir, e.layer, build.Options{OutDir: filepath.Join(e.dir, "dist")})
	targets := []Target{{Layer: e.layer, Artifact: art, Regions: []string{"us-east-1", "us-east-1"}}}
	res := Publish(context.Background(), targets, e.lock, Options{
		Lambda: func(string) LambdaAPI { return testenv.LambdaAt(e.fake.URL, "us-east-1") },
		Log:    &e.log,
	})
	if len(res) != 1 || res[0].Status != layer.StatusPublished || res[0].Err != nil {
		t.Fatalf("results %+v", res)
	}
	if n := e.fake.Calls("PublishLayerVersion"); n != 1 {
		t.Errorf("PublishLayerVersion called %d times", n)
	}
}

func TestPublishDeletesAVersionItDidNotMean(t *testing.T) {
	tests := []struct {
		name   string
		faults []fakelambda.Fault // on DeleteLayerVersion
		left   int                // versions left
		want   string
	}{
		{"deleted", nil, 0, "version 1 was deleted, nothing was published"},
		{"deleted after a throttle", []fakelambda.Fault{fakelambda.Throttle()}, 0, "version 1 was deleted, nothing was published"},
		{"the delete refused", []fakelambda.Fault{{Status: 403, Code: "AccessDeniedException", Message: "not authorized to perform: lambda:DeleteLayerVersion"}}, 1,
			"deleting version 1 failed too (AccessDeniedException: not authorized to perform: lambda:DeleteLayerVersion): delete it by hand (it needs lambda:DeleteLayerVersion): aws lambda delete-layer-version --region us-east-1 --layer-name faulty --version-number 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newFaultEnv(t)
			e.fake.AlterUploads(1)
			e.fake.Inject("DeleteLayerVersion", tc.faults...)
			r := e.publish()
			if r.Status != layer.StatusFailed || r.Err == nil || !strings.Contains(r.Err.Error(), "Lambda reports CodeSha256") || !strings.Contains(r.Err.Error(), tc.want) {
				t.Fatalf("got %s: %v", r.Status, r.Err)
			}
			if vs := e.fake.Versions("faulty"); len(vs) != tc.left {
				t.Errorf("versions left %v, want %d", vs, tc.left)
			}
			if e.lock.Layers["faulty"] != nil {
				t.Error("a wrong version was recorded in the lock")
			}
			// Not altered this time: published as the next number.
			e.want(e.publish(), layer.StatusPublished, 2)
		})
	}
}
