package archive

import (
	"context"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zip"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

const (
	// ChunkSize is how much of one file a compressor takes at a time. Big
	// files are cut into chunks compressed in parallel and joined into one
	// deflate stream, as pigz does, so memory stays bounded whatever the
	// file size.
	ChunkSize = 1 << 20
	// dictSize is the deflate window: each chunk after the first is primed
	// with the previous chunk's last bytes, so cutting costs almost no ratio.
	dictSize = 32 << 10
	// compressLevel trades speed for size; klauspost's level 6 matches
	// Info-ZIP's default output size within a percent or two.
	compressLevel = 6
)

// ZipStats is what writing the ZIP learned about its content.
type ZipStats struct {
	Files    int
	Unzipped int64
	ELF      map[string]uint16   // entry name -> ELF machine, for ELF files
	Digests  map[string][32]byte // source file -> content digest (see contentDigest)
	// Index is where each file's compressed bytes lie in this ZIP, in
	// entry order: what a later build needs to reuse them (ZipOptions.Reuse).
	Index  []RawEntry
	Reused int // files copied compressed from ZipOptions.Reuse
}

// ZipOptions says how WriteZipWith writes.
type ZipOptions struct {
	Modified time.Time // the one timestamp every entry gets
	Workers  int       // compressors at once; 0 means one per CPU
	// Reuse, when set, is a ZIP this writer wrote before: a file whose
	// content digest (from Digests, by source path) it holds is copied
	// from it compressed, as it is, instead of compressed again. The ZIP's
	// bytes are the same either way: a file's compressed bytes depend only
	// on its content (see Codec).
	Reuse   *Reuse
	Digests map[string][32]byte
}

// chunk is one unit of work: a slice of one file, compressed by a worker
// and written in order by the writer; or a whole file whose compressed
// bytes are copied from Reuse (reuse set; no worker).
type chunk struct {
	e      *Entry
	index  int // chunk number within the file
	last   bool
	off    int64
	n      int64
	raw    []byte // the chunk's bytes
	comp   []byte // deflate output, until the file's last chunk non-final
	crc    uint32
	sha    [32]byte // SHA-256 of raw: the chunk's part of the file's content digest
	err    error
	done   chan struct{}
	stored bool      // single-chunk file that deflate does not shrink
	reuse  *RawEntry // the file's compressed bytes in Reuse
	units  int       // its share of the in-flight budget
}

// WriteZip writes entries as a deterministic ZIP to w: sorted entries,
// fixed timestamps and modes, no extra fields. Files are compressed by a
// pool of workers, with at most inFlight bytes read and not yet written.
func WriteZip(ctx context.Context, w io.Writer, entries []Entry, modified time.Time, workers int) (*ZipStats, error) {
	return WriteZipWith(ctx, w, entries, ZipOptions{Modified: modified, Workers: workers})
}

// WriteZipWith is WriteZip, reusing compressed bytes as opts says. A
// reused file whose copied bytes do not match their record stops it with
// a *ReuseError: write again without Reuse.
func WriteZipWith(ctx context.Context, w io.Writer, entries []Entry, opts ZipOptions) (*ZipStats, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	work := make(chan *chunk)
	room := newBudget()
	ordered := make(chan *chunk, cap(room))
	bufs := &bufPool{}

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &compressor{bufs: bufs}
			for ch := range work {
				ch.err = crash.Guard("zip", func() error { return c.run(ch) })
				close(ch.done)
			}
		}()
	}

	// The producer cuts files into chunks in entry order; each chunk goes to
	// a worker and, in the same order, to the writer. prodErr is read once
	// ordered is closed: a producer stopped early must not end in a ZIP
	// that silently lacks entries.
	var prodErr error
	go func() {
		defer close(ordered)
		defer close(work)
		prodErr = crash.Guard("zip producer", func() error { produce(ctx, entries, opts.reusable, room, ordered, work); return nil })
	}()
	defer func() {
		cancel()
		for range ordered {
		}
		wg.Wait()
	}()

	z := newZipOut(w, opts.Modified)
	for ch := range ordered {
		select {
		case <-ch.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if ch.err != nil {
			return nil, ch.err
		}
		if err := z.write(ch, opts.Reuse, bufs); err != nil {
			return nil, err
		}
		ch.release(bufs)
		room.give(ch.units)
	}
	if prodErr != nil {
		return nil, prodErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := z.zw.Close(); err != nil {
		return nil, err
	}
	return z.stats, nil
}

// reusable is the record of e's compressed bytes in Reuse, or nil.
func (o *ZipOptions) reusable(e *Entry) *RawEntry {
	if o.Reuse == nil || e.Kind != KindFile {
		return nil
	}
	d, ok := o.Digests[e.Src]
	if !ok {
		return nil
	}
	r, ok := o.Reuse.Entries[d]
	if !ok || r.Size != e.Size {
		return nil
	}
	return &r
}

// zipOut is the writer's side of WriteZip: entries' headers and bytes in
// order, and what they tell (ZipStats).
type zipOut struct {
	zw       *zip.Writer
	cw       *CountingWriter // under zw's buffer: offsets, once zw is flushed
	stats    *ZipStats
	date, tm uint16

	// The file being written, while its chunks arrive.
	fh  *zip.FileHeader
	out io.Writer
	rec RawEntry
	dig *contentDigest
}

func newZipOut(w io.Writer, modified time.Time) *zipOut {
	cw := &CountingWriter{W: w}
	date, tm := msdosTime(modified)
	return &zipOut{
		zw: zip.NewWriter(cw), cw: cw, date: date, tm: tm, dig: newContentDigest(),
		stats: &ZipStats{ELF: map[string]uint16{}, Digests: map[string][32]byte{}},
	}
}

// write writes one chunk: the entry's header first when it is the entry's
// first chunk.
func (z *zipOut) write(ch *chunk, reuse *Reuse, bufs *bufPool) error {
	e := ch.e
	if ch.index == 0 {
		if err := z.begin(ch); err != nil {
			return err
		}
		switch e.Kind {
		case KindSymlink:
			_, err := io.WriteString(z.out, e.Target)
			return err
		case KindDir:
			return nil
		}
		if ch.reuse != nil {
			return z.copyReused(ch, reuse, bufs)
		}
	}
	data := ch.comp
	if ch.stored {
		data = ch.raw
	}
	if _, err := z.out.Write(data); err != nil {
		return err
	}
	r := &z.rec
	if ch.index == 0 {
		if m, ok := lambdafacts.ELFMachine(ch.raw); ok {
			z.stats.ELF[e.Name] = m
			r.ELF, r.IsELF = m, true
		}
	}
	r.CRC32 = crc32.Update(r.CRC32, crc32.IEEETable, ch.raw)
	r.DataCRC = crc32.Update(r.DataCRC, crc32.IEEETable, data)
	r.Size += int64(len(ch.raw))
	r.Compressed += int64(len(data))
	z.dig.add(ch.sha)
	if !ch.last {
		return nil
	}
	r.Digest = z.dig.sum()
	r.Stored = ch.stored
	z.endFile(e)
	if z.fh.Flags&0x8 != 0 {
		// Written after the data, from the header as it is when the next
		// entry starts.
		z.fh.CRC32 = r.CRC32
		z.fh.CompressedSize64, z.fh.UncompressedSize64 = uint64(r.Compressed), uint64(r.Size)
		z.fh.CompressedSize, z.fh.UncompressedSize = uint32(r.Compressed), uint32(r.Size)
	}
	return nil
}

// begin writes the header of ch's entry. A file's sizes go in its local
// header when the whole file is in hand (one chunk, or reused); else a
// data descriptor follows its bytes.
func (z *zipOut) begin(ch *chunk) error {
	e := ch.e
	fh := &zip.FileHeader{Name: e.Name, ReaderVersion: 20, CreatorVersion: 20, ModifiedDate: z.date, ModifiedTime: z.tm}
	if !isASCII(e.Name) && utf8.ValidString(e.Name) {
		fh.Flags |= 0x800
	}
	switch e.Kind {
	case KindDir:
		fh.SetMode(fs.ModeDir | 0o755)
	case KindSymlink:
		fh.SetMode(fs.ModeSymlink | 0o777)
		fh.CRC32 = crc32.ChecksumIEEE([]byte(e.Target))
		fh.CompressedSize64 = uint64(len(e.Target))
		fh.UncompressedSize64 = fh.CompressedSize64
	case KindFile:
		if e.Exec {
			fh.SetMode(0o755)
		} else {
			fh.SetMode(0o644)
		}
		fh.Method = zip.Deflate
		switch r := ch.reuse; {
		case r != nil:
			// The same header a compression of the file would give:
			// stored only when it is one chunk deflate does not shrink,
			// a data descriptor when it is more than one chunk.
			if r.Stored {
				fh.Method = zip.Store
			}
			fh.CRC32 = r.CRC32
			fh.CompressedSize64, fh.UncompressedSize64 = uint64(r.Compressed), uint64(r.Size)
			if r.Size > ChunkSize {
				fh.Flags |= 0x8
			}
		case ch.last:
			data := ch.comp
			if ch.stored {
				fh.Method = zip.Store
				data = ch.raw
			}
			fh.CRC32 = ch.crc
			fh.CompressedSize64 = uint64(len(data))
			fh.UncompressedSize64 = uint64(len(ch.raw))
		default:
			fh.Flags |= 0x8
		}
	}
	out, err := z.zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	// Flushed, the count is where the entry's bytes start: the index
	// records it.
	if err := z.zw.Flush(); err != nil {
		return err
	}
	z.fh, z.out = fh, out
	z.rec = RawEntry{Offset: z.cw.N}
	z.dig.reset()
	return nil
}

// copyReused copies a file's compressed bytes from reuse, checking them
// against their record as they go.
func (z *zipOut) copyReused(ch *chunk, reuse *Reuse, bufs *bufPool) error {
	r := *ch.reuse
	buf := bufs.get(ChunkSize)
	defer bufs.put(buf)
	buf = buf[:cap(buf)]
	src := io.NewSectionReader(reuse.ZIP, r.Offset, r.Compressed)
	var crc uint32
	var n int64
	for {
		k, err := src.Read(buf)
		if k > 0 {
			crc = crc32.Update(crc, crc32.IEEETable, buf[:k])
			n += int64(k)
			if _, werr := z.out.Write(buf[:k]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return &ReuseError{Name: ch.e.Name, Err: err}
		}
	}
	if n != r.Compressed || crc != r.DataCRC {
		return &ReuseError{Name: ch.e.Name, Err: errors.New("its compressed bytes are not the ones recorded")}
	}
	if r.IsELF {
		z.stats.ELF[ch.e.Name] = r.ELF
	}
	r.Offset = z.rec.Offset
	z.rec = r
	z.dig.reset()
	z.stats.Reused++
	z.endFile(ch.e)
	return nil
}

// endFile records the file just written.
func (z *zipOut) endFile(e *Entry) {
	z.stats.Files++
	z.stats.Unzipped += z.rec.Size
	z.stats.Digests[e.Src] = z.rec.Digest
	z.stats.Index = append(z.stats.Index, z.rec)
}

// CountingWriter counts the bytes written through it to W: a ZIP's size,
// and its entries' offsets.
type CountingWriter struct {
	W io.Writer
	N int64
}

func (c *CountingWriter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}

// produce cuts the entries' files into chunks, in order, each sent to the
// writer (ordered) and, for files to compress, to a worker, once the
// budget has room for it; it stops when ctx ends.
func produce(ctx context.Context, entries []Entry, reusable func(*Entry) *RawEntry, room budget, ordered, work chan<- *chunk) {
	for i := range entries {
		e := &entries[i]
		if r := reusable(e); e.Kind != KindFile || r != nil {
			ch := &chunk{e: e, last: true, reuse: r, units: 1, done: make(chan struct{})}
			close(ch.done)
			if !room.take(ctx, ch.units) {
				return
			}
			ordered <- ch
			continue
		}
		n := max(1, (e.Size+ChunkSize-1)/ChunkSize)
		for k := int64(0); k < n; k++ {
			ch := &chunk{e: e, index: int(k), off: k * ChunkSize, n: min(ChunkSize, e.Size-k*ChunkSize), last: k == n-1, done: make(chan struct{})}
			ch.units = units(ch.n)
			if !room.take(ctx, ch.units) {
				return
			}
			ordered <- ch
			select {
			case work <- ch:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (ch *chunk) release(bufs *bufPool) {
	if ch.raw != nil {
		bufs.put(ch.raw)
	}
	if ch.comp != nil {
		bufs.put(ch.comp)
	}
	ch.raw, ch.comp = nil, nil
}

// compressor is one worker's reusable deflate state.
type compressor struct {
	bufs *bufPool
	fw   *flate.Writer
	buf  sliceWriter
}

func (c *compressor) run(ch *chunk) error {
	if ch.e.Kind != KindFile {
		return nil
	}
	f, err := os.Open(ch.e.Src)
	if err != nil {
		return ReadError(ch.e.Origin, err)
	}
	defer f.Close()

	// The chunk with the bytes before it that prime deflate; the last
	// chunk reads one byte more, which must not be there: a file that
	// grew during the build would otherwise be cut silently.
	dictOff := max(0, ch.off-dictSize)
	need := ch.off + ch.n - dictOff
	want := need
	if ch.last {
		want++
	}
	in := c.bufs.get(int(want))[:want]
	got, err := f.ReadAt(in, dictOff)
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		c.bufs.put(in)
		return ReadError(ch.e.Origin, err)
	}
	if int64(got) != need {
		c.bufs.put(in)
		return &ChangedError{Path: ch.e.Origin} // shorter or longer than listed
	}
	in = in[:need]
	dict, data := in[:ch.off-dictOff], in[ch.off-dictOff:]

	// Room for what most content deflates to; what does not shrink grows it.
	c.buf.b = c.bufs.get(int(ch.n/2 + 64))
	if c.fw == nil {
		c.fw, _ = flate.NewWriter(&c.buf, compressLevel)
	}
	c.fw.ResetDict(&c.buf, dict)
	if _, err := c.fw.Write(data); err != nil {
		return err
	}
	if ch.last {
		err = c.fw.Close()
	} else {
		err = c.fw.Flush()
	}
	if err != nil {
		return err
	}
	// Keep only this chunk's bytes: the dictionary prefix is not content.
	if len(dict) > 0 {
		copy(in, data)
		data = in[:len(data)]
	}
	ch.raw, ch.comp = data, c.buf.b
	ch.crc = crc32.ChecksumIEEE(data)
	ch.sha = sha256.Sum256(data)
	ch.stored = ch.index == 0 && ch.last && len(ch.comp) >= len(data)
	c.buf.b = nil
	return nil
}

type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// msdosTime converts t to the ZIP's MS-DOS date and time fields, clamped
// to the format's range (1980-2107), at two-second resolution, in UTC.
func msdosTime(t time.Time) (date, tm uint16) {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if t.Year() > 2107 {
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
