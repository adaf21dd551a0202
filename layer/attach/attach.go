package attach

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/pacing"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

// Target is one manifest layer to attach, in its regions.
type Target struct {
	Layer   *manifest.Layer
	Regions []string
	// Version is the version to attach (a rollback: --version N); 0 means the
	// version holding the layer's content: the lock's, else the newest one
	// carrying Lock's or layer.Artifact's digest.
	Version int64
	Lock    *manifest.LockLayer // the lock's record of the layer; nil when it has none
	// LockName names the lock in messages (the manifest's Lock.String()); "" is
	// layerctl.lock.
	LockName string
	Artifact *layer.Artifact // the built content, used when Lock is nil
	// Functions (names or ARNs) and functions carrying every one of Tags are
	// the targets. With neither, the targets are the functions already using
	// some version of the layer.
	Functions []string
	Tags      map[string]string
}

// Options are the clients and knobs of an attach run.
type Options struct {
	Lambda         func(region string) API
	DryRun         bool   // read and plan; change nothing
	Atomic         bool   // if any function fails, put every changed one back
	PublishVersion bool   // publish a function version after the update
	Alias          string // then point this alias at it (needs PublishVersion)
	// Concurrency bounds the AWS calls in flight at once, over every region
	// and function; 0 means 10. Up to 4 times as many functions are worked
	// on at once, since most of a function's time is spent waiting for its
	// update to end.
	Concurrency   int
	PollInterval  time.Duration // first wait before reading an update in progress again; 0 means 500ms
	UpdateTimeout time.Duration // the longest one update may stay in progress, or a new version Pending (--timeout); 0 means 15 minutes
	// GracePeriod is how long, after an interrupt, updates already sent may
	// still be waited for (and --atomic rollbacks made); 0 means 2 minutes.
	GracePeriod time.Duration
	RetryBase   time.Duration // first backoff after a throttle or server error; 0 means 200ms
	// Rate and ReadRate pace the calls per second: GetFunction (Lambda's
	// quota: 100 per second) and every other call (15 per second, shared by
	// all control-plane calls of the account and region); 0 does not pace.
	Rate, ReadRate float64
	// AllowBlockedRuntimes tries to update functions whose runtime AWS has
	// blocked for updates (by lambdafacts' lifecycle table), instead of
	// refusing them.
	AllowBlockedRuntimes bool
	// Now is today, for the runtime lifecycle; nil means the clock.
	Now func() time.Time
	Log io.Writer // what happens, for people
	// Account is the account Lambda acts in (an ID the manifest names; ""
	// for the credentials' own): the results say so, and with the region
	// it keys Lambda's quotas.
	Account string
	// Limiter, when set, paces the calls (runs in several accounts share
	// one: one bound on the calls in flight, each account and region
	// paced apart); nil makes one from Concurrency, Rate and ReadRate.
	Limiter *pacing.Limiter
}

// FunctionResult is what attach did, or would do, to one function. A
// function of "" is an account and region attach could not work in (its
// role could not be assumed, a version could not be found), with why.
type FunctionResult struct {
	Function string
	Account  string // the account the manifest names; "" for the credentials' own
	Region   string
	Status   layer.Status
	From     []string // its Layers before
	To       []string // its Layers after (planned, for would-attach and refused)
	Err      error    // why refused, failed, skipped or not put back
	// Version is the function version published (--publish-version), and
	// AliasFrom the version the alias pointed to before it was moved.
	Version, AliasFrom string
}

// Report is every function attach looked at, by account, region then name.
type Report struct {
	Functions []FunctionResult
	// Caller is the account of the run's own credentials ("" when
	// unknown): the account of the functions whose Account is "".
	Caller      string
	Interrupted bool // stopped midway: functions not yet changed were left alone
	RolledBack  bool // --atomic put the changed functions back
	// Looked is where each layer's functions were looked for, and how:
	// what to tell when none was found.
	Looked []Looked
}

