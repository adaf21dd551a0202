package archive

import (
	"context"
	"crypto/sha256"
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
}

// chunk is one unit of work: a slice of one file, compressed by a worker
// and written in order by the writer.
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
	stored bool // single-chunk file that deflate does not shrink
}

// WriteZip writes entries as a deterministic ZIP to w: sorted entries,
// fixed timestamps and modes, no extra fields. Files are compressed by a
// bounded pool of workers; peak memory is about 2*chunkSize per slot.
func WriteZip(ctx context.Context, w io.Writer, entries []Entry, modified time.Time, workers int) (*ZipStats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	slots := 2*workers + 2
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	work := make(chan *chunk)
	ordered := make(chan *chunk, slots)
	sem := make(chan struct{}, slots)
	pool := sync.Pool{New: func() any { b := make([]byte, 0, ChunkSize+dictSize); return &b }}

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &compressor{pool: &pool}
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
		prodErr = crash.Guard("zip producer", func() error { produce(ctx, entries, sem, ordered, work); return nil })
	}()
	defer func() {
		cancel()
		for range ordered {
		}
		wg.Wait()
	}()

	date, tm := msdosTime(modified)
	zw := zip.NewWriter(w)
	stats := &ZipStats{ELF: map[string]uint16{}, Digests: map[string][32]byte{}}
	var (
		fh  *zip.FileHeader
		out io.Writer
		crc uint32
		raw int64
		cmp int64
		dig = newContentDigest()
	)
	for ch := range ordered {
		select {
		case <-ch.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if ch.err != nil {
			return nil, ch.err
		}
		e := ch.e
		if ch.index == 0 {
			fh = &zip.FileHeader{Name: e.Name, ReaderVersion: 20, CreatorVersion: 20, ModifiedDate: date, ModifiedTime: tm}
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
				stats.Files++
				if e.Exec {
					fh.SetMode(0o755)
				} else {
					fh.SetMode(0o644)
				}
				if m, ok := lambdafacts.ELFMachine(ch.raw); ok {
					stats.ELF[e.Name] = m
				}
				if ch.last {
					// The whole file is in hand: sizes go in the local header.
					fh.Method = zip.Deflate
					data := ch.comp
					if ch.stored {
						fh.Method = zip.Store
						data = ch.raw
					}
					fh.CRC32 = ch.crc
					fh.CompressedSize64 = uint64(len(data))
					fh.UncompressedSize64 = uint64(len(ch.raw))
				} else {
					// Sizes are known only at the end: a data descriptor follows.
					fh.Method = zip.Deflate
					fh.Flags |= 0x8
				}
			}
			var err error
			if out, err = zw.CreateRaw(fh); err != nil {
				return nil, err
			}
			crc, raw, cmp = 0, 0, 0
			dig.reset()
			switch e.Kind {
			case KindSymlink:
				if _, err := io.WriteString(out, e.Target); err != nil {
					return nil, err
				}
			case KindFile:
				if ch.last {
					data := ch.comp
					if ch.stored {
						data = ch.raw
					}
					if _, err := out.Write(data); err != nil {
						return nil, err
					}
					dig.add(ch.sha)
					stats.Digests[e.Src] = dig.sum()
					stats.Unzipped += int64(len(ch.raw))
					ch.release(&pool)
					<-sem
					continue
				}
			}
		}
		if e.Kind == KindFile {
			if _, err := out.Write(ch.comp); err != nil {
				return nil, err
			}
			crc = crc32.Update(crc, crc32.IEEETable, ch.raw)
			raw += int64(len(ch.raw))
			cmp += int64(len(ch.comp))
			dig.add(ch.sha)
			if ch.last {
				stats.Digests[e.Src] = dig.sum()
				fh.CRC32 = crc
				fh.CompressedSize64, fh.UncompressedSize64 = uint64(cmp), uint64(raw)
				fh.CompressedSize, fh.UncompressedSize = uint32(cmp), uint32(raw)
				stats.Unzipped += raw
			}
		}
		ch.release(&pool)
		<-sem
	}
	if prodErr != nil {
		return nil, prodErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return stats, nil
}

// produce cuts the entries' files into chunks, in order, each sent to the
// writer (ordered) and, for files, to a worker; it stops when ctx ends.
func produce(ctx context.Context, entries []Entry, sem chan struct{}, ordered, work chan<- *chunk) {
	for i := range entries {
		e := &entries[i]
		if e.Kind != KindFile {
			ch := &chunk{e: e, last: true, done: make(chan struct{})}
			close(ch.done)
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			ordered <- ch
			continue
		}
		n := max(1, (e.Size+ChunkSize-1)/ChunkSize)
		for k := int64(0); k < n; k++ {
			ch := &chunk{e: e, index: int(k), off: k * ChunkSize, n: min(ChunkSize, e.Size-k*ChunkSize), last: k == n-1, done: make(chan struct{})}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
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

func (ch *chunk) release(pool *sync.Pool) {
	if ch.raw != nil {
		b := ch.raw[:0]
		pool.Put(&b)
	}
	if ch.comp != nil {
		b := ch.comp[:0]
		pool.Put(&b)
	}
	ch.raw, ch.comp = nil, nil
}

// compressor is one worker's reusable deflate state.
type compressor struct {
	pool *sync.Pool
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

	dictOff := max(0, ch.off-dictSize)
	in := (*c.pool.Get().(*[]byte))[:ch.off+ch.n-dictOff]
	got, err := f.ReadAt(in, dictOff)
	if err == io.EOF && int64(got) == ch.off+ch.n-dictOff {
		err = nil
	}
	if err == io.EOF || err == nil && ch.last && !atEOF(f, ch.off+ch.n) {
		return &ChangedError{Path: ch.e.Origin} // shorter or longer than listed
	}
	if err != nil {
		return ReadError(ch.e.Origin, err)
	}
	dict, data := in[:ch.off-dictOff], in[ch.off-dictOff:]

	c.buf.b = (*c.pool.Get().(*[]byte))[:0]
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

// atEOF reports whether f has no bytes past off: a file that grew during
// the build would otherwise be cut silently.
func atEOF(f *os.File, off int64) bool {
	var one [1]byte
	n, _ := f.ReadAt(one[:], off)
	return n == 0
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
