package attach

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/fakelambda"
)

// snapEnv has "snap", a SnapStart function, and "plain", one without,
// both with alias live on a version using shared:1.
func snapEnv(t *testing.T, snapshot time.Duration, failure string) *attachEnv {
	e := newAttachEnv(t)
	e.fake.SnapStartDuration = snapshot
	e.fake.PutFunction(fakelambda.Function{Name: "snap", Runtime: "python3.12", Layers: []string{e.a, e.v1}, SnapStart: true, SnapStartFailure: failure})
	e.fn("plain", e.a, e.v1)
	for _, name := range []string{"snap", "plain"} {
		e.fake.PutAlias(name, "live", "$LATEST")
	}
	return e
}

// A version published from a SnapStart function is Pending until its
// snapshot is ready: the alias is moved to it only once it is Active,
// never before (calls through it would fail); a function without
// SnapStart has its alias moved at once.
func TestAttachMovesASnapStartAliasOnceTheVersionIsActive(t *testing.T) {
	e := snapEnv(t, 400*time.Millisecond, "")
	opts := e.options()
	opts.PublishVersion, opts.Alias = true, "live"
	r := e.attach(context.Background(), e.target(), opts)
	if got := statuses(r); got["snap"] != "attached" || got["plain"] != "attached" {
		t.Fatalf("%v\nlog:\n%s", got, e.log.String())
	}
	for _, name := range []string{"snap", "plain"} {
		st := e.fake.FunctionState(name)
		if st.Aliases["live"] != "1" || st.AliasedPending != 0 {
			t.Errorf("%s: alias live -> %s, moved to a Pending version %d times", name, st.Aliases["live"], st.AliasedPending)
		}
	}
	published, moved := e.fake.Arrivals("PublishVersion"), e.fake.Arrivals("UpdateAlias")
	if len(published) != 2 || len(moved) != 2 {
		t.Fatalf("%d versions published, %d aliases moved", len(published), len(moved))
	}
	// The later alias move is snap's, after its snapshot's 400ms.
	if wait := moved[1].Sub(published[0]); wait < 400*time.Millisecond {
		t.Errorf("the last alias moved %v after the first publish: snap's did not wait for its snapshot", wait)
	}
	if !strings.Contains(e.log.String(), "snap us-east-1: published version 1; it is Pending (SnapStart makes its snapshot first): waiting for it to be Active before moving alias live") {
		t.Errorf("log:\n%s", e.log.String())
	}
}

// A snapshot not ready within --timeout, or one that failed: the function
// is failed, saying why, and its alias stays where it was; the others go
// on.
func TestAttachLeavesTheAliasOfAVersionNeverActive(t *testing.T) {
	for _, tc := range []struct {
		name     string
		snapshot time.Duration
		failure  string
		want     string
	}{
		{"timeout", time.Minute, "", "failed: published version 1, but it was still Pending after 300ms (--timeout): its SnapStart snapshot was not ready, " +
			"and calls through an alias pointing at it would fail (SnapStartNotReadyException); alias live was not moved: run attach again once the version is Active"},
		{"failed", 50 * time.Millisecond, "Init error: class not found", "failed: published version 1, but it ended Failed: Init error: class not found (FunctionError); alias live was not moved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := snapEnv(t, tc.snapshot, tc.failure)
			opts := e.options()
			opts.PublishVersion, opts.Alias = true, "live"
			opts.UpdateTimeout = 300 * time.Millisecond
			start := time.Now()
			r := e.attach(context.Background(), e.target(), opts)
			got := statuses(r)
			if !strings.HasPrefix(got["snap"], tc.want) || got["plain"] != "attached" {
				t.Fatalf("snap: %s\nwant %s…\nplain: %s", got["snap"], tc.want, got["plain"])
			}
			if st := e.fake.FunctionState("snap"); st.Aliases["live"] != "$LATEST" || st.AliasedPending != 0 {
				t.Errorf("snap: alias live -> %s (moved to a Pending version %d times)", st.Aliases["live"], st.AliasedPending)
			}
			e.wantLayers("snap", e.a, e.v2)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("gave up after %v, want about the 300ms timeout", took)
			}
		})
	}
}

// Ctrl-C while waiting for a SnapStart version: the wait ends, the alias
// stays where it was (moving it is a change), and the report says so.
func TestAttachInterruptedWaitingForASnapshot(t *testing.T) {
	e := snapEnv(t, time.Minute, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for e.fake.Calls("PublishVersion") < 2 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	opts := e.options()
	opts.PublishVersion, opts.Alias = true, "live"
	start := time.Now()
	r, err := Attach(ctx, []Target{e.target()}, opts)
	if err == nil || r == nil || !r.Interrupted {
		t.Fatalf("err %v, report %+v", err, r)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("returned %v after the start: the wait went on past the interrupt", took)
	}
	if s := statuses(r)["snap"]; !strings.HasPrefix(s, "failed: published version 1, but the run was stopping (interrupted, --atomic, or an internal error) while it waited to be Active; alias live was not moved") {
		t.Errorf("snap: %s", s)
	}
	if st := e.fake.FunctionState("snap"); st.Aliases["live"] != "$LATEST" {
		t.Errorf("snap: alias live -> %s", st.Aliases["live"])
	}
}
