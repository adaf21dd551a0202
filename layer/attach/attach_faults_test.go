package attach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// attachEnv attaches layer "shared" through the fault-injecting Lambda
// double: versions 1 and 2 exist, the lock records version 2, and other
// teams' layers a, b, c, d sit beside it.
type attachEnv struct {
	t    *testing.T
	fake *fakelambda.Server
	lock *manifest.LockLayer
	v1   string
	v2   string
	a    string
	b    string
	c    string
	d    string
	log  syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newAttachEnv(t *testing.T) *attachEnv {
	fake := fakelambda.Start(t)
	fake.UpdateDuration = 30 * time.Millisecond
	py := []string{"python3.12", "python3.13"}
	e := &attachEnv{t: t, fake: fake}
	e.v1 = fake.AddLayerVersion("shared", py, []string{"x86_64", "arm64"}, 2000)
	e.v2 = fake.AddLayerVersion("shared", py, []string{"x86_64", "arm64"}, 2100)
	e.a = fake.AddLayerVersion("team-a", nil, nil, 100)
	e.b = fake.AddLayerVersion("team-b", nil, nil, 100)
	e.c = fake.AddLayerVersion("team-c", nil, nil, 100)
	e.d = fake.AddLayerVersion("team-d", nil, nil, 100)
	v, err := versions.Get(context.Background(), testenv.LambdaAt(fake.URL, "us-east-1"), "shared", 2)
	if err != nil || v == nil {
		t.Fatalf("version 2: %v %v", v, err)
	}
	e.lock = &manifest.LockLayer{CodeSHA256: v.CodeSHA256, SHA256: strings.Repeat("ab", 32), UnzippedSize: 9000,
		Regions: map[string]*manifest.LockRegion{"us-east-1": {ARN: e.v2, Version: 2}}}
	return e
}

func (e *attachEnv) fn(name string, layers ...string) {
	e.fake.PutFunction(fakelambda.Function{Name: name, Runtime: "python3.12", Layers: layers, Env: map[string]string{"OWNER": name}})
}

func (e *attachEnv) target() Target {
	return Target{Layer: testenv.PyLayer("shared"), Regions: []string{"us-east-1"}, Lock: e.lock}
}

func (e *attachEnv) options() Options {
	return Options{
		Lambda:       func(string) API { return testenv.LambdaAt(e.fake.URL, "us-east-1") },
		Concurrency:  4,
		PollInterval: 10 * time.Millisecond,
		RetryBase:    2 * time.Millisecond,
		Log:          &e.log,
	}
}

func (e *attachEnv) attach(ctx context.Context, t Target, opts Options) *Report {
	e.t.Helper()
	report, err := Attach(ctx, []Target{t}, opts)
	if err != nil {
		e.t.Fatalf("attach: %v\nlog:\n%s", err, e.log.String())
	}
	return report
}

// statuses is "function status" per function, with the reason if any.
func statuses(r *Report) map[string]string {
	out := map[string]string{}
	for _, f := range r.Functions {
		out[f.Function] = string(f.Status)
		if f.Err != nil {
			out[f.Function] += ": " + f.Err.Error()
		}
	}
	return out
}

func (e *attachEnv) layers(name string) []string {
	return e.fake.FunctionState(name).Layers
}

func (e *attachEnv) wantLayers(name string, want ...string) {
	e.t.Helper()
	if want == nil {
		want = []string{}
	}
	got := e.layers(name)
	if got == nil {
		got = []string{}
	}
	if d := cmp.Diff(want, got); d != "" {
		e.t.Errorf("%s's Layers (-want +got):\n%s\nlog:\n%s", name, d, e.log.String())
	}
}

func TestAttachReplacesOnlyThisLayer(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("alone", e.v1)
	e.fn("first", e.v1, e.a, e.b)
	e.fn("middle", e.a, e.v1, e.b)
	e.fn("last", e.a, e.b, e.c, e.v1)
	e.fn("current", e.a, e.v2)
	e.fn("unrelated", e.a)

	r := e.attach(context.Background(), e.target(), e.options())
	want := map[string]string{"alone": "attached", "first": "attached", "middle": "attached", "last": "attached", "current": "unchanged"}
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Fatalf("statuses (-want +got):\n%s\nlog:\n%s", d, e.log.String())
	}
	e.wantLayers("alone", e.v2)
	e.wantLayers("first", e.v2, e.a, e.b)
	e.wantLayers("middle", e.a, e.v2, e.b)
	e.wantLayers("last", e.a, e.b, e.c, e.v2)
	e.wantLayers("current", e.a, e.v2)
	for _, name := range []string{"alone", "first", "middle", "last"} {
		st := e.fake.FunctionState(name)
		if st.Updates != 1 || st.Status != "Successful" || st.Env["OWNER"] != name {
			t.Errorf("%s: %d updates, status %s, env %v", name, st.Updates, st.Status, st.Env)
		}
	}
	for _, name := range []string{"current", "unrelated"} {
		if n := e.fake.FunctionState(name).Updates; n != 0 {
			t.Errorf("%s was updated %d times", name, n)
		}
	}
	if r.Problems() != 0 {
		t.Errorf("problems: %d", r.Problems())
	}
	// The report's from and to are the whole lists.
	for _, f := range r.Functions {
		if f.Function == "middle" && (!cmp.Equal(f.From, []string{e.a, e.v1, e.b}) || !cmp.Equal(f.To, []string{e.a, e.v2, e.b})) {
			t.Errorf("middle: from %v to %v", f.From, f.To)
		}
	}

	// Again: nothing to do.
	r = e.attach(context.Background(), e.target(), e.options())
	for name, s := range statuses(r) {
		if s != "unchanged" {
			t.Errorf("second run: %s %s", name, s)
		}
	}
}

