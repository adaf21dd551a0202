package attach

import (
	"context"
	"fmt"
	"testing"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
)

// A panic in an attach worker: no further update starts, the run returns
// the panic as its error, the report still lists every function.
func TestAttachWorkerPanicIsAnError(t *testing.T) {
	e := newAttachEnv(t)
	for i := range 20 {
		e.fn(fmt.Sprintf("f%02d", i), e.a, e.v1)
	}
	// The first "attach" unit resolves the version; the next are functions.
	testenv.PanicIn(t, "attach", 4)
	opts := e.options()
	opts.Concurrency = 1
	r, err := Attach(context.Background(), []Target{e.target()}, opts)
	testenv.WantCrash(t, err, "attach")
	if r == nil || len(r.Functions) != 20 {
		t.Fatalf("report %+v", r)
	}
	failed := 0
	for _, f := range r.Functions {
		if f.Status == layer.StatusFailed {
			failed++
			if !crash.Is(f.Err) {
				t.Errorf("%s failed with %v", f.Function, f.Err)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d functions failed, want the one whose worker panicked: %s", failed, r.Summary())
	}
	if n := e.fake.Calls("UpdateFunctionConfiguration"); n > 8 {
		t.Errorf("%d updates sent: work went on after the panic", n)
	}
}
