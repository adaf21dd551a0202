// Package atomicfile writes files that are either wholly there or not at
// all: a temporary file beside the target, synced, then renamed over it.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/layerctl/layerctl/internal/inuse"
)

// Write replaces path with data, mode 0644. A reader, or a crash, sees the
// old content or the new, never a part of it. The temporary file,
// ".NAME.*.tmp", is locked (internal/inuse) until it is renamed: one
// left by a killed run can be told from one being written.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, held, err := create(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer held.Release()
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// create makes a new temporary file in dir and holds its lock.
func create(dir, pattern string) (*os.File, *inuse.Held, error) {
	defer inuse.Creating(dir)()
	for tries := 1; ; tries++ {
		tmp, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, nil, err
		}
		held, err := inuse.Hold(tmp.Name())
		if errors.Is(err, inuse.ErrGone) && tries < 10 {
			// Another run took it for a leftover in the instant before
			// the lock: make another.
			tmp.Close()
			continue
		}
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return nil, nil, err
		}
		return tmp, held, nil
	}
}