func TestAttachTargets(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("named-without", e.a)
	e.fn("named-with", e.v1, e.b)
	e.fake.PutFunction(fakelambda.Function{Name: "tagged", Runtime: "python3.12", Layers: []string{e.c}, Tags: map[string]string{"team": "payments", "env": "prod"}})
	e.fake.PutFunction(fakelambda.Function{Name: "tagged-other", Runtime: "python3.12", Layers: []string{e.v1}, Tags: map[string]string{"team": "search", "env": "prod"}})
	e.fn("user-not-named", e.v1)

	tg := e.target()
	tg.Functions = []string{"named-without", "arn:aws:lambda:us-east-1:123456789012:function:named-with", "missing"}
	tg.Tags = map[string]string{"team": "payments", "env": "prod"}
	r, err := Attach(context.Background(), []Target{tg}, e.options())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"named-without": "attached",
		"named-with":    "attached",
		"tagged":        "attached",
		"missing":       "failed: no function missing in us-east-1",
	}
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Fatalf("statuses (-want +got):\n%s", d)
	}
	e.wantLayers("named-without", e.a, e.v2)
	e.wantLayers("named-with", e.v2, e.b)
	e.wantLayers("tagged", e.c, e.v2)
	e.wantLayers("tagged-other", e.v1)
	e.wantLayers("user-not-named", e.v1)
	if r.Problems() != 1 {
		t.Errorf("problems %d, want 1", r.Problems())
	}

	// A function ARN in another region is refused, not looked for here.
	tg.Functions, tg.Tags = []string{"arn:aws:lambda:eu-west-1:123456789012:function:x"}, nil
	r, err = Attach(context.Background(), []Target{tg}, e.options())
	if err != nil || r.Functions[0].Status != layer.StatusRefused || !strings.Contains(r.Functions[0].Err.Error(), "it is in eu-west-1, where layer shared is not attached") {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestAttachRefusals(t *testing.T) {
	e := newAttachEnv(t)
	huge := e.fake.AddLayerVersion("huge", nil, nil, 300<<20)
	e.fn("five", e.a, e.b, e.c, e.d, huge)
	e.fn("big", huge, e.v1)
	e.fake.PutFunction(fakelambda.Function{Name: "node", Runtime: "nodejs22.x", Layers: []string{e.v1}})
	e.fake.PutFunction(fakelambda.Function{Name: "image", PackageType: "Image"})
	e.fn("fine", e.v1)

	tg := e.target()
	tg.Functions = []string{"five", "big", "node", "image", "fine"}
	r := e.attach(context.Background(), tg, e.options())
	want := map[string]string{
		"five":  "refused: it would use 6 layers; Lambda allows 5; function and layers would be at least 300.0 MB unzipped; Lambda allows 250.0 MB",
		"big":   "refused: function and layers would be at least 300.0 MB unzipped; Lambda allows 250.0 MB",
		"node":  "refused: its runtime nodejs22.x is not among shared:2's compatible runtimes (python3.12, python3.13)",
		"image": "refused: a container image function cannot use layers: put the layer's content in its image",
		"fine":  "attached",
	}
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Fatalf("statuses (-want +got):\n%s", d)
	}
	for _, name := range []string{"five", "big", "node", "image"} {
		if n := e.fake.FunctionState(name).Updates; n != 0 {
			t.Errorf("%s was updated", name)
		}
	}
	if r.Problems() != 4 {
		t.Errorf("problems %d", r.Problems())
	}
}

