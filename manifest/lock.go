package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/layerctl/layerctl/internal/atomicfile"
	"github.com/layerctl/layerctl/internal/filelock"
	"github.com/layerctl/layerctl/internal/readfile"
)

// LockFile is the lock file's name, next to the manifest.
const LockFile = "layerctl.lock"

// Lock is layerctl.lock: what has been published where. Written by publish,
// committed by users, read by attach and status. Its JSON has sorted keys
// and stable formatting, so a run that changes nothing leaves it
// byte-identical. Struct fields are declared in key order for that reason.
type Lock struct {
	Layers  map[string]*LockLayer `json:"layers"`
	Version int                   `json:"version"`
}

// LockLayer is one layer's published content.
type LockLayer struct {
	CodeSHA256 string                 `json:"code_sha256"` // base64, as Lambda reports CodeSha256
	Regions    map[string]*LockRegion `json:"regions"`
	SHA256     string                 `json:"sha256"` // hex
	Size       int64                  `json:"size"`
	// SourceDateEpoch is the SOURCE_DATE_EPOCH the content was built with
	// (every entry's time, so part of the digest); absent when it was not
	// set. It lets publish tell new files from a new timestamp.
	SourceDateEpoch *int64 `json:"source_date_epoch,omitempty"`
	UnzippedSize    int64  `json:"unzipped_size"`
}

// LockRegion is the layer version holding the layer's content in one region.
type LockRegion struct {
	ARN     string `json:"arn"`
	Version int64  `json:"version"`
}

// LockError is a lock file that cannot be used; it is never overwritten.
type LockError struct {
	Path string
	Err  error
}

func (e *LockError) Error() string {
	return fmt.Sprintf("%s: %v; fix it or delete it (publish finds what is already published by its digest and writes it again)", e.Path, e.Err)
}

func (e *LockError) Unwrap() error { return e.Err }

// MaxLockSize bounds the lock file read: a lock of hundreds of layers in
// dozens of regions is well under a megabyte.
const MaxLockSize = 16 << 20

// LockPath is the lock file beside the manifest.
func (m *Manifest) LockPath() string { return filepath.Join(m.Dir, LockFile) }

// LoadLock reads the lock file at path; a missing or empty file is an
// empty lock (HoldLock makes an empty one to lock it when there is none).
func LoadLock(path string) (*Lock, error) {
	data, err := readfile.Read(path, MaxLockSize)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(data) == 0 {
		return &Lock{Version: 1, Layers: map[string]*LockLayer{}}, nil
	}
	if err != nil {
		return nil, &LockError{path, err}
	}
	var l Lock
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, &LockError{path, fmt.Errorf("not a valid lock file: %v", err)}
	}
	if l.Version != 1 {
		return nil, &LockError{path, fmt.Errorf("lock file version %d; this layerctl reads version 1", l.Version)}
	}
	if l.Layers == nil {
		l.Layers = map[string]*LockLayer{}
	}
	for name, ll := range l.Layers {
		if ll == nil {
			return nil, &LockError{path, fmt.Errorf("layer %q is null", name)}
		}
		if ll.Regions == nil {
			ll.Regions = map[string]*LockRegion{}
		}
		if e := ll.SourceDateEpoch; e != nil && *e < 0 {
			return nil, &LockError{path, fmt.Errorf("layer %q: source_date_epoch %d is before 1970", name, *e)}
		}
		for r, lr := range ll.Regions {
			if lr == nil {
				return nil, &LockError{path, fmt.Errorf("layer %q region %q is null", name, r)}
			}
		}
	}
	return &l, nil
}

// Marshal renders the lock as it is written to disk.
func (l *Lock) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save writes the lock to path atomically (temporary file, fsync, rename),
// and not at all when the file already holds the same bytes.
func (l *Lock) Save(path string) error {
	data, err := l.Marshal()
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// HoldLock gives this process its turn with the lock file at path, so that
// runs at once in one checkout read, add to and write it one after the
// other: load the lock after HoldLock returns, save it, then release. It
// waits while another process has the turn, calling waiting once (with
// that process's ID, 0 when the system does not tell), and stops waiting
// when ctx is done. A lock file HoldLock had to create and nobody wrote is
// removed by release.
func HoldLock(ctx context.Context, path string, waiting func(holder int)) (release func() error, err error) {
	l, err := filelock.Acquire(ctx, path, waiting)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("stopped waiting for another layerctl to finish with %s: %w", path, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return l.Release, nil
}
