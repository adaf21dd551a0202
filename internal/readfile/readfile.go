// Package readfile reads the small files layerctl takes from a repository
// it may not trust (the manifest, the lock file, requirements files, a
// .npmrc, package.json, cache entries): only regular files, never more than
// a bound, and without ever blocking on a FIFO or a device put in their
// place.
package readfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// NotRegularError is a path that names a FIFO, device, socket or folder.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is a %s, not a regular file", e.Path, e.Kind())
}

// Kind names what the path is instead: "folder", "named pipe (FIFO)"...
func (e *NotRegularError) Kind() string { return kind(e.Mode) }

// TooLargeError is a file larger than the caller's bound.
type TooLargeError struct {
	Path string
	Max  int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes", e.Path, e.Max)
}

// Open opens the regular file at path for reading. It is checked before it
// is opened, opened without blocking (opening a FIFO for reading otherwise
// waits for a writer, and no signal ends that wait), and checked again
// through the open descriptor, so that whatever path was swapped for in
// between, it is the open file that is checked and read.
func Open(path string) (*os.File, fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, &NotRegularError{path, info.Mode()}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	if info, err = f.Stat(); err == nil && !info.Mode().IsRegular() {
		err = &NotRegularError{path, info.Mode()}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// Read returns the content of the regular file at path, or a
// *TooLargeError when it holds more than max bytes (also when it grows
// while being read), or a *NotRegularError.
func Read(path string, max int64) ([]byte, error) {
	f, info, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info.Size() > max {
		return nil, &TooLargeError{path, max}
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &TooLargeError{path, max}
	}
	return data, nil
}

// IsNotRegular reports whether err is a *NotRegularError.
func IsNotRegular(err error) bool {
	var nr *NotRegularError
	return errors.As(err, &nr)
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