func TestAttachDryRunChangesNothing(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("f", e.a, e.v1)
	e.fn("g", e.v2)
	opts := e.options()
	opts.DryRun = true
	r := e.attach(context.Background(), e.target(), opts)
	if d := cmp.Diff(map[string]string{"f": "would-attach", "g": "unchanged"}, statuses(r)); d != "" {
		t.Fatal(d)
	}
	if e.fake.Calls("UpdateFunctionConfiguration") != 0 {
		t.Fatal("--dry-run updated a function")
	}
	if f := r.Functions[0]; !cmp.Equal(f.To, []string{e.a, e.v2}) || !cmp.Equal(f.From, []string{e.a, e.v1}) {
		t.Errorf("plan: from %v to %v", f.From, f.To)
	}
}

func TestAttachRollbackToAnOlderVersion(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("f", e.a, e.v2, e.b)
	tg := e.target()
	tg.Version = 1
	r := e.attach(context.Background(), tg, e.options())
	if s := statuses(r)["f"]; s != "attached" {
		t.Fatal(s)
	}
	e.wantLayers("f", e.a, e.v1, e.b)

	tg.Version = 7
	if _, err := Attach(context.Background(), []Target{tg}, e.options()); err == nil || !strings.Contains(err.Error(), `layer "shared" has no version 7 in us-east-1`) {
		t.Fatalf("error %v", err)
	}
}

// Someone else changes the function between attach's read and its write:
// Lambda refuses the stale RevisionId, attach reads again, and their change
// survives beside ours.
func TestAttachKeepsAConcurrentChange(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("f", e.a, e.v1)
	e.fake.ChangeAfterRead("f", func(f *fakelambda.Function) {
		f.Layers = append([]string{e.c}, f.Layers...)
		f.Env["DEPLOYED_BY"] = "the other team"
	})
	r := e.attach(context.Background(), e.target(), e.options())
	if s := statuses(r)["f"]; s != "attached" {
		t.Fatal(s)
	}
	e.wantLayers("f", e.c, e.a, e.v2)
	if st := e.fake.FunctionState("f"); st.Env["DEPLOYED_BY"] != "the other team" {
		t.Errorf("their change is lost: %v", st.Env)
	}
	if n := e.fake.Calls("UpdateFunctionConfiguration"); n != 2 {
		t.Errorf("%d updates, want 2 (one refused for its stale RevisionId)", n)
	}
	if !strings.Contains(e.log.String(), "changed by someone else since it was read") {
		t.Errorf("log:\n%s", e.log.String())
	}
	if f := r.Functions[0]; !cmp.Equal(f.From, []string{e.c, e.a, e.v1}) {
		t.Errorf("from %v: want the list our update replaced", f.From)
	}
}

