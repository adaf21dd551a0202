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
//
// Version 1 records the versions of the credentials' own account; version
// 2 adds, per layer, those of the accounts the manifest names (accounts).
// A lock is written as version 1 while it records no named account, so a
// lock made without accounts: stays as it was, readable by every layerctl.
type Lock struct {
	Layers  map[string]*LockLayer `json:"layers"`
	Version int                   `json:"version"`
}

// LockLayer is one layer's published content: the same in every account
// and region it is published to.
type LockLayer struct {
	// Accounts are the versions in the accounts the manifest names, by
	// account ID (version 2); Regions those of the credentials' own.
	Accounts   map[string]*LockAccount `json:"accounts,omitempty"`
	CodeSHA256 string                  `json:"code_sha256"` // base64, as Lambda reports CodeSha256
	Regions    map[string]*LockRegion  `json:"regions"`
	SHA256     string                  `json:"sha256"` // hex
	Size       int64                   `json:"size"`
	// SourceDateEpoch is the SOURCE_DATE_EPOCH the content was built with
	// (every entry's time, so part of the digest); absent when it was not
	// set. It lets publish tell new files from a new timestamp.
	SourceDateEpoch *int64 `json:"source_date_epoch,omitempty"`
	UnzippedSize    int64  `json:"unzipped_size"`
}

// LockAccount is a layer's versions in one account the manifest names.
type LockAccount struct {
	Regions map[string]*LockRegion `json:"regions"`
}

// LockVersion is the newest lock format this layerctl reads and writes.
const LockVersion = 2

// RegionsIn is the layer's versions in account (an ID, "" for the
// credentials' own), by region; nil when it records none there.
func (ll *LockLayer) RegionsIn(account string) map[string]*LockRegion {
	if account == "" {
		return ll.Regions
	}
	if la := ll.Accounts[account]; la != nil {
		return la.Regions
	}
	return nil
}

// In is the layer as seen from account: its content, and the versions of
// that account as its Regions (nil when ll is nil). The regions are ll's
// own map, not a copy.
func (ll *LockLayer) In(account string) *LockLayer {
	if ll == nil || account == "" {
		return ll
	}
	view := *ll
	view.Accounts = nil
	view.Regions = ll.RegionsIn(account)
	if view.Regions == nil {
		view.Regions = map[string]*LockRegion{}
	}
	return &view
}

// Set records v as the layer's version in account ("" for the
// credentials' own) and region.
func (ll *LockLayer) Set(account, region string, v LockRegion) {
	if account == "" {
		ll.Regions[region] = &v
		return
	}
	if ll.Accounts == nil {
		ll.Accounts = map[string]*LockAccount{}
	}
	if ll.Accounts[account] == nil {
		ll.Accounts[account] = &LockAccount{Regions: map[string]*LockRegion{}}
	}
	ll.Accounts[account].Regions[region] = &v
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

// NewLock is an empty lock.
func NewLock() *Lock { return &Lock{Version: 1, Layers: map[string]*LockLayer{}} }

// LoadLock reads the lock file at path; a missing or empty file is an
// empty lock (HoldLock makes an empty one to lock it when there is none).
func LoadLock(path string) (*Lock, error) {
	data, err := readfile.Read(path, MaxLockSize)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(data) == 0 {
		return NewLock(), nil
	}
	if err != nil {
		return nil, &LockError{path, err}
	}
	l, err := ParseLock(data)
	if err != nil {
		return nil, &LockError{path, err}
	}
	return l, nil
}

// ParseLock reads a lock from data, which may come from anywhere (a file,
// an S3 object): every entry is checked; empty data is an empty lock.
func ParseLock(data []byte) (*Lock, error) {
	if len(data) == 0 {
		return NewLock(), nil
	}
	if len(data) > MaxLockSize {
		return nil, fmt.Errorf("larger than %d bytes, more than any lock needs", MaxLockSize)
	}
	var l Lock
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("not a valid lock file: %v", err)
	}
	if l.Version != 1 && l.Version != 2 {
		return nil, fmt.Errorf("lock file version %d; this layerctl reads versions 1 and 2: a newer layerctl wrote it, upgrade", l.Version)
	}
	if l.Layers == nil {
		l.Layers = map[string]*LockLayer{}
	}
	for name, ll := range l.Layers {
		if err := ll.check(name, l.Version); err != nil {
			return nil, err
		}
	}
	return &l, nil
}

// check checks one layer's entry of a lock of the given version, and
// gives every map a value.
func (ll *LockLayer) check(name string, version int) error {
	if ll == nil {
		return fmt.Errorf("layer %q is null", name)
	}
	if ll.Regions == nil {
		ll.Regions = map[string]*LockRegion{}
	}
	if e := ll.SourceDateEpoch; e != nil && *e < 0 {
		return fmt.Errorf("layer %q: source_date_epoch %d is before 1970", name, *e)
	}
	if err := checkRegions(ll.Regions, fmt.Sprintf("layer %q", name)); err != nil {
		return err
	}
	if len(ll.Accounts) > 0 && version < 2 {
		return fmt.Errorf("layer %q has accounts, which a version 1 lock cannot hold: it was edited by hand; set version to 2", name)
	}
	for id, la := range ll.Accounts {
		where := fmt.Sprintf("layer %q account %q", name, id)
		switch {
		case !accountID.MatchString(id):
			return fmt.Errorf("%s: not an AWS account ID (12 digits)", where)
		case la == nil:
			return fmt.Errorf("%s is null", where)
		}
		if la.Regions == nil {
			la.Regions = map[string]*LockRegion{}
		}
		if err := checkRegions(la.Regions, where); err != nil {
			return err
		}
	}
	return nil
}

func checkRegions(regions map[string]*LockRegion, where string) error {
	for r, lr := range regions {
		if lr == nil {
			return fmt.Errorf("%s region %q is null", where, r)
		}
	}
	return nil
}

// Marshal renders the lock as it is written to disk: version 1 while no
// layer records a named account, else version 2.
func (l *Lock) Marshal() ([]byte, error) {
	l.Version = 1
	for _, ll := range l.Layers {
		for id, la := range ll.Accounts {
			if la == nil || len(la.Regions) == 0 {
				delete(ll.Accounts, id)
			}
		}
		if len(ll.Accounts) > 0 {
			l.Version = LockVersion
		}
	}
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
