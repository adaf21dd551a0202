package crash

import (
	"errors"
	"sync/atomic"
)

// A panic in a goroutine ends the process, past every cleanup and with no
// report. Guard and Recovered turn a worker's panic into an error (*Error)
// that the worker hands over as it would any other.

// Guard runs one unit of a worker goroutine's work under Recovered.
func Guard(worker string, f func() error) (err error) {
	defer Recovered(&err)
	if hook := workerPanicHook.Load(); hook != nil {
		(*hook)(worker)
	}
	return f()
}

// Recovered, deferred at the top of a goroutine, turns a panic there into an
// *Error in *err.
func Recovered(err *error) {
	if v := recover(); v != nil {
		*err = New(v)
	}
}

// workerPanicHook, set by tests only (through InjectPanics), runs before
// each unit of work of the worker named, so that a test can make it panic.
var workerPanicHook atomic.Pointer[func(worker string)]

// InjectPanics is for tests: hook runs before each unit of work that Guard
// runs, with the worker's name, until the returned undo is called. Not for
// parallel tests.
func InjectPanics(hook func(worker string)) (undo func()) {
	workerPanicHook.Store(&hook)
	return func() { workerPanicHook.Store(nil) }
}

// Is reports whether err is, or wraps, a panic caught by Guard: it must
// reach the user as such, not be taken for an interruption.
func Is(err error) bool {
	var ce *Error
	return errors.As(err, &ce)
}