func TestAttachWaitsOutUpdatesInProgress(t *testing.T) {
	e := newAttachEnv(t)
	e.fake.UpdateDuration = 150 * time.Millisecond
	e.fn("busy", e.v1)
	e.fn("stormy", e.v1)
	// Someone else's update of busy is in progress when attach starts.
	if _, err := testenv.LambdaAt(e.fake.URL, "us-east-1").UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("busy"), Layers: []string{e.c, e.v1}}); err != nil {
		t.Fatal(err)
	}
	// And then a storm of conflicts.
	for range 5 {
		e.fake.Inject("UpdateFunctionConfiguration", fakelambda.Conflict())
	}
	r := e.attach(context.Background(), e.target(), e.options())
	if d := cmp.Diff(map[string]string{"busy": "attached", "stormy": "attached"}, statuses(r)); d != "" {
		t.Fatalf("%s\nlog:\n%s", d, e.log.String())
	}
	e.wantLayers("busy", e.c, e.v2)
	e.wantLayers("stormy", e.v2)
	if n := e.fake.Calls("UpdateFunctionConfiguration"); n != 8 {
		t.Errorf("%d update calls, want 8 (theirs, 5 conflicts, ours)", n)
	}
	for _, name := range []string{"busy", "stormy"} {
		if st := e.fake.FunctionState(name); st.Status != "Successful" {
			t.Errorf("%s is %s: attach did not wait for its update to end", name, st.Status)
		}
	}
	if !strings.Contains(e.log.String(), "an update is in progress; waiting for it to end") {
		t.Errorf("log:\n%s", e.log.String())
	}
}

func TestAttachStopsAtAConflictStorm(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("f", e.v1)
	for range maxConflicts + 1 {
		e.fake.Inject("UpdateFunctionConfiguration", fakelambda.Conflict())
	}
	r := e.attach(context.Background(), e.target(), e.options())
	if s := statuses(r)["f"]; !strings.HasPrefix(s, "failed: still busy after 11 tries: ResourceConflictException") {
		t.Fatal(s)
	}
	e.wantLayers("f", e.v1)
}

func TestAttachThroughThrottling(t *testing.T) {
	e := newAttachEnv(t)
	for i := range 6 {
		e.fn(fmt.Sprintf("f%d", i), e.a, e.v1)
	}
	// Fewer faults per operation than a call's tries (callAttempts), so
	// that no call can meet them all; every one fires (fakelambda.Start).
	for range 5 {
		e.fake.Inject("ListFunctions", fakelambda.Throttle())
		e.fake.Inject("UpdateFunctionConfiguration", fakelambda.Throttle())
	}
	for range 3 {
		e.fake.Inject("GetFunction", fakelambda.Throttle(), fakelambda.ServerError())
	}
	r := e.attach(context.Background(), e.target(), e.options())
	for name, s := range statuses(r) {
		if s != "attached" {
			t.Errorf("%s: %s", name, s)
		}
		e.wantLayers(name, e.a, e.v2)
	}
	if len(r.Functions) != 6 {
		t.Fatalf("%d functions", len(r.Functions))
	}
	if n := e.fake.Calls("UpdateFunctionConfiguration"); n != 11 {
		t.Errorf("%d update calls, want 11", n)
	}
}

// attach reads functions with GetFunction: a read that is throttled is
// tried again after the Retry-After Lambda gave, one that meets a server
// error after a backoff growing from RetryBase, and the function is then
// attached as if nothing happened.
func TestAttachRetriesThrottledReadsWithBackoff(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("f", e.a, e.v1)
	e.fake.Inject("GetFunction", fakelambda.Fault{Status: 429, Code: "TooManyRequestsException", Message: "Rate exceeded", RetryAfter: "1"}, fakelambda.ServerError())
	opts := e.options()
	opts.RetryBase = 50 * time.Millisecond
	r := e.attach(context.Background(), e.target(), opts)
	if s := statuses(r)["f"]; s != "attached" {
		t.Fatalf("%s\nlog:\n%s", s, e.log.String())
	}
	e.wantLayers("f", e.a, e.v2)
	// The first three reads are the plan's: throttled, server error, answered.
	at := e.fake.Arrivals("GetFunction")
	if len(at) < 3 {
		t.Fatalf("%d GetFunction calls, want at least 3", len(at))
	}
	if gap := at[1].Sub(at[0]); gap < time.Second {
		t.Errorf("read again %v after a throttle saying Retry-After: 1", gap)
	}
	if gap := at[2].Sub(at[1]); gap < 100*time.Millisecond {
		t.Errorf("read again %v after a server error, want a backoff of at least 2×RetryBase (100ms) on the second try", gap)
	}
}

