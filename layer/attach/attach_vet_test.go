package attach

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/testenv"
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
