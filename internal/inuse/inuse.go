// Package inuse marks a temporary file or folder as in use by a live
// process, so that a later run can tell the leftovers of a killed one
// (which nothing will ever remove) from a concurrent run's live files
// (which it must not touch). The mark is an advisory lock (flock) on the
// file: the kernel drops it when its process dies, however it dies. Where
// there is no flock, nothing is ever taken for a leftover.
//
// A run that uses a finished file (a build's ZIP it uploads or unpacks)
// holds it shared (Use): a cleanup takes it only when no run does.
package inuse

import (
	"errors"
	"io/fs"
	"os"

	"github.com/layerctl/layerctl/internal/readfile"
)

// ErrGone is Hold finding the path no longer names the file it opened and
// locked: another run removed it, as a leftover, between its creation and
// the lock. The caller makes another.
var ErrGone = errors.New("the file was removed before it could be locked")

// Held is a lock on a file, held until Release.
type Held struct{ f *os.File }

// Hold locks the file at path, which the caller has just created, waiting
// for a run that is removing it to finish; see ErrGone.
func Hold(path string) (*Held, error) {
	if !supported {
		return &Held{}, nil // nothing to hold: no open file to get in the way
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrGone // removed as a leftover before it could even be opened
	}
	if err != nil {
		return nil, err
	}
	return holdOpen(f, path)
}

// HoldFile is Hold of the file the caller has just created and still has
// open as f: locking that descriptor leaves no instant in which the path
// must be opened again. The Held has its own descriptor; the caller keeps
// f.
func HoldFile(f *os.File) (*Held, error) {
	if !supported {
		return &Held{}, nil
	}
	g, err := reopen(f)
	if err != nil {
		return nil, err
	}
	return holdOpen(g, f.Name())
}

// holdOpen locks f, open on path, and checks path still names it.
func holdOpen(f *os.File, path string) (*Held, error) {
	if err := lock(f, true); err != nil {
		f.Close()
		return nil, err
	}
	if !same(f, path) {
		f.Close()
		return nil, ErrGone
	}
	return &Held{f}, nil
}

// TryHold locks the file at path if no process holds it: then it is a
// leftover, which the caller may remove while it holds the lock. ok is
// false when a live process holds it, or where locks are not supported.
func TryHold(path string) (h *Held, ok bool, err error) {
	if !supported {
		return nil, false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	if err := lock(f, false); err != nil {
		f.Close()
		if errors.Is(err, errHeld) {
			return nil, false, nil
		}
		return nil, false, err
	}
	if !same(f, path) {
		f.Close()
		return nil, false, nil
	}
	return &Held{f}, true, nil
}

// Use marks the file at path as used by this run until Release: other
// runs may use it too (the lock is shared), but none takes it with
// TryHold, so none removes it meanwhile. It waits for a run that holds it
// to remove it, and is then ErrGone: the file the caller meant is not
// there any more. path may be a symlink: what it points to is held.
func Use(path string) (*Held, error) {
	if !supported {
		return &Held{}, nil
	}
	f, _, err := readfile.Open(path) // never a wait on a FIFO put in its place
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrGone
	}
	if err != nil {
		return nil, err
	}
	if err := lockShared(f, false); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	a, err := f.Stat()
	b, err2 := os.Stat(path)
	if err != nil || err2 != nil || !os.SameFile(a, b) {
		f.Close()
		return nil, ErrGone
	}
	return &Held{f}, nil
}

// Share turns h, taken by Hold or HoldFile, into Use's shared lock:
// the file is made, and other runs may now use it too.
func (h *Held) Share() error {
	if h == nil || h.f == nil {
		return nil
	}
	if err := lockShared(h.f, false); err != nil {
		return &os.PathError{Op: "flock", Path: h.f.Name(), Err: err}
	}
	return nil
}

// Release drops the lock. A nil Held is released too.
func (h *Held) Release() {
	if h != nil && h.f != nil {
		h.f.Close()
	}
}

// same reports whether path still names the file f has open.
func same(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

// Creating marks dir as a folder where a file (or folder) is being made and
// locked, until release is called; Sweeping waits for every such mark. A
// file is made and locked while its folder is marked, so a sweep never sees
// one that is made but not yet locked, which it would take for a leftover.
// Where the folder cannot be marked (no flock, no rights), nothing is.
func Creating(dir string) (release func()) { return lockDir(dir, false) }

// Sweeping takes dir for a sweep of its leftovers, until release is called:
// no file is being made in it meanwhile (see Creating).
func Sweeping(dir string) (release func()) { return lockDir(dir, true) }

func lockDir(dir string, exclusive bool) func() {
	if !supported {
		return func() {}
	}
	d, err := os.Open(dir)
	if err != nil {
		return func() {}
	}
	if err := lockShared(d, exclusive); err != nil {
		d.Close()
		return func() {}
	}
	return func() { d.Close() }
}