func TestAttachNeverMoreCallsInFlightThanConcurrency(t *testing.T) {
	e := newAttachEnv(t)
	e.fake.Latency = 3 * time.Millisecond
	for i := range 40 {
		e.fn(fmt.Sprintf("f%02d", i), e.v1)
	}
	opts := e.options()
	opts.Concurrency = 3
	r := e.attach(context.Background(), e.target(), opts)
	if len(r.Functions) != 40 || r.Problems() != 0 {
		t.Fatalf("%d functions, %d problems", len(r.Functions), r.Problems())
	}
	if got := e.fake.MaxInFlight(); got > 3 {
		t.Errorf("%d calls in flight, --concurrency 3", got)
	} else if got < 3 {
		t.Errorf("at most %d calls in flight: the concurrency allowed was not used", got)
	}
}

func TestAttachPublishesAVersionAndMovesTheAlias(t *testing.T) {
	e := newAttachEnv(t)
	for _, name := range []string{"f", "g"} {
		e.fn(name, e.a, e.v1)
		v := e.fake.PublishFunctionVersion(name)
		e.fake.PutAlias(name, "live", v)
	}
	e.fn("h", e.a, e.v2) // already attached, alias left behind by an earlier run
	e.fake.PutAlias("h", "live", e.fake.PublishFunctionVersion("h"))
	e.fake.ChangeAfterRead("h", func(f *fakelambda.Function) { f.Env["NEW"] = "config" })
	opts := e.options()
	opts.PublishVersion, opts.Alias = true, "live"
	r := e.attach(context.Background(), e.target(), opts)
	if d := cmp.Diff(map[string]string{"f": "attached", "g": "attached", "h": "unchanged"}, statuses(r)); d != "" {
		t.Fatalf("%s\nlog:\n%s", d, e.log.String())
	}
	for _, name := range []string{"f", "g"} {
		st := e.fake.FunctionState(name)
		want := []string{e.a + "," + e.v1, e.a + "," + e.v2}
		if d := cmp.Diff(want, st.Versions); d != "" || st.Aliases["live"] != "2" {
			t.Errorf("%s: alias live -> %s; versions (-want +got):\n%s", name, st.Aliases["live"], d)
		}
	}
	if !strings.Contains(e.log.String(), "f us-east-1: published version 2; alias live: 1 -> 2") {
		t.Errorf("log:\n%s", e.log.String())
	}
	// h's configuration changed (someone else's change) since its version 1:
	// publishing it holds their change, with our layers, which is what $LATEST is.
	if st := e.fake.FunctionState("h"); st.Aliases["live"] != "2" {
		t.Errorf("h: alias live -> %s", st.Aliases["live"])
	}

	// An alias that does not exist: refused before anything changes.
	e.fn("noalias", e.v1)
	opts.Alias = "nosuch"
	tg := e.target()
	tg.Functions = []string{"noalias"}
	r = e.attach(context.Background(), tg, opts)
	if s := statuses(r)["noalias"]; s != `refused: it has no alias "nosuch": create it first (aws lambda create-alias), or leave --alias out` {
		t.Fatal(s)
	}
}

func TestAttachFailedUpdate(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("ok", e.a, e.v1)
	e.fn("broken", e.a, e.v1)
	e.fn("stuck", e.a, e.v1)
	withV2 := func(layers []string) bool { return slices.Contains(layers, e.v2) }
	e.fake.FailUpdates("broken", "Unzipped size must be smaller than 262144000 bytes", withV2)
	e.fake.FailUpdates("stuck", "The function's ENI could not be created", nil)
	r := e.attach(context.Background(), e.target(), e.options())
	want := map[string]string{
		"ok":     "attached",
		"broken": "failed: Lambda could not apply the update: Unzipped size must be smaller than 262144000 bytes (InvalidConfiguration)",
		"stuck": "failed: Lambda could not apply the update: The function's ENI could not be created (InvalidConfiguration); " +
			"putting its layers back failed too: Lambda could not apply it: The function's ENI could not be created (InvalidConfiguration)",
	}
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Fatal(d)
	}
	e.wantLayers("ok", e.a, e.v2)
	// The fake keeps the configuration that failed; attach put it back.
	e.wantLayers("broken", e.a, e.v1)
	if r.Problems() != 2 {
		t.Errorf("problems %d", r.Problems())
	}
}

