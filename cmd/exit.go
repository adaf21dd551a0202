package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/manifest"
)

// Exit codes: part of the contract with users' pipelines (README: Exit codes).
const (
	ExitOK      = 0 // everything asked for was done
	ExitFailed  = 1 // something went wrong while doing it
	ExitInvalid = 2 // the command line or the manifest is invalid: nothing was done
	ExitPartial = 3 // part of it was done: the report says, item by item, what failed
	ExitBehind  = 4 // status --exit-code: a $LATEST or aliased configuration is behind the newest version
)

// partialError is a run that did part of what was asked; its report, already
// printed, says what failed.
type partialError struct{ err error }

func (e *partialError) Error() string { return e.err.Error() }
func (e *partialError) Unwrap() error { return e.err }

// behindError is a status --exit-code that found configurations behind;
// its report, already printed, says which.
type behindError struct{ err error }

func (e *behindError) Error() string { return e.err.Error() }
func (e *behindError) Unwrap() error { return e.err }

// usageError is a command line that cannot be run as typed.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error to the process exit code, in one place.
func exitCode(err error) int {
	var ue *usageError
	var me *manifest.Error
	var pe *partialError
	var ce *crash.Error
	var be *behindError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ce):
		return ExitFailed // a bug, whatever it was doing
	case errors.As(err, &ue), errors.As(err, &me):
		return ExitInvalid
	case errors.As(err, &pe):
		return ExitPartial
	case errors.As(err, &be):
		return ExitBehind
	case errors.Is(err, context.Canceled):
		return ExitFailed
	}
	return ExitFailed
}