// Looked is how one layer's target functions were looked for: in Regions,
// by Tags, or (neither Tags nor named functions) every function using it.
type Looked struct {
	Layer   string
	Regions []string
	Tags    map[string]string
	ByUse   bool
}

// Problems counts the functions that did not end as asked: refused, failed,
// rolled back or not put back.
func (r *Report) Problems() int {
	n := 0
	for _, f := range r.Functions {
		switch f.Status {
		case layer.StatusRefused, layer.StatusFailed, layer.StatusRolledBack, layer.StatusRollbackFailed:
			n++
		}
	}
	return n
}

// errStopped is a function left alone because the run is stopping.
var errStopped = pacing.ErrStopped

// Attach moves functions onto layer versions. It resolves each layer's
// version per region, finds the target functions, then reads, plans and
// (unless DryRun) updates each, with bounded concurrency: each update
// carries the RevisionId it was planned from, is planned again when someone
// else changed the function meanwhile, waits out updates in progress, and
// is waited for until Lambda says it ended. Under DryRun and Atomic every
// function is planned before any is changed. The error is for what stops
// the whole run before any change (a version that cannot be found, a
// listing that fails) or an interrupt; what happened to each function is in
// the report.
func Attach(ctx context.Context, targets []Target, opts Options) (*Report, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 10
	}
	opts.PollInterval = cmp.Or(opts.PollInterval, 500*time.Millisecond)
	opts.UpdateTimeout = cmp.Or(opts.UpdateTimeout, 15*time.Minute)
	opts.GracePeriod = cmp.Or(opts.GracePeriod, 2*time.Minute)
	opts.RetryBase = cmp.Or(opts.RetryBase, 200*time.Millisecond)
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	limiter := opts.Limiter
	if limiter == nil {
		limiter = pacing.New(opts.Concurrency, opts.RetryBase, opts.ReadRate, opts.Rate)
	}
	r := &attachRun{opts: opts, limiter: limiter, apis: map[string]limitedAPI{},
		others: map[string]*otherLayerCheck{}, today: opts.Now(), warned: map[string]bool{}}
	// start ends at the interrupt, or when --atomic (or a bug) stops the
	// run: from then on no update is sent, not even one already waiting
	// for its turn (pacing.Unless).
	r.start, r.stopStarting = context.WithCancel(ctx)
	defer r.stopStarting()
	report, err := r.run(ctx, targets)
	if cerr := r.crashed(); cerr != nil {
		// A bug: the run stopped starting updates; the report says where
		// each function was left, and the error is the bug.
		return report, cerr
	}
	return report, err
}

func (r *attachRun) run(ctx context.Context, targets []Target) (*Report, error) {
	opts := r.opts
	cands, err := r.resolveAll(ctx, targets)
	if err != nil {
		return nil, err
	}
	jobs, err := r.discover(ctx, targets, cands)
	if err != nil {
		return nil, err
	}
	report := &Report{}
	for _, t := range targets {
		report.Looked = append(report.Looked, Looked{Layer: t.Layer.Name, Regions: t.Regions, Tags: t.Tags, ByUse: len(t.Functions) == 0 && len(t.Tags) == 0})
	}
	unplanned := func(j *attachJob) bool { return j.res.Status == "" }
	interrupted := func() bool { return ctx.Err() != nil || r.crashed() != nil }

	// From the first update on, calls use work: an interrupt stops new
	// changes but lets the updates already sent end (for a while), so that
	// the report says what each function is left with.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(opts.GracePeriod, cancelWork) })
	defer stopGrace()
	stopping := func() bool { return r.start.Err() != nil }

	if opts.DryRun || opts.Atomic {
		// Every function is read and planned before any is changed: a
		// refusal under --atomic then costs no update and no rollback.
		r.each(jobs, unplanned, interrupted, func(j *attachJob) { r.plan(ctx, j) })
		if ctx.Err() != nil {
			report.Interrupted = true
			r.skipUnfinished(jobs, "interrupted before any function was changed")
			return r.finish(report, jobs), fmt.Errorf("interrupted while reading the functions; nothing was changed: %w", ctx.Err())
		}
		if opts.DryRun {
			return r.finish(report, jobs), nil
		}
		if bad := countStatus(jobs, layer.StatusRefused, layer.StatusFailed); bad > 0 {
			r.skipPlanned(jobs, fmt.Sprintf("not changed: --atomic, and %d function(s) refused or failed while planning", bad))
			return r.finish(report, jobs), nil
		}
		r.each(jobs, r.needsApply, stopping, func(j *attachJob) { r.apply(work, j) })
	} else {
		// Each function is changed as soon as it is planned.
		r.each(jobs, unplanned, stopping, func(j *attachJob) {
			if r.plan(ctx, j); r.needsApply(j) {
				r.apply(work, j)
			}
		})
	}
	report.Interrupted = ctx.Err() != nil
	r.skipUnfinished(jobs, r.stopReason(ctx))

	if opts.Atomic && (report.Interrupted || r.aborted.Load()) {
		report.RolledBack = true
		never := func() bool { return false }
		r.each(jobs, func(j *attachJob) bool { return j.updated }, never, func(j *attachJob) { r.rollback(work, j) })
	}
	r.finish(report, jobs)
	if report.Interrupted {
		return report, stoppedBy(report, ctx.Err())
	}
	return report, nil
}