func TestAttachAtomicPutsEveryFunctionBack(t *testing.T) {
	e := newAttachEnv(t)
	before := map[string][]string{}
	for i := range 8 {
		name := fmt.Sprintf("f%d", i)
		layers := [][]string{{e.v1}, {e.a, e.v1}, {e.v1, e.a, e.b}}[i%3]
		e.fn(name, layers...)
		e.fake.PutAlias(name, "live", e.fake.PublishFunctionVersion(name))
		before[name] = layers
	}
	e.fake.FailUpdates("f5", "InsufficientRolePermissions", func(layers []string) bool { return slices.Contains(layers, e.v2) })
	opts := e.options()
	opts.Atomic, opts.PublishVersion, opts.Alias = true, true, "live"
	r := e.attach(context.Background(), e.target(), opts)
	if !r.RolledBack {
		t.Error("not rolled back")
	}
	for _, f := range r.Functions {
		switch {
		case f.Function == "f5":
			if f.Status != layer.StatusFailed || !strings.Contains(f.Err.Error(), "InsufficientRolePermissions") || !strings.Contains(f.Err.Error(), "its layers were put back") {
				t.Errorf("f5: %s %v", f.Status, f.Err)
			}
		case f.Status != layer.StatusRolledBack && f.Status != layer.StatusSkipped:
			t.Errorf("%s: %s %v", f.Function, f.Status, f.Err)
		}
		e.wantLayers(f.Function, before[f.Function]...)
		if st := e.fake.FunctionState(f.Function); st.Aliases["live"] != "1" || st.Status == "InProgress" {
			t.Errorf("%s: alias live -> %s, status %s", f.Function, st.Aliases["live"], st.Status)
		}
	}
	if r.Problems() == 0 {
		t.Error("no problems reported")
	}
}

func TestAtomicRefusalChangesNothing(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("ok", e.v1)
	e.fake.PutFunction(fakelambda.Function{Name: "node", Runtime: "nodejs22.x", Layers: []string{e.v1}})
	opts := e.options()
	opts.Atomic = true
	r := e.attach(context.Background(), e.target(), opts)
	if s := statuses(r); !strings.HasPrefix(s["node"], "refused") || !strings.HasPrefix(s["ok"], "skipped: not changed: --atomic, and 1 function(s) refused") {
		t.Fatal(s)
	}
	if e.fake.Calls("UpdateFunctionConfiguration") != 0 {
		t.Fatal("updated")
	}
}

// Ctrl-C midway: the updates already sent end and are reported; the
// functions not yet changed are left alone; no function is left without
// its layers.
func TestAttachInterrupted(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		t.Run(fmt.Sprintf("atomic=%v", atomic), func(t *testing.T) {
			e := newAttachEnv(t)
			e.fake.UpdateDuration = 60 * time.Millisecond
			for i := range 30 {
				e.fn(fmt.Sprintf("f%02d", i), e.a, e.v1, e.b)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for e.fake.Calls("UpdateFunctionConfiguration") < 5 {
					time.Sleep(time.Millisecond)
				}
				cancel()
			}()
			opts := e.options()
			opts.Concurrency, opts.Atomic = 2, atomic
			r, err := Attach(ctx, []Target{e.target()}, opts)
			if !errors.Is(err, context.Canceled) || r == nil || !r.Interrupted {
				t.Fatalf("err %v, report %+v", err, r)
			}
			counts := map[layer.Status]int{}
			for _, f := range r.Functions {
				counts[f.Status]++
				st := e.fake.FunctionState(f.Function)
				if st.Status != "Successful" {
					t.Errorf("%s left %s", f.Function, st.Status)
				}
				switch f.Status {
				case layer.StatusAttached:
					e.wantLayers(f.Function, e.a, e.v2, e.b)
				case layer.StatusSkipped, layer.StatusRolledBack:
					e.wantLayers(f.Function, e.a, e.v1, e.b)
				default:
					t.Errorf("%s: %s %v", f.Function, f.Status, f.Err)
				}
			}
			if len(r.Functions) != 30 || counts[layer.StatusSkipped] == 0 {
				t.Errorf("statuses %v", counts)
			}
			if atomic && counts[layer.StatusRolledBack] < 5 || !atomic && counts[layer.StatusAttached] < 5 {
				t.Errorf("statuses %v: the updates sent were not all seen through", counts)
			}
			if !strings.Contains(err.Error(), "interrupted: ") {
				t.Errorf("error %v", err)
			}
		})
	}
}

