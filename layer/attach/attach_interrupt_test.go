package attach

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
)

// sentUpdates is an API that records, for every
// UpdateFunctionConfiguration, when it was sent (past attach's pacing and
// slots) and when its answer came.
type sentUpdates struct {
	API
	mu    sync.Mutex
	calls [][2]time.Time
}

func (s *sentUpdates) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	sent := time.Now()
	out, err := s.API.UpdateFunctionConfiguration(ctx, in, opts...)
	s.mu.Lock()
	s.calls = append(s.calls, [2]time.Time{sent, time.Now()})
	s.mu.Unlock()
	return out, err
}

// inFlightAt counts the updates sent before t and not answered by then.
func (s *sentUpdates) inFlightAt(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c[0].Before(t) && c[1].After(t) {
			n++
		}
	}
	return n
}

// Ctrl-C with 120 functions behind a slow, paced endpoint: from the
// interrupt on, no update is sent (one waiting for the pace or a slot is
// not in flight: it gives up), and every update sent before is waited for
// until it ends, and reported.
func TestAttachInterruptStartsNoNewUpdate(t *testing.T) {
	e := newAttachEnv(t)
	e.fake.Latency = 200 * time.Millisecond
	e.fake.UpdateDuration = 300 * time.Millisecond
	for i := range 120 {
		e.fn(fmt.Sprintf("f%03d", i), e.a, e.v1)
	}
	sent := &sentUpdates{API: testenv.LambdaAt(e.fake.URL, "us-east-1")}
	opts := e.options()
	opts.Lambda = func(string) API { return sent }
	opts.Concurrency, opts.Rate, opts.ReadRate = 10, 12, 80
	opts.PollInterval = 100 * time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := make(chan time.Time, 1)
	go func() {
		// A second into the updates.
		for e.fake.Calls("UpdateFunctionConfiguration") == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Second)
		cancel()
		interrupted <- time.Now()
	}()
	r, err := Attach(ctx, []Target{e.target()}, opts)
	at := <-interrupted
	if !errors.Is(err, context.Canceled) || r == nil || !r.Interrupted {
		t.Fatalf("err %v, report %v", err, r)
	}

	late := 0
	for _, a := range e.fake.Arrivals("UpdateFunctionConfiguration") {
		if a.After(at) {
			late++
		}
	}
	inFlight := sent.inFlightAt(at)
	t.Logf("%d updates sent, %d in flight at the interrupt, %d arrived after it", len(e.fake.Arrivals("UpdateFunctionConfiguration")), inFlight, late)
	if late > inFlight {
		t.Errorf("%d updates arrived after the interrupt, but only %d were in flight then: new ones were started", late, inFlight)
	}

	counts := map[layer.Status]int{}
	for _, f := range r.Functions {
		counts[f.Status]++
		st := e.fake.FunctionState(f.Function)
		if st.Status != "Successful" {
			t.Errorf("%s left %s: its update was not waited for", f.Function, st.Status)
		}
		switch f.Status {
		case layer.StatusAttached:
			if st.Updates != 1 {
				t.Errorf("%s attached with %d updates", f.Function, st.Updates)
			}
			e.wantLayers(f.Function, e.a, e.v2)
		case layer.StatusSkipped:
			if st.Updates != 0 || f.Err == nil || !strings.HasPrefix(f.Err.Error(), "interrupted before it was changed") {
				t.Errorf("%s skipped (%v) with %d updates", f.Function, f.Err, st.Updates)
			}
			e.wantLayers(f.Function, e.a, e.v1)
		default:
			t.Errorf("%s: %s %v", f.Function, f.Status, f.Err)
		}
	}
	if len(r.Functions) != 120 || counts[layer.StatusAttached] == 0 || counts[layer.StatusSkipped] == 0 {
		t.Errorf("statuses %v", counts)
	}
}

// Publishing a version and moving the alias are changes too: once
// interrupted, a function whose update was in flight is seen through, but
// no version is published for it; a later run catches up.
func TestAttachInterruptPublishesNoVersion(t *testing.T) {
	e := newAttachEnv(t)
	e.fake.UpdateDuration = 100 * time.Millisecond
	for i := range 3 {
		name := fmt.Sprintf("f%d", i)
		e.fn(name, e.v1)
		e.fake.PutAlias(name, "live", e.fake.PublishFunctionVersion(name))
	}
	opts := e.options()
	opts.Concurrency, opts.PublishVersion, opts.Alias = 1, true, "live"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for e.fake.Calls("UpdateFunctionConfiguration") == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	r, err := Attach(ctx, []Target{e.target()}, opts)
	if !errors.Is(err, context.Canceled) || r == nil {
		t.Fatalf("err %v, report %v", err, r)
	}
	if n := e.fake.Calls("PublishVersion") + e.fake.Calls("UpdateAlias"); n != 0 {
		t.Errorf("%d PublishVersion/UpdateAlias calls after the interrupt", n)
	}
	// With one call at a time, the functions whose updates went out before
	// the interrupt was seen are whichever got the slot: not always f0, and
	// on a busy machine more than one. Each is attached, with no version.
	s := statuses(r)
	attached := 0
	for name, st := range s {
		if !strings.HasPrefix(st, "attached") {
			continue
		}
		attached++
		if !strings.HasPrefix(st, "attached: no version was published: the run was stopping") {
			t.Errorf("%s: %s", name, st)
		}
		e.wantLayers(name, e.v2)
		if st := e.fake.FunctionState(name); st.Status != "Successful" || st.Aliases["live"] != "1" {
			t.Errorf("%s: %s, alias live -> %s", name, st.Status, st.Aliases["live"])
		}
	}
	if attached == 0 {
		t.Errorf("statuses %v: the update sent before the interrupt was not seen through", s)
	}
}
