package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// ChangedError is an input that changed or vanished while a build read it:
// going on would give a layer holding a mix of before and after, or
// silently less than the sources.
type ChangedError struct {
	Path     string // as messages name it: the manifest's from and the path under it
	Vanished bool
}

func (e *ChangedError) Error() string {
	what := "changed"
	if e.Vanished {
		what = "vanished"
	}
	return fmt.Sprintf("%s %s while the layer was being read: rebuild when nothing writes to the sources", e.Path, what)
}

// vanishedOr is err, met reading the source file or folder named name
// after it was listed: a *ChangedError when it is no longer there (or a
// folder on its path became a file), else err itself.
func vanishedOr(name string, err error) error {
	if gone(err) {
		return &ChangedError{Path: name, Vanished: true}
	}
	return err
}

// ReadError is vanishedOr, with the name added to any other error.
func ReadError(name string, err error) error {
	if gone(err) {
		return &ChangedError{Path: name, Vanished: true}
	}
	return fmt.Errorf("reading %s: %w", name, UnwrapPathErr(err))
}

func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