// Someone else changes the function after its update ended, before its
// version is published: no version is published (it would hold their
// change), and the alias stays where it was.
func TestAttachPublishesOnlyWhatItSet(t *testing.T) {
	e := newAttachEnv(t)
	e.fn("f", e.v1)
	e.fake.PutAlias("f", "live", e.fake.PublishFunctionVersion("f"))
	e.fake.ChangeAfterUpdate("f", func(f *fakelambda.Function) { f.Env["DEBUG"] = "1" })
	opts := e.options()
	opts.PublishVersion, opts.Alias = true, "live"
	r := e.attach(context.Background(), e.target(), opts)
	if s := statuses(r)["f"]; !strings.HasPrefix(s, "failed: the layers were attached, but the function changed again before its version was published") {
		t.Fatal(s)
	}
	st := e.fake.FunctionState("f")
	if len(st.Versions) != 1 || st.Aliases["live"] != "1" {
		t.Errorf("versions %v, alias live -> %s", st.Versions, st.Aliases["live"])
	}
	e.wantLayers("f", e.v2)
}

// With Lambda's per-second quota on control-plane calls (scaled up here to
// keep the test short), pacing keeps attach under it; without pacing it is
// throttled, backs off, and still gets there.
func TestAttachPacesUnderTheRequestQuota(t *testing.T) {
	for _, rate := range []float64{32, 0} {
		t.Run(fmt.Sprintf("rate=%v", rate), func(t *testing.T) {
			e := newAttachEnv(t)
			e.fake.UpdateDuration = 10 * time.Millisecond
			e.fake.ControlPlaneRate = 40
			for i := range 40 {
				e.fn(fmt.Sprintf("f%02d", i), e.a, e.v1)
			}
			opts := e.options()
			opts.Concurrency, opts.Rate = 10, rate
			opts.RetryBase = 25 * time.Millisecond // backoffs long enough for the quota's window to pass
			r := e.attach(context.Background(), e.target(), opts)
			if len(r.Functions) != 40 || r.Problems() != 0 {
				t.Fatalf("%d functions: %s", len(r.Functions), r.Summary())
			}
			switch n := e.fake.Throttled(); {
			case rate > 0 && n > 0:
				t.Errorf("paced at %v/s, throttled %d times", rate, n)
			case rate == 0 && n == 0:
				t.Errorf("not paced, never throttled: the test proves nothing")
			}
		})
	}
}

