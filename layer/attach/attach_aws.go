package attach

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/time/rate"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/layer/versions"
)

// FunctionsAPI is what attach calls on Lambda functions, with the SDK's
// signatures. Functions are read with GetFunction (configuration, RevisionId,
// update status and tags in one answer): Lambda gives GetFunction its own
// request quota (100 per second), while every other call shares 15 per
// second per account and region.
type FunctionsAPI interface {
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	UpdateFunctionConfiguration(context.Context, *lambda.UpdateFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	PublishVersion(context.Context, *lambda.PublishVersionInput, ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	UpdateAlias(context.Context, *lambda.UpdateAliasInput, ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
}

// API is what attach calls: the layer versions it attaches, and the
// functions it attaches them to.
type API interface {
	versions.API
	FunctionsAPI
}

var _ API = (*lambda.Client)(nil)

// callLimiter bounds the AWS calls of one attach run: never more than
// cap(sem) in flight, whichever function or region they are for, and, when
// paced, no more per second than Lambda's request quotas allow, each quota
// with its own limiter (see quota). A throttled call backs off with jitter
// and holds every other call back for a while too, so that hundreds of
// functions slow down together instead of retrying into the same limit.
type callLimiter struct {
	sem            chan struct{}
	base           time.Duration // the first backoff
	readRate, rate float64       // per second: GetFunction, every other call; 0 does not pace

	mu          sync.Mutex
	pausedUntil time.Time
	limiters    map[quota]*rate.Limiter
}

// callKind is the kind of call a Lambda quota counts: GetFunction has its
// own (100 per second), every other control-plane call shares one (15).
type callKind int

const (
	otherCall callKind = iota
	readCall
)

// quota is one of Lambda's request quotas: per account and region, and
// per kind of call. A run has one account today (one client per region),
// so the region stands for it; an account joins the key when a run spans
// several.
type quota struct {
	region string
	kind   callKind
}

// callAttempts bounds the tries of one call that is throttled or meets a
// server error.
const callAttempts = 8

// newCallLimiter allows n calls in flight, paced at readRate GetFunction
// calls and otherRate other calls per second and quota (0: not paced).
func newCallLimiter(n int, base time.Duration, readRate, otherRate float64) *callLimiter {
	return &callLimiter{sem: make(chan struct{}, n), base: base, readRate: readRate, rate: otherRate, limiters: map[quota]*rate.Limiter{}}
}

// limiter paces the calls counted by q: r per second, with a small burst
// (a fifth of a second's worth, at least one, plus the call itself) let
// through at once. nil when that kind of call is not paced.
func (l *callLimiter) limiter(q quota) *rate.Limiter {
	r := l.rate
	if q.kind == readCall {
		r = l.readRate
	}
	if r <= 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.limiters[q]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(r), max(1, int(r/5))+1)
		l.limiters[q] = lim
	}
	return lim
}

// pace waits for the caller's turn under lim (nil: at once).
func pace(ctx context.Context, lim *rate.Limiter) error {
	if lim == nil {
		return nil
	}
	return lim.Wait(ctx)
}

// callUnless runs f once a slot is free, retrying throttles, server errors
// and broken connections with jittered exponential backoff. The SDK's own
// retries are off for these calls (see noRetry): they would hold a slot
// while sleeping and ignore the other calls' throttles.
//
// A change that must not start once start has ended (an interrupt) passes
// start: until the request is on its way, waiting for the pace, a pause or
// a free slot ends with errStopped when start does. Once
// sent it is seen through with ctx, retries included, unless Lambda
// refused it with a throttle, which proves it was not applied. A nil start
// never ends.
func callUnless[T any](ctx, start context.Context, l *callLimiter, lim *rate.Limiter, f func(context.Context) (T, error)) (T, error) {
	var zero T
	wait := ctx
	if start != nil {
		// start's end reaches wait at once (it is its child); ctx's, by
		// AfterFunc, when the grace period is over.
		w, cancel := context.WithCancel(start)
		defer cancel()
		defer context.AfterFunc(ctx, cancel)()
		wait = w
	}
	stopped := func(err error) error {
		if ctx.Err() == nil && wait != ctx {
			return errStopped
		}
		return err
	}
	for attempt := 1; ; attempt++ {
		if err := l.waitPause(wait); err != nil {
			return zero, stopped(err)
		}
		if err := pace(wait, lim); err != nil {
			return zero, stopped(err)
		}
		select {
		case l.sem <- struct{}{}:
		case <-wait.Done():
			return zero, stopped(wait.Err())
		}
		if wait.Err() != nil {
			<-l.sem // both were ready: the stop wins
			return zero, stopped(wait.Err())
		}
		out, err := f(ctx)
		<-l.sem
		if err == nil || ctx.Err() != nil || attempt == callAttempts || !awsretry.Retryable(err) {
			return out, err
		}
		d := l.backoff(attempt, err)
		if awsretry.IsThrottle(err) {
			l.pause(d)
		} else {
			wait = ctx // it may have been applied: see it through
		}
		if err := awsretry.Sleep(wait, d); err != nil {
			return zero, stopped(err)
		}
	}
}

// backoff is exponential from l.base, capped at 10s, or the Retry-After
// the answer gave.
func (l *callLimiter) backoff(attempt int, err error) time.Duration {
	return awsretry.Backoff(attempt, err, l.base, 10*time.Second)
}

// pause holds new calls back for d.
func (l *callLimiter) pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// waitPause waits out a pause, plus a little jitter so that the calls held
// back do not all start again at the same instant.
func (l *callLimiter) waitPause(ctx context.Context) error {
	l.mu.Lock()
	until := l.pausedUntil
	l.mu.Unlock()
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	return awsretry.Sleep(ctx, d+rand.N(l.base+1))
}

// noRetry turns the SDK's retries off for one call: callLimiter retries.
func noRetry(o *lambda.Options) { o.RetryMaxAttempts = 1 }

// limited is the one way a limitedAPI calls Lambda: op (one of the API's
// methods) through callUnless, under the quota of its kind of call in the
// client's region, with the SDK's own retries off. Each method of
// limitedAPI is this one call.
func limited[In, Out any](ctx, start context.Context, c limitedAPI, kind callKind, op func(context.Context, In, ...func(*lambda.Options)) (Out, error), in In, o []func(*lambda.Options)) (Out, error) {
	return callUnless(ctx, start, c.l, c.pace(kind), func(ctx context.Context) (Out, error) {
		return op(ctx, in, append(o, noRetry)...)
	})
}

// limitedAPI is an API whose every call goes through a callLimiter.
type limitedAPI struct {
	api    API
	l      *callLimiter
	region string
}

// pace is the limiter of this region's quota for calls of kind.
func (c limitedAPI) pace(kind callKind) *rate.Limiter {
	return c.l.limiter(quota{region: c.region, kind: kind})
}

var _ API = limitedAPI{}

func (c limitedAPI) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, o ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	return limited(ctx, nil, c, otherCall, c.api.ListLayerVersions, in, o)
}

