package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/layerctl/layerctl/internal/atomicfile"
	"github.com/layerctl/layerctl/internal/readfile"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
)

// A build's ZIP index says where each file's compressed bytes lie in its
// ZIP (archive.ZipStats.Index), so that the next build of the layer, after
// a change, copies the bytes of every file that did not change instead of
// compressing it again: builds/<layer>-<fingerprint>.zidx, beside the
// build's entry. It is bound to the ZIP by the ZIP's SHA-256 and to the
// deflate code by the codec (layerctl's executable and archive.Codec): a
// ZIP changed since, or another layerctl, and nothing is reused.
//
// The file: a header line, the codec (uvarint length, bytes), the ZIP's
// SHA-256, then per file a fixed-size record, then the SHA-256 of
// everything before it, so that damage is seen rather than trusted.
var indexMagic = []byte("layerctl zip index 1\n")

const (
	indexHeader = "layerctl zip index "
	// indexRecord: digest, offset, compressed and content sizes, CRC-32 of
	// the content and of the compressed bytes, flags, ELF machine.
	indexRecord = 32 + 3*8 + 2*4 + 1 + 2
	// maxIndexSize bounds an index: a million files' records.
	maxIndexSize = 80 << 20
	// previousTries is how many of a layer's newest builds a rebuild looks
	// at for one whose ZIP and index it can use.
	previousTries = 3

	flagStored = 1 << 0
	flagELF    = 1 << 1
)

func indexPath(entryPath string) string { return strings.TrimSuffix(entryPath, ".json") + ".zidx" }

func encodeIndex(codec string, zipSHA [32]byte, index []archive.RawEntry) []byte {
	var b bytes.Buffer
	b.Write(indexMagic)
	var num [binary.MaxVarintLen64]byte
	b.Write(num[:binary.PutUvarint(num[:], uint64(len(codec)))])
	b.WriteString(codec)
	b.Write(zipSHA[:])
	var rec [indexRecord]byte
	for _, e := range index {
		copy(rec[:32], e.Digest[:])
		binary.LittleEndian.PutUint64(rec[32:], uint64(e.Offset))
		binary.LittleEndian.PutUint64(rec[40:], uint64(e.Compressed))
		binary.LittleEndian.PutUint64(rec[48:], uint64(e.Size))
		binary.LittleEndian.PutUint32(rec[56:], e.CRC32)
		binary.LittleEndian.PutUint32(rec[60:], e.DataCRC)
		var flags byte
		if e.Stored {
			flags |= flagStored
		}
		if e.IsELF {
			flags |= flagELF
		}
		rec[64] = flags
		binary.LittleEndian.PutUint16(rec[65:], e.ELF)
		b.Write(rec[:])
	}
	seal(&b)
	return b.Bytes()
}

// decodeIndex parses an index for the ZIP whose SHA-256 is zipSHA and
// whose size is zipSize, written with codec. Every length and offset is
// checked before it is used: no content, however damaged or made up, can
// make it read out of bounds or point past the ZIP.
func decodeIndex(data []byte, codec string, zipSHA [32]byte, zipSize int64) (map[[32]byte]archive.RawEntry, error) {
	rest, err := unseal(data, indexMagic, indexHeader, "index")
	if err != nil {
		return nil, err
	}
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return nil, errors.New("its codec's length is malformed")
	}
	if string(rest[k:k+int(n)]) != codec {
		return nil, errOtherFormat
	}
	rest = rest[k+int(n):]
	if len(rest) < 32 {
		return nil, errors.New("it is cut short")
	}
	if [32]byte(rest[:32]) != zipSHA {
		return nil, errors.New("it indexes another ZIP than the one its build recorded")
	}
	rest = rest[32:]
	if len(rest)%indexRecord != 0 {
		return nil, fmt.Errorf("its records are %d bytes, not a whole number of %d-byte records", len(rest), indexRecord)
	}
	out := make(map[[32]byte]archive.RawEntry, len(rest)/indexRecord)
	for i := 0; len(rest) > 0; i++ {
		rec := rest[:indexRecord]
		rest = rest[indexRecord:]
		e := archive.RawEntry{
			Digest:     [32]byte(rec[:32]),
			Offset:     int64(binary.LittleEndian.Uint64(rec[32:])),
			Compressed: int64(binary.LittleEndian.Uint64(rec[40:])),
			Size:       int64(binary.LittleEndian.Uint64(rec[48:])),
			CRC32:      binary.LittleEndian.Uint32(rec[56:]),
			DataCRC:    binary.LittleEndian.Uint32(rec[60:]),
			Stored:     rec[64]&flagStored != 0,
			IsELF:      rec[64]&flagELF != 0,
			ELF:        binary.LittleEndian.Uint16(rec[65:]),
		}
		switch {
		case rec[64]&^(flagStored|flagELF) != 0:
			return nil, fmt.Errorf("record %d has unknown flags %#x", i, rec[64])
		case e.Offset < 0 || e.Compressed < 0 || e.Size < 0 || e.Offset > zipSize || e.Compressed > zipSize-e.Offset:
			return nil, fmt.Errorf("record %d points outside the %d-byte ZIP", i, zipSize)
		case e.Stored && (e.Compressed != e.Size || e.Size > archive.ChunkSize):
			return nil, fmt.Errorf("record %d is stored but its sizes say otherwise", i)
		}
		out[e.Digest] = e
	}
	return out, nil
}

