//go:build !unix

package inuse

import (
	"errors"
	"os"
)

// supported: there is no flock here, so Hold marks nothing and TryHold
// never takes a file for a leftover.
const supported = false

var errHeld = errors.New("locks are not supported here")

func lock(f *os.File, wait bool) error { return errHeld }

func reopen(f *os.File) (*os.File, error) { return nil, errHeld }

func lockShared(f *os.File, exclusive bool) error { return errHeld }
