package layer

import (
	"errors"

	"github.com/layerctl/layerctl/internal/crash"
)

// A panic in a goroutine ends the process, past every cleanup and with no
// report. guard and recovered turn a worker's panic into an error
// (*crash.Error) that the worker hands over as it would any other.

// guard runs one unit of a worker goroutine's work under recovered.
func guard(worker string, f func() error) (err error) {
	defer recovered(&err)
	if workerPanicHook != nil {
		workerPanicHook(worker)
	}
	return f()
}

// recovered, deferred at the top of a goroutine, turns a panic there into a
// *crash.Error in *err.
func recovered(err *error) {
	if v := recover(); v != nil {
		*err = crash.New(v)
	}
}

// workerPanicHook, set by tests only, runs before each unit of work of the
// worker named, so that a test can make it panic.
var workerPanicHook func(worker string)

// isCrash reports whether err is, or wraps, a panic caught by guard: it
// must reach the user as such, not be taken for an interruption.
func isCrash(err error) bool {
	var ce *crash.Error
	return errors.As(err, &ce)
}
