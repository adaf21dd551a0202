// Package pacing keeps one run's calls to Lambda within Lambda's request
// quotas: a bound on the calls in flight over every account and region, one
// golang.org/x/time/rate limiter per quota (account and region, kind of call), and
// throttles that hold every call back for a while, so that hundreds of
// calls slow down together instead of retrying into the same limit. attach,
// status and prune call Lambda through it; it imports internal/awsretry and
// the SDK.
package pacing

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/time/rate"

	"github.com/layerctl/layerctl/internal/awsretry"
)

// Limiter bounds the AWS calls of one run: never more than cap(sem) in
// flight, whichever region they are for, and, when paced, no more per
// second than Lambda's request quotas allow, each quota with its own
// limiter (see Quota). A throttled call backs off with jitter and holds
// every other call back for a while too.
type Limiter struct {
	sem            chan struct{}
	base           time.Duration // the first backoff
	readRate, rate float64       // per second: GetFunction, every other call; 0 does not pace

	mu          sync.Mutex
	pausedUntil time.Time
	limiters    map[Quota]*rate.Limiter
}

// Kind is the kind of call a Lambda quota counts: GetFunction has its own
// (100 per second), every other control-plane call shares one (15).
type Kind int

const (
	Other Kind = iota // every control-plane call but GetFunction
	Read              // GetFunction
)

// Quota is one of Lambda's request quotas: per account and region, and per
// kind of call. Account is "" for the credentials' own account.
type Quota struct {
	Account string
	Region  string
	Kind    Kind
}

// Attempts bounds the tries of one call that is throttled or meets a
// server error.
const Attempts = 8

// ErrStopped is a call never sent because start ended (see Call).
var ErrStopped = errors.New("stopped")

// New allows n calls in flight, paced at readRate GetFunction calls and
// otherRate other calls per second and quota (0: not paced); base is the
// first backoff after a throttle or a server error.
func New(n int, base time.Duration, readRate, otherRate float64) *Limiter {
	return &Limiter{sem: make(chan struct{}, n), base: base, readRate: readRate, rate: otherRate, limiters: map[Quota]*rate.Limiter{}}
}

// ForRun is New with the steps' defaults for what is 0: 10 calls in
// flight, a first backoff of 200ms.
func ForRun(n int, base time.Duration, readRate, otherRate float64) *Limiter {
	return New(cmp.Or(n, 10), cmp.Or(base, 200*time.Millisecond), readRate, otherRate)
}

// For paces the calls counted by q: r per second, with a small burst (a
// fifth of a second's worth, at least one, plus the call itself) let
// through at once. nil when that kind of call is not paced.
func (l *Limiter) For(q Quota) *rate.Limiter {
	r := l.rate
	if q.Kind == Read {
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

// Pace waits for the caller's turn under lim (nil: at once).
func Pace(ctx context.Context, lim *rate.Limiter) error {
	if lim == nil {
		return nil
	}
	return lim.Wait(ctx)
}

// Unless runs f once a slot is free, retrying throttles, server errors and
// broken connections with jittered exponential backoff. The SDK's own
// retries are off for these calls (see Lambda): they would hold a slot
// while sleeping and ignore the other calls' throttles.
//
// A change that must not start once start has ended (an interrupt) passes
// start: until the request is on its way, waiting for the pace, a pause or
// a free slot ends with ErrStopped when start does. Once sent it is seen
// through with ctx, retries included, unless Lambda refused it with a
// throttle, which proves it was not applied. A nil start never ends.
func Unless[T any](ctx, start context.Context, l *Limiter, lim *rate.Limiter, f func(context.Context) (T, error)) (T, error) {
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
			return ErrStopped
		}
		return err
	}
	for attempt := 1; ; attempt++ {
		if err := l.waitPause(wait); err != nil {
			return zero, stopped(err)
		}
		if err := Pace(wait, lim); err != nil {
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
		if err == nil || ctx.Err() != nil || attempt == Attempts || !awsretry.Retryable(err) {
			return out, err
		}
		d := l.Backoff(attempt, err)
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

// Backoff is exponential from the limiter's base, capped at 10s, or the
// Retry-After the answer gave.
func (l *Limiter) Backoff(attempt int, err error) time.Duration {
	return awsretry.Backoff(attempt, err, l.base, 10*time.Second)
}

// pause holds new calls back for d.
func (l *Limiter) pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// waitPause waits out a pause, plus a little jitter so that the calls held
// back do not all start again at the same instant.
func (l *Limiter) waitPause(ctx context.Context) error {
	l.mu.Lock()
	until := l.pausedUntil
	l.mu.Unlock()
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	return awsretry.Sleep(ctx, d+rand.N(l.base+1))
}

// noRetry turns the SDK's retries off for one call: the Limiter retries.
func noRetry(o *lambda.Options) { o.RetryMaxAttempts = 1 }

// Lambda is the one way a step calls Lambda through a Limiter: op (a method
// of the SDK's client, or of an interface with its signatures) through
// Unless, under quota q (its account, region and kind of call), with the
// SDK's own retries off. A step's paced client (Client) is one such call,
// through Call, per method.
func Lambda[In, Out any](ctx, start context.Context, l *Limiter, q Quota, op func(context.Context, In, ...func(*lambda.Options)) (Out, error), in In, o []func(*lambda.Options)) (Out, error) {
	return Unless(ctx, start, l, l.For(q), func(ctx context.Context) (Out, error) {
		return op(ctx, in, append(o, noRetry)...)
	})
}