// attachRun is one Attach call's shared state.
type attachRun struct {
	opts    Options
	limiter *pacing.Limiter
	today   time.Time   // for the runtime lifecycle
	aborted atomic.Bool // --atomic: a function failed, start no more updates
	// start ends when no more updates may start: the interrupt, or
	// stopStarting (--atomic after a failure, a bug).
	start        context.Context
	stopStarting context.CancelFunc

	mu     sync.Mutex
	apis   map[string]limitedAPI
	others map[string]*otherLayerCheck // the other layers resent, by version ARN (vet)
	warned map[string]bool             // the blocked runtimes already warned of
	crash  error                       // the first panic caught in a worker (a bug): start nothing more
}

// crashed is the panic a worker caught, if any.
func (r *attachRun) crashed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.crash
}

// attachJob is one function in one region, and what happened to it.
type attachJob struct {
	region, name string
	id           string // what the API is called with: the name, or the ARN given
	wants        []*attachWant
	res          FunctionResult

	listed  []string                     // Layers as ListFunctions gave them, when it did
	cfg     *types.FunctionConfiguration // the last configuration read
	from    []string                     // Layers right before our update
	to      []string                     // Layers our update set
	updated bool                         // an update of ours was accepted
	moved   bool                         // the alias was moved
}

func (r *attachRun) api(region string) limitedAPI {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.apis[region]
	if !ok {
		a = limitedAPI{pacing.Client[API]{API: r.opts.Lambda(region), Limiter: r.limiter, Account: r.opts.Account, Region: region}}
		r.apis[region] = a
	}
	return a
}

func (r *attachRun) logf(j *attachJob, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case j != nil && r.opts.Account != "":
		format = j.name + " " + j.region + " of account " + r.opts.Account + ": " + format
	case j != nil:
		format = j.name + " " + j.region + ": " + format
	}
	fmt.Fprintf(r.opts.Log, format+"\n", args...)
}

// each runs fn on the jobs selected, up to 4 times Concurrency at once (the
// calls themselves are bounded by the limiter), and starts none once stop
// says so.
func (r *attachRun) each(jobs []*attachJob, selected func(*attachJob) bool, stop func() bool, fn func(*attachJob)) {
	sem := make(chan struct{}, 4*r.opts.Concurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		if !selected(j) {
			continue
		}
		sem <- struct{}{}
		if stop() {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := crash.Guard("attach", func() error { fn(j); return nil }); err != nil {
				r.crashedOn(j, err)
			}
		}()
	}
	wg.Wait()
}

