package lockstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/layerctl/layerctl/manifest"
)

// Store is where a run reads and records the lock: the S3 object the
// manifest names, else the local file beside it.
type Store struct {
	Path string // the local file beside the manifest
	S3   *S3    // nil: the local file is the lock
}

// For is m's lock: its S3 object through client (which m's lock.s3 must
// have when set), else its local file.
func For(m *manifest.Manifest, client S3API) *Store {
	s := &Store{Path: m.LockPath()}
	if o := m.Lock.S3; o != nil {
		s.S3 = &S3{Client: client, Object: o}
		if m.Lock.Local {
			s.S3.Mirror = s.Path
		}
	}
	return s
}

// Load reads the lock where it is.
func (s *Store) Load(ctx context.Context) (*manifest.Lock, error) {
	if s.S3 == nil {
		return manifest.LoadLock(s.Path)
	}
	lock, _, err := s.S3.Load(ctx)
	return lock, err
}

// Where names the lock for people: its path, or its S3 URL.
func (s *Store) Where() string {
	if s.S3 == nil {
		return s.Path
	}
	return s.S3.Object.URL()
}

// Pulled is what Pull did.
type Pulled struct {
	Path, From string
	Layers     int  // the layers the lock records
	Written    bool // the local file changed
}

// ErrNoS3Lock is a manifest that keeps its lock in the local file: there
// is nothing to pull.
var ErrNoS3Lock = errors.New("the manifest keeps the lock in " + manifest.LockFile + " (no lock: {s3: ...}): there is nothing to pull")

// Pull writes the S3 lock to the local file beside the manifest, for
// committing: in the file's turn (HoldLock, waiting told to waiting), only
// when it changed. A missing S3 lock is an error: nothing has been
// published through it yet.
func Pull(ctx context.Context, m *manifest.Manifest, client S3API, waiting func(pid int)) (*Pulled, error) {
	s := For(m, client)
	if s.S3 == nil {
		return nil, ErrNoS3Lock
	}
	lock, etag, err := s.S3.Load(ctx)
	if err != nil {
		return nil, err
	}
	if etag == "" {
		return nil, fmt.Errorf("there is no lock at %s yet: publish (or deploy) writes it", s.S3.Object.URL())
	}
	release, err := manifest.HoldLock(ctx, s.Path, waiting)
	if err != nil {
		return nil, err
	}
	defer release()
	before, _ := os.ReadFile(s.Path)
	if err := lock.Save(s.Path); err != nil {
		return nil, err
	}
	after, _ := os.ReadFile(s.Path)
	return &Pulled{Path: s.Path, From: s.S3.Object.URL(), Layers: len(lock.Layers), Written: !bytes.Equal(before, after)}, nil
}
