package cmd

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errInterrupted is what a run whose context was cancelled (Ctrl-C,
// SIGTERM) reads when asked why it stopped: "interrupted", never Go's
// "context canceled". It is context.Canceled for errors.Is, so code that
// tells an interrupt from a failure keeps doing so.
var errInterrupted error = interruptedError{}

type interruptedError struct{}

func (interruptedError) Error() string        { return "interrupted" }
func (interruptedError) Is(target error) bool { return target == context.Canceled }

// interruptible is a context that ends when its parent does, and then
// reads errInterrupted where the parent reads context.Canceled: every
// error made from it, or from a context derived from it, says
// "interrupted". It has a done channel of its own, so that the contexts
// derived from it take their error from it, not from the parent.
type interruptible struct {
	parent context.Context
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

// interruptibleContext derives an interruptible context from parent;
// stop releases it.
func interruptibleContext(parent context.Context) (context.Context, func()) {
	c := &interruptible{parent: parent, done: make(chan struct{})}
	stop := context.AfterFunc(parent, func() {
		err := parent.Err()
		if errors.Is(err, context.Canceled) {
			err = errInterrupted
		}
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	})
	return c, func() { stop() }
}

func (c *interruptible) Deadline() (time.Time, bool) { return c.parent.Deadline() }
func (c *interruptible) Done() <-chan struct{}       { return c.done }

func (c *interruptible) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value is the parent's, but for a context the parent holds as a value:
// the context package finds a parent's cancellation that way, and would
// then take "context canceled" from it.
func (c *interruptible) Value(key any) any {
	v := c.parent.Value(key)
	if _, isContext := v.(context.Context); isContext {
		return nil
	}
	return v
}
