//go:build unix

package inuse

import (
	"errors"
	"os"
	"syscall"
)

const supported = true

var errHeld = errors.New("held by a live process")

// lock takes an exclusive flock on f: waiting for it when wait, else
// failing with errHeld when another open file holds it.
func lock(f *os.File, wait bool) error {
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errHeld
		}
		return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
}

// reopen is a second descriptor of f's open file, whose flock is f's.
func reopen(f *os.File) (*os.File, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, &os.PathError{Op: "dup", Path: f.Name(), Err: err}
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// lockShared takes a flock on f, shared or exclusive, waiting for it.
func lockShared(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