// crashedOn records a panic caught while working on j: j is failed (where
// it was left is unknown), and, under --atomic, what was changed is put back.
func (r *attachRun) crashedOn(j *attachJob, err error) {
	r.mu.Lock()
	if r.crash == nil {
		r.crash = err
	}
	r.mu.Unlock()
	r.stopStarting()
	j.res.Status, j.res.Err = layer.StatusFailed, err
	r.abort(j)
}

// needsApply selects the functions the apply phase works on.
func (r *attachRun) needsApply(j *attachJob) bool {
	switch j.res.Status {
	case layer.StatusWouldAttach:
		return true
	case layer.StatusUnchanged:
		// Already on the version, but its alias may have been left behind.
		return r.opts.PublishVersion
	}
	return false
}

func (r *attachRun) stopReason(ctx context.Context) string {
	switch {
	case ctx.Err() != nil:
		return "interrupted before it was changed"
	case r.crashed() != nil:
		return "not changed: attach stopped on an internal error"
	}
	return "not changed: --atomic, and another function failed"
}

// skipUnfinished marks the jobs never planned, or planned but never
// changed, skipped.
func (r *attachRun) skipUnfinished(jobs []*attachJob, why string) {
	for _, j := range jobs {
		switch j.res.Status {
		case "":
			// Never read: its Layers as listed, if it was found by listing.
			j.res.Status, j.res.Err = layer.StatusSkipped, errors.New(why+" (not read)")
			j.res.From, j.res.To = j.listed, j.listed
		case layer.StatusWouldAttach:
			j.res.Status, j.res.Err = layer.StatusSkipped, errors.New(why)
			j.res.To = j.res.From
		}
	}
}

// skipPlanned marks the functions planned but never changed skipped.
func (r *attachRun) skipPlanned(jobs []*attachJob, why string) {
	for _, j := range jobs {
		if j.res.Status == layer.StatusWouldAttach {
			j.res.Status, j.res.Err = layer.StatusSkipped, errors.New(why)
			j.res.To = j.res.From
		}
	}
}

func countStatus(jobs []*attachJob, statuses ...layer.Status) int {
	n := 0
	for _, j := range jobs {
		if slices.Contains(statuses, j.res.Status) {
			n++
		}
	}
	return n
}

// finish fills the report from the jobs, by region then function.
func (r *attachRun) finish(report *Report, jobs []*attachJob) *Report {
	report.Functions = report.Functions[:0]
	for _, j := range jobs {
		res := j.res
		res.Function, res.Account, res.Region = j.name, r.opts.Account, j.region
		if res.From == nil {
			res.From = []string{}
		}
		if res.To == nil {
			res.To = slices.Clone(res.From)
		}
		report.Functions = append(report.Functions, res)
	}
	slices.SortFunc(report.Functions, func(a, b FunctionResult) int {
		return cmp.Or(strings.Compare(a.Region, b.Region), strings.Compare(a.Function, b.Function))
	})
	return report
}

// interruptedError is a run stopped by its context: its message says
// "interrupted" once with what was done, and it unwraps to the context's
// error (which may itself read "interrupted").
type interruptedError struct {
	summary string
	err     error
}

func (e *interruptedError) Error() string { return "interrupted: " + e.summary }
func (e *interruptedError) Unwrap() error { return e.err }

func stoppedBy(report *Report, err error) error {
	return &interruptedError{summary(report), err}
}

// summary counts the report's functions by status, e.g. "3 attached, 2 skipped".
func summary(report *Report) string {
	counts := map[layer.Status]int{}
	var order []layer.Status
	for _, f := range report.Functions {
		if counts[f.Status] == 0 {
			order = append(order, f.Status)
		}
		counts[f.Status]++
	}
	slices.Sort(order)
	var parts []string
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
	}
	if len(parts) == 0 {
		return "no functions"
	}
	return strings.Join(parts, ", ")
}

// Summary is a one-line count of the report's functions by status.
func (r *Report) Summary() string { return summary(r) }
