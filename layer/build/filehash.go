package build

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/layerctl/layerctl/internal/atomicfile"
	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/layer/archive"
)

// racyWindow: a file changed this recently could change again within the
// same timestamp tick (coarse on some filesystems, 2 s on FAT) and keep its
// stat; its hash is used for this build but not remembered. Go's build
// cache makes the same call.
var racyWindow = 2 * time.Second // a variable for tests of files written a moment ago

// memoVersion changes when the memo's format or meaning does.
const memoVersion = 2

// hashMemo remembers the SHA-256 of files by their fileStat, so a rebuild
// with nothing changed reads no input. It also records the stat of every
// file it vouched for, to catch a file changed while a build reads it.
type hashMemo struct {
	file   string // where it persists; "" keeps it in memory
	ignore bool   // --no-cache: trust nothing stored, hash every file

	mu      sync.Mutex
	entries map[string]memoEntry
	loaded  bool
	dirty   bool
	// unreadable is why the memo file could not be used, when it could
	// not: the build reads every input and writes the memo afresh.
	unreadable error
	vouched    map[string]archive.FileStat // every file whose hash this run used, as it was then
}

type memoEntry struct {
	Stat archive.FileStat
	Sum  [32]byte
}

func newHashMemo(file string, ignore bool) *hashMemo {
	return &hashMemo{file: file, ignore: ignore, entries: map[string]memoEntry{}, vouched: map[string]archive.FileStat{}}
}

func (h *hashMemo) load() {
	if h.loaded {
		return
	}
	h.loaded = true
	if h.file == "" || h.ignore {
		return
	}
	entries, err := readMemo(h.file)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errOtherFormat):
	case err != nil:
		// A damaged memo only costs reading the inputs again; writing it
		// afresh (dirty) replaces it even if this run learns nothing.
		h.unreadable, h.dirty = err, true
	default:
		h.entries = entries
	}
}

// unreadableNote is the note for the artifact's findings when the memo
// file could not be used, or "".
func (h *hashMemo) unreadableNote() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.unreadable == nil {
		return ""
	}
	return fmt.Sprintf("the build cache's files.memo was unreadable and was rebuilt (%s: %v); every input was read again", h.file, h.unreadable)
}

// readMemo reads and decodes the memo file at p.
func readMemo(p string) (map[string]memoEntry, error) {
	data, err := readBounded(p, maxMemoSize)
	if err != nil {
		return nil, err
	}
	return decodeMemo(data)
}

// The memo file: a header line, then per file its path's length (uvarint),
// the path, the fileStat's six fields (8 bytes each, little-endian) and
// the 32-byte digest, then the SHA-256 of everything before it, so that a
// memo damaged on disk is seen as such rather than trusted. Simple to read
// fast: a rebuild's whole budget is a few tens of milliseconds.
var (
	memoHeader = "layerctl file digests "
	memoMagic  = []byte(fmt.Sprintf("%s%d\n", memoHeader, memoVersion))
)

const (
	memoRecord = 6*8 + 32
	// maxMemoSize bounds the memo file: about a million files' records,
	// far more than any layer holds, and little enough to read at once.
	maxMemoSize = 256 << 20
	// maxMemoPath bounds one path in it: 16 times Linux's PATH_MAX.
	maxMemoPath = 64 << 10
)

