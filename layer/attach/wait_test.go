package attach

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An update that stays in progress past UpdateTimeout fails the function
// with a message saying so, after reads paced by the waiter (not one
// read per PollInterval for the whole time).
func TestAttachGivesUpOnAnUpdateStuckInProgress(t *testing.T) {
	e := newAttachEnv(t)
	e.fake.UpdateDuration = time.Minute
	e.fn("stuck", e.v1)
	opts := e.options()
	opts.UpdateTimeout = 300 * time.Millisecond
	start := time.Now()
	r := e.attach(context.Background(), e.target(), opts)
	took := time.Since(start)
	if len(r.Functions) != 1 {
		t.Fatalf("report %+v", r)
	}
	f := r.Functions[0]
	if f.Status != "failed" || f.Err == nil || !strings.Contains(f.Err.Error(), "an update was still in progress after 300ms") {
		t.Fatalf("%s: %v\nlog:\n%s", f.Status, f.Err, e.log.String())
	}
	if took > 5*time.Second {
		t.Errorf("gave up after %v, want about the 300ms timeout", took)
	}
	// The waiter's delays grow from PollInterval (10ms): far fewer reads
	// than 300ms / 10ms.
	if n := e.fake.Calls("GetFunction"); n > 20 {
		t.Errorf("%d GetFunction calls while waiting: the waits do not grow", n)
	}
}