// Each region attaches its own region's version: the lock's where it has
// one, else the newest version holding the content's digest.
func TestAttachInEveryRegion(t *testing.T) {
	ctx := context.Background()
	sha := strings.Repeat("cd", 32)
	fakes := map[string]*fakelambda.Server{}
	publish := func(region, content, desc string) string {
		out, err := testenv.LambdaAt(fakes[region].URL, region).PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("shared"),
			Description: aws.String(desc), Content: &types.LayerVersionContentInput{ZipFile: []byte(content)}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.LayerVersionArn)
	}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		f := fakelambda.Start(t)
		f.Region, f.UpdateDuration = region, 10*time.Millisecond
		fakes[region] = f
	}
	tag := strings.TrimSpace(manifest.DigestTag(sha))
	eastOld, eastNew := publish("us-east-1", "old", ""), publish("us-east-1", "new", tag)
	publish("eu-west-1", "other", "")
	westOld, westNew := publish("eu-west-1", "old", ""), publish("eu-west-1", "new", tag)
	foreign := "arn:aws:lambda:eu-west-1:999999999999:layer:tracing:4"
	fakes["us-east-1"].PutFunction(fakelambda.Function{Name: "e", Runtime: "python3.12", Layers: []string{eastOld}})
	fakes["eu-west-1"].PutFunction(fakelambda.Function{Name: "w", Runtime: "python3.12", Layers: []string{foreign, westOld}})

	v, err := versions.Get(ctx, testenv.LambdaAt(fakes["us-east-1"].URL, "us-east-1"), "shared", 2)
	if err != nil {
		t.Fatal(err)
	}
	lock := &manifest.LockLayer{SHA256: sha, CodeSHA256: v.CodeSHA256, Regions: map[string]*manifest.LockRegion{"us-east-1": {ARN: eastNew, Version: 2}}}
	tg := Target{Layer: testenv.PyLayer("shared"), Regions: []string{"us-east-1", "eu-west-1"}, Lock: lock}
	opts := Options{Lambda: func(region string) API { return testenv.LambdaAt(fakes[region].URL, region) }, PollInterval: 5 * time.Millisecond}
	r, err := Attach(ctx, []Target{tg}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Functions {
		got = append(got, f.Region+" "+f.Function+" "+string(f.Status))
	}
	if d := cmp.Diff([]string{"eu-west-1 w attached", "us-east-1 e attached"}, got); d != "" {
		t.Fatal(d)
	}
	if l := fakes["us-east-1"].FunctionState("e").Layers; !cmp.Equal(l, []string{eastNew}) {
		t.Errorf("e: %v", l)
	}
	if l := fakes["eu-west-1"].FunctionState("w").Layers; !cmp.Equal(l, []string{foreign, westNew}) {
		t.Errorf("w: %v", l)
	}

	// A region where no version holds the content: the run stops before
	// any function anywhere is read.
	tg.Regions = append(tg.Regions, "ap-south-1")
	fakes["ap-south-1"] = fakelambda.Start(t)
	reads := fakes["us-east-1"].Calls("GetFunction")
	_, err = Attach(ctx, []Target{tg}, opts)
	if err == nil || !strings.Contains(err.Error(), `no version of layer "shared" in ap-south-1 holds its content (sha256 cdcdcdcdcdcd): run layerctl publish first`) {
		t.Fatalf("error %v", err)
	}
	if n := fakes["us-east-1"].Calls("GetFunction"); n != reads {
		t.Errorf("functions were read (%d calls) though the run could not go on", n-reads)
	}
}

// A lock entry that no longer matches Lambda (its version deleted, or
// holding other bytes) is refused before any function is read, naming the
// lock where it is kept: layerctl.lock, or the S3 lock's URL.
func TestAttachRefusesALockEntryThatIsWrongNamingTheLock(t *testing.T) {
	for _, tc := range []struct {
		name, lockName, want string
		entry                func(e *attachEnv) *manifest.LockLayer
	}{
		{"deleted version, file", "", `layer "shared": version 7, which layerctl.lock records for us-east-1, no longer exists; run layerctl publish`,
			func(e *attachEnv) *manifest.LockLayer {
				l := *e.lock
				l.Regions = map[string]*manifest.LockRegion{"us-east-1": {ARN: e.v2[:len(e.v2)-1] + "7", Version: 7}}
				return &l
			}},
		{"other content, S3", "the S3 lock s3://org-layers/layerctl.lock", `layer "shared": version 2 in us-east-1 holds other content (CodeSha256 `,
			func(e *attachEnv) *manifest.LockLayer {
				l := *e.lock
				l.CodeSHA256 = "b3RoZXI="
				return &l
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAttachEnv(t)
			e.fn("orders", e.v1)
			target := e.target()
			target.Lock, target.LockName = tc.entry(e), tc.lockName
			_, err := Attach(context.Background(), []Target{target}, e.options())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if tc.lockName != "" && !strings.Contains(err.Error(), "than the S3 lock s3://org-layers/layerctl.lock records (b3RoZXI=)") {
				t.Errorf("error %v does not name the S3 lock", err)
			}
			if n := e.fake.Calls("UpdateFunctionConfiguration"); n != 0 {
				t.Errorf("%d updates", n)
			}
		})
	}
}
