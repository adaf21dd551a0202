package attach

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

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
// paced, no more per second than Lambda's request quotas allow. A
// throttled call backs off with jitter and holds every other call back for
// a while too, so that hundreds of functions slow down together instead of
// retrying into the same limit.
type callLimiter struct {
	sem   chan struct{}
	base  time.Duration // the first backoff
	reads *pacer        // GetFunction
	other *pacer        // every other call

	mu          sync.Mutex
	pausedUntil time.Time
}

// callAttempts bounds the tries of one call that is throttled or meets a
// server error.
const callAttempts = 8

// newCallLimiter allows n calls in flight, paced at readRate GetFunction
// calls and rate other calls per second (0: not paced).
func newCallLimiter(n int, base time.Duration, readRate, rate float64) *callLimiter {
	return &callLimiter{sem: make(chan struct{}, n), base: base, reads: newPacer(readRate), other: newPacer(rate)}
}

// pacer spaces calls 1/rate apart, letting a small burst through at once: a
// reservation scheduler (GCRA), so that no one-second window holds more
// than rate plus the burst.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	burst    time.Duration
	next     time.Time
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / rate)
	return &pacer{interval: interval, burst: interval * time.Duration(max(1, int(rate/5)))}
}

// wait blocks until the caller's turn.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	if earliest := now.Add(-p.burst); p.next.Before(earliest) {
		p.next = earliest
	}
	at := p.next
	p.next = p.next.Add(p.interval)
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		return awsretry.Sleep(ctx, d)
	}
	return nil
}

// call runs f once a slot is free, retrying throttles, server errors and
// broken connections with jittered exponential backoff. The SDK's own
// retries are off for these calls (see noRetry): they would hold a slot
// while sleeping and ignore the other calls' throttles.
func call[T any](ctx context.Context, l *callLimiter, p *pacer, f func(context.Context) (T, error)) (T, error) {
	return callUnless(ctx, nil, l, p, f)
}

// callUnless is call for a change that must not start once start has
// ended (an interrupt): until the request is on its way, waiting for the
// pace, a pause or a free slot ends with errStopped when start does. Once
// sent it is seen through with ctx, retries included, unless Lambda
// refused it with a throttle, which proves it was not applied. A nil start
// never ends.
func callUnless[T any](ctx, start context.Context, l *callLimiter, p *pacer, f func(context.Context) (T, error)) (T, error) {
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
		if err := p.wait(wait); err != nil {
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

// limitedAPI is an API whose every call goes through a callLimiter.
type limitedAPI struct {
	api API
	l   *callLimiter
}

var _ API = limitedAPI{}

func (c limitedAPI) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, opts ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	return call(ctx, c.l, c.l.other, func(ctx context.Context) (*lambda.ListLayerVersionsOutput, error) {
		return c.api.ListLayerVersions(ctx, in, append(opts, noRetry)...)
	})
}

func (c limitedAPI) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, opts ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	return call(ctx, c.l, c.l.other, func(ctx context.Context) (*lambda.GetLayerVersionOutput, error) {
		return c.api.GetLayerVersion(ctx, in, append(opts, noRetry)...)
	})
}

func (c limitedAPI) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, opts ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return call(ctx, c.l, c.l.other, func(ctx context.Context) (*lambda.ListFunctionsOutput, error) {
		return c.api.ListFunctions(ctx, in, append(opts, noRetry)...)
	})
}

func (c limitedAPI) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return call(ctx, c.l, c.l.reads, func(ctx context.Context) (*lambda.GetFunctionOutput, error) {
		return c.api.GetFunction(ctx, in, append(opts, noRetry)...)
	})
}

// UpdateFunctionConfiguration is retried like the others: it always carries
// the RevisionId it was planned from (when Lambda gave one), so a retry of
// an update that did happen fails with PreconditionFailedException instead
// of applying twice, and the caller reads the function again.
func (c limitedAPI) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return c.updateUnless(ctx, nil, in, opts...)
}

// updateUnless is UpdateFunctionConfiguration through callUnless: it gives
// up with errStopped, unsent, if start ends while it waits for its turn.
func (c limitedAPI) updateUnless(ctx, start context.Context, in *lambda.UpdateFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return callUnless(ctx, start, c.l, c.l.other, func(ctx context.Context) (*lambda.UpdateFunctionConfigurationOutput, error) {
		return c.api.UpdateFunctionConfiguration(ctx, in, append(opts, noRetry)...)
	})
}

// PublishVersion is safe to retry: Lambda publishes nothing new when
// nothing changed since the last version, and answers with that version.
func (c limitedAPI) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, opts ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	return call(ctx, c.l, c.l.other, func(ctx context.Context) (*lambda.PublishVersionOutput, error) {
		return c.api.PublishVersion(ctx, in, append(opts, noRetry)...)
	})
}

func (c limitedAPI) GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return call(ctx, c.l, c.l.other, func(ctx context.Context) (*lambda.GetAliasOutput, error) {
		return c.api.GetAlias(ctx, in, append(opts, noRetry)...)
	})
}

func (c limitedAPI) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, opts ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	return call(ctx, c.l, c.l.other, func(ctx context.Context) (*lambda.UpdateAliasOutput, error) {
		return c.api.UpdateAlias(ctx, in, append(opts, noRetry)...)
	})
}
