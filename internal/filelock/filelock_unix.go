//go:build linux || darwin

package filelock

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// held is the open file whose inode is locked.
type held struct {
	f       *os.File
	created bool // this process made the file
}

func acquire(ctx context.Context, path string, waiting func(int)) (held, error) {
	told := false
	for {
		f, created, err := open(path)
		if err != nil {
			return held{}, err
		}
		for attempt := 0; ; attempt++ {
			ok, err := tryLock(f)
			if err != nil {
				f.Close()
				return held{}, err
			}
			if ok {
				break
			}
			if !told && waiting != nil {
				waiting(holder(f))
				told = true
			}
			if err := sleep(ctx, poll(attempt)); err != nil {
				f.Close()
				return held{}, err
			}
		}
		if same, err := names(path, f); err != nil || !same {
			// Replaced or removed while we waited: the turn is with
			// whatever the path names now. Closing drops the lock.
			f.Close()
			if err != nil {
				return held{}, err
			}
			continue
		}
		return held{f, created}, nil
	}
}

// open opens path for locking, creating it when missing.
func open(path string) (*os.File, bool, error) {
	for {
		f, err := os.Open(path)
		if err == nil {
			return f, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, false, err
		}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, err
		}
		// Another process made it in between: open theirs.
	}
}

// tryLock takes the lock without blocking, so waiting stays interruptible.
func tryLock(f *os.File) (bool, error) {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, unix.EINTR):
			continue
		}
		return false, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
}

// names reports whether path names the inode f has open; false when path
// is gone.
func names(path string, f *os.File) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, pi), nil
}

func (h held) release(path string) error {
	if h.f == nil {
		return nil
	}
	defer h.f.Close()
	if h.created {
		// Still ours and still empty: nobody wrote it, so it goes. The
		// lock is still held here, so nobody can be writing it now.
		if same, err := names(path, h.f); err == nil && same {
			if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
				if err := os.Remove(path); err != nil {
					return err
				}
			}
		}
	}
	return unix.Flock(int(h.f.Fd()), unix.LOCK_UN)
}