// writeIndex records the ZIP index of the build key made.
func (c *buildCache) writeIndex(name, key, codec string, a *layer.Artifact, index []archive.RawEntry) error {
	if err := c.ensure(); err != nil {
		return err
	}
	sum, err := hex.DecodeString(a.SHA256)
	if err != nil || len(sum) != 32 {
		return fmt.Errorf("the artifact's digest %q is not a SHA-256", a.SHA256)
	}
	return atomicfile.Write(indexPath(c.entryPath(name, key)), encodeIndex(codec, [32]byte(sum), index))
}

// previousZip is an earlier build's ZIP, open, and its index.
type previousZip struct {
	f     *os.File
	path  string
	reuse *archive.Reuse
}

func (p *previousZip) close() { p.f.Close() }

// previous finds, among the newest builds the cache records for the layer,
// one whose ZIP is still as it was built and whose index codec can use,
// for a rebuild to copy its files' compressed bytes. nil when there is
// none; an index that cannot be read is a note, as every damaged cache
// file is.
func (c *buildCache) previous(name, codec string) *previousZip {
	type built struct {
		path string
		when int64
	}
	ents, err := os.ReadDir(filepath.Join(c.dir, "builds"))
	if err != nil {
		return nil
	}
	var builds []built
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), name+"-")
		if !ok || len(rest) != 64+len(".json") || !strings.HasSuffix(rest, ".json") || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil {
			builds = append(builds, built{filepath.Join(c.dir, "builds", e.Name()), info.ModTime().UnixNano()})
		}
	}
	slices.SortFunc(builds, func(a, b built) int { return int(min(max(b.when-a.when, -1), 1)) })
	for _, b := range builds[:min(len(builds), previousTries)] {
		if p := c.openPrevious(b.path, name, codec); p != nil {
			return p
		}
	}
	return nil
}

// openPrevious opens the ZIP of the build recorded at entry, and its index.
func (c *buildCache) openPrevious(entry, name, codec string) *previousZip {
	e, err := readCacheEntry(entry, name)
	if err != nil {
		return nil // lookup notes a damaged entry when it is the one asked for
	}
	idx := indexPath(entry)
	if _, err := os.Lstat(idx); err != nil {
		return nil
	}
	zipPath := filepath.Join(c.outDir, e.File)
	f, size, ok := openAsRecorded(zipPath, e)
	if !ok {
		return nil
	}
	sum, _ := hex.DecodeString(e.SHA256)
	data, err := readBounded(idx, maxIndexSize)
	var entries map[[32]byte]archive.RawEntry
	if err == nil {
		entries, err = decodeIndex(data, codec, [32]byte(sum), size)
	}
	if err != nil {
		f.Close()
		if !errors.Is(err, errOtherFormat) && !errors.Is(err, fs.ErrNotExist) {
			c.notes = append(c.notes, layer.Finding{Severity: layer.SevNote, Message: fmt.Sprintf("the build cache's index %s was unreadable and was ignored (%v): every file was compressed again", idx, err)})
		}
		return nil
	}
	return &previousZip{f: f, path: zipPath, reuse: &archive.Reuse{ZIP: f, Entries: entries}}
}

// openAsRecorded opens the ZIP a cache entry records, if it is still a
// regular file holding the bytes recorded: the same stat (no write can
// leave one unchanged, see archive.FileStat), or else the same SHA-256.
func openAsRecorded(p string, e *cacheEntry) (*os.File, int64, bool) {
	if len(e.SHA256) != 64 {
		return nil, 0, false
	}
	f, info, err := readfile.Open(p) // regular, and never a wait on a FIFO
	if err != nil {
		return nil, 0, false
	}
	if st, ok := archive.StatOf(info); !ok || st != e.Stat {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, info.Size())); err != nil || hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
			f.Close()
			return nil, 0, false
		}
	}
	return f, info.Size(), true
}
