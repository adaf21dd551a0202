package lockstore

import (
	"context"

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