func (c limitedAPI) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, o ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	return limited(ctx, nil, c, otherCall, c.api.GetLayerVersion, in, o)
}

func (c limitedAPI) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return limited(ctx, nil, c, otherCall, c.api.ListFunctions, in, o)
}

func (c limitedAPI) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, o ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return limited(ctx, nil, c, readCall, c.api.GetFunction, in, o)
}

// UpdateFunctionConfiguration is retried like the others: it always carries
// the RevisionId it was planned from (when Lambda gave one), so a retry of
// an update that did happen fails with PreconditionFailedException instead
// of applying twice, and the caller reads the function again.
func (c limitedAPI) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, o ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return c.updateUnless(ctx, nil, in, o...)
}

// updateUnless is UpdateFunctionConfiguration through callUnless: it gives
// up with errStopped, unsent, if start ends while it waits for its turn.
func (c limitedAPI) updateUnless(ctx, start context.Context, in *lambda.UpdateFunctionConfigurationInput, o ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return limited(ctx, start, c, otherCall, c.api.UpdateFunctionConfiguration, in, o)
}

// PublishVersion is safe to retry: Lambda publishes nothing new when
// nothing changed since the last version, and answers with that version.
func (c limitedAPI) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, o ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	return limited(ctx, nil, c, otherCall, c.api.PublishVersion, in, o)
}

func (c limitedAPI) GetAlias(ctx context.Context, in *lambda.GetAliasInput, o ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return limited(ctx, nil, c, otherCall, c.api.GetAlias, in, o)
}

func (c limitedAPI) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, o ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	return limited(ctx, nil, c, otherCall, c.api.UpdateAlias, in, o)
}
