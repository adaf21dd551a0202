package attach

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// An update resends every other layer of the function, and Lambda refuses
// one that names a deleted version, or one of another account that is no
// longer shared: such a function is refused before any update, naming the
// layer, and the others are attached; with --atomic nothing changes at
// all. Each other layer is read once, however many functions use it.
func TestAttachRefusesAFunctionWhoseOtherLayerIsGone(t *testing.T) {
	foreign := "arn:aws:lambda:us-east-1:999999999999:layer:tracing:4"
	for _, tc := range []struct {
		name   string
		gone   func(e *attachEnv) string // makes a layer unreadable, returns its ARN
		reason string
		reads  int // GetLayerVersion calls: shared:2 when resolved, then each other layer once
	}{
		{"deleted", func(e *attachEnv) string {
			if _, err := testenv.LambdaAt(e.fake.URL, "us-east-1").DeleteLayerVersion(context.Background(),
				&lambda.DeleteLayerVersionInput{LayerName: aws.String("team-a"), VersionNumber: aws.Int64(1)}); err != nil {
				t.Fatal(err)
			}
			e.fn("tracing", foreign, e.v1) // another account's layer, still shared
			return e.a
		}, "no longer exists (the version was deleted): the function still runs with it, but Lambda refuses an update that sends it again", 5},
		{"unshared", func(e *attachEnv) string { e.fake.Unshare(foreign); return foreign },
			"cannot be read (AccessDeniedException): it was deleted, its owner no longer shares it with this account, or these credentials lack lambda:GetLayerVersion on it", 4},
	} {
		for _, atomic := range []bool{false, true} {
			name := tc.name
			if atomic {
				name += " --atomic"
			}
			t.Run(name, func(t *testing.T) {
				e := newAttachEnv(t)
				gone := tc.gone(e)
				e.fn("broken", gone, e.b, e.v1)
				e.fn("ok1", e.b, e.v1)
				e.fn("ok2", e.v1, e.b, e.c)
				opts := e.options()
				opts.Atomic = atomic
				before := e.fake.Calls("GetLayerVersion")
				r := e.attach(context.Background(), e.target(), opts)
				got := statuses(r)
				if want := "refused: its layer " + gone + " " + tc.reason; !strings.HasPrefix(got["broken"], want) {
					t.Errorf("broken: %s\nwant %s…", got["broken"], want)
				}
				e.wantLayers("broken", gone, e.b, e.v1)
				for name, s := range got {
					want := "attached"
					if atomic {
						want = "skipped: not changed: --atomic, and 1 function(s) refused or failed while planning"
					}
					if name != "broken" && s != want {
						t.Errorf("%s: %s, want %s", name, s, want)
					}
				}
				if atomic {
					if n := e.fake.Calls("UpdateFunctionConfiguration"); n != 0 {
						t.Errorf("--atomic: %d updates sent", n)
					}
				} else {
					e.wantLayers("ok2", e.v2, e.b, e.c)
				}
				if n := e.fake.Calls("GetLayerVersion") - before; n != tc.reads {
					t.Errorf("%d GetLayerVersion calls, want %d: each layer once", n, tc.reads)
				}
			})
		}
	}
}

// On a day when AWS has blocked updating functions on python3.12 (its
// block-update date is 2029-01-10), a function on it is refused before any
// update, the reason naming the runtime and the dates, and --atomic starts
// nothing; --allow-blocked-runtimes tries anyway, with one warning per
// runtime, and Lambda's answer decides.
func TestAttachRefusesAFunctionOnABlockedRuntime(t *testing.T) {
	day := time.Date(2029, 2, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name           string
		atomic, allow  bool
		lambdaRefuses  bool
		old, new, warn string
	}{
		{name: "refused", old: "refused: its runtime python3.12 is past its end of life: AWS deprecated it on 2028-10-31 and has blocked updating functions that use it since 2029-01-10, " +
			"so Lambda refuses to change their configuration (dates from the AWS Lambda runtimes page, checked " + lambdafacts.LifecycleChecked + "); " +
			"move the function to a supported runtime first, or pass --allow-blocked-runtimes to try anyway", new: "attached"},
		{name: "refused --atomic", atomic: true, old: "refused: its runtime python3.12 is past its end of life", new: "skipped: not changed: --atomic, and 2 function(s) refused"},
		{name: "allowed, Lambda accepts", allow: true, old: "attached", new: "attached", warn: "warning: python3.12 is past its end of life"},
		{name: "allowed, Lambda refuses", allow: true, lambdaRefuses: true,
			old: "failed: updating its configuration: operation error Lambda: UpdateFunctionConfiguration", new: "attached", warn: "trying anyway (--allow-blocked-runtimes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAttachEnv(t)
			if tc.lambdaRefuses {
				e.fake.BlockedRuntimes = []string{"python3.12"}
			}
			e.fn("old1", e.a, e.v1) // python3.12
			e.fn("old2", e.v1)
			e.fake.PutFunction(fakelambda.Function{Name: "new", Runtime: "python3.13", Layers: []string{e.v1}})
			opts := e.options()
			opts.Now = func() time.Time { return day }
			opts.Atomic, opts.AllowBlockedRuntimes = tc.atomic, tc.allow
			r := e.attach(context.Background(), e.target(), opts)
			got := statuses(r)
			for _, name := range []string{"old1", "old2"} {
				if !strings.HasPrefix(got[name], tc.old) {
					t.Errorf("%s: %s\nwant %s…", name, got[name], tc.old)
				}
			}
			if !strings.HasPrefix(got["new"], tc.new) {
				t.Errorf("new: %s, want %s…", got["new"], tc.new)
			}
			if tc.lambdaRefuses && !strings.Contains(got["old1"], "The runtime parameter of python3.12 is no longer supported") {
				t.Errorf("old1: %s: want Lambda's reason", got["old1"])
			}
			updates := e.fake.Calls("UpdateFunctionConfiguration")
			switch {
			case !tc.allow && tc.atomic && updates != 0:
				t.Errorf("--atomic: %d updates sent", updates)
			case !tc.allow && e.fake.FunctionState("old1").Updates+e.fake.FunctionState("old2").Updates != 0:
				t.Errorf("a function on a blocked runtime was updated")
			}
			if n := strings.Count(e.log.String(), "warning: python3.12 is past its end of life"); tc.warn != "" && (n != 1 || !strings.Contains(e.log.String(), tc.warn)) {
				t.Errorf("warned %d times, want once: %s\nlog:\n%s", n, tc.warn, e.log.String())
			}
		})
	}
}