func encodeMemo(w io.Writer, entries map[string]memoEntry) error {
	h := sha256.New()
	bw := bufio.NewWriter(io.MultiWriter(w, h))
	bw.Write(memoMagic)
	var num [binary.MaxVarintLen64]byte
	var rec [memoRecord]byte
	for p, e := range entries {
		bw.Write(num[:binary.PutUvarint(num[:], uint64(len(p)))])
		bw.WriteString(p)
		st := e.Stat
		for i, v := range []uint64{st.Dev, st.Ino, uint64(st.Size), uint64(st.Mode), uint64(st.Mtime), uint64(st.Ctime)} {
			binary.LittleEndian.PutUint64(rec[i*8:], v)
		}
		copy(rec[48:], e.Sum[:])
		bw.Write(rec[:])
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(h.Sum(nil))
	return err
}

// decodeMemo parses a memo file. Every length in it is checked against
// what is left before it is used, so that no content, however damaged or
// made up, can make it read out of bounds or allocate more than the file.
func decodeMemo(data []byte) (map[string]memoEntry, error) {
	body, err := unseal(data, memoMagic, memoHeader, "memo")
	if err != nil {
		return nil, err
	}
	data = body
	out := map[string]memoEntry{}
	for len(data) > 0 {
		n, k := binary.Uvarint(data)
		if k <= 0 {
			return nil, fmt.Errorf("a path length at byte %d is malformed", len(body)-len(data))
		}
		rest := data[k:]
		if n > maxMemoPath || n > uint64(len(rest)) || uint64(len(rest))-n < memoRecord {
			return nil, fmt.Errorf("a record at byte %d claims a %d-byte path, more than the file holds", len(body)-len(data), n)
		}
		p := string(rest[:n])
		rec := rest[n : n+memoRecord]
		u := func(i int) uint64 { return binary.LittleEndian.Uint64(rec[i*8:]) }
		e := memoEntry{Stat: archive.FileStat{Dev: u(0), Ino: u(1), Size: int64(u(2)), Mode: uint32(u(3)), Mtime: int64(u(4)), Ctime: int64(u(5))}}
		copy(e.Sum[:], rec[48:])
		out[p] = e
		data = rest[n+memoRecord:]
	}
	return out, nil
}

// known returns the remembered digest of the file at p without reading it,
// when its stamp (from stat or lstat of p) is the one remembered.
func (h *hashMemo) known(p string, s archive.Stamp) ([32]byte, bool) {
	st, trusted := s.Stat, s.Trusted
	h.mu.Lock()
	defer h.mu.Unlock()
	h.load()
	h.vouched[p] = st
	e, ok := h.entries[p]
	if ok && trusted && e.Stat == st {
		return e.Sum, true
	}
	return [32]byte{}, false
}

// remember records the digest of the file at p as read at time read, unless
// the file changed too shortly before to be told apart from a later change.
func (h *hashMemo) remember(p string, s archive.Stamp, sum [32]byte, read time.Time) {
	st, trusted := s.Stat, s.Trusted
	cutoff := read.Add(-racyWindow).UnixNano()
	if !trusted || st.Mtime >= cutoff || st.Ctime >= cutoff {
		return
	}
	h.mu.Lock()
	h.entries[p] = memoEntry{Stat: st, Sum: sum}
	h.dirty = true
	h.mu.Unlock()
}

// sum returns the content digest of the file at p, stamped s (from stat or
// lstat of p, not followed through a symlink), reading it only when the
// memo cannot vouch for it.
func (h *hashMemo) sum(p string, s archive.Stamp) ([32]byte, error) {
	if sum, ok := h.known(p, s); ok {
		return sum, nil
	}
	now := time.Now()
	sum, err := archive.DigestFile(p, s.Stat.Size)
	if err != nil {
		return sum, err
	}
	h.remember(p, s, sum, now)
	return sum, nil
}

// sumPath hashes the regular file at p, following a symlink at p.
func (h *hashMemo) sumPath(p string) ([32]byte, error) {
	info, err := os.Stat(p)
	if err != nil {
		return [32]byte{}, err
	}
	if !info.Mode().IsRegular() {
		return [32]byte{}, fmt.Errorf("%s is not a regular file", p)
	}
	return h.sum(p, archive.StampOf(info))
}

// sumEntries hashes the file entries, in parallel, into sums (by index).
func (h *hashMemo) sumEntries(ctx context.Context, entries []archive.Entry) ([][32]byte, error) {
	return sumEach(ctx, entries, func(e archive.Entry) ([32]byte, error) { return h.sum(e.Src, e.Stamp) })
}

// sumEach digests the file entries with sum, in parallel, into sums (by
// index).
func sumEach(ctx context.Context, entries []archive.Entry, sum func(archive.Entry) ([32]byte, error)) ([][32]byte, error) {
	sums := make([][32]byte, len(entries))
	work := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var s [32]byte
				err := crash.Guard("hash", func() (err error) {
					s, err = sum(entries[i])
					return err
				})
				if crash.Is(err) {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				if err != nil {
					select {
					case errs <- archive.ReadError(entries[i].Origin, err):
					default:
					}
					continue
				}
				sums[i] = s
			}
		}()
	}
	var err error
feed:
	for i := range entries {
		if entries[i].Kind != archive.KindFile {
			continue
		}
		select {
		case work <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return sums, err
}

// changedSince returns a file whose hash this run used but whose stat has
// changed since, or "" when every one is as it was. The files are
// stat'ed in parallel: on a first build of thousands of files, this is
// most of what follows compressing them.
func (h *hashMemo) changedSince() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	type vouched struct {
		path string
		st   archive.FileStat
	}
	work := make(chan vouched, 256)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changed string
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range work {
				info, err := os.Stat(v.path)
				if err != nil || archive.StampOf(info).Stat != v.st {
					mu.Lock()
					changed = v.path
					mu.Unlock()
				}
			}
		}()
	}
	for p, st := range h.vouched {
		work <- vouched{p, st}
	}
	close(work)
	wg.Wait()
	return changed
}

// save writes the memo back when it learned something, atomically.
func (h *hashMemo) save() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file == "" || !h.dirty {
		return nil
	}
	if h.ignore {
		// --no-cache ignored the stored memo; keep what it held for other
		// files, since it stays right for them.
		old := newHashMemo(h.file, false)
		old.load()
		h.unreadable = old.unreadable
		for p, e := range h.entries {
			old.entries[p] = e
		}
		h.entries = old.entries
	}
	var buf bytes.Buffer
	if err := encodeMemo(&buf, h.entries); err != nil {
		return err
	}
	if err := atomicfile.Write(h.file, buf.Bytes()); err != nil {
		return err
	}
	h.dirty = false
	return nil
}

func hexSum(s [32]byte) string { return hex.EncodeToString(s[:]) }
