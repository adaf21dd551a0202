// Package crash turns a panic into an error. A panic in a goroutine ends the
// process whatever main does, with a stack dump and exit code 2 (which
// layerctl's users read as "invalid usage"); recovered where it happens and
// carried back as an error, it ends the run like any other failure, with one
// line that says what to do.
package crash

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Error is a panic caught and carried back as an error: a bug in layerctl.
type Error struct {
	Value any    // what was passed to panic
	Stack []byte // the stack of the goroutine that panicked, where it did
}

// New is the Error for a recovered value v, with the current stack: call
// it in the deferred function that recovered v.
func New(v any) *Error {
	return &Error{Value: v, Stack: debug.Stack()}
}

func (e *Error) Error() string {
	// One line, whatever the panic's text holds.
	return "internal error: " + strings.Join(strings.Fields(fmt.Sprint(e.Value)), " ")
}

// Unwrap gives the panic's value when it was an error (a runtime error,
// say), so that errors.As can still see it.
func (e *Error) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
