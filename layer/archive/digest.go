package archive

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// A file's content digest is the SHA-256 of the SHA-256s of its chunks of
// chunkSize bytes (one empty chunk for an empty file). The ZIP writer
// computes it from the chunks it compresses, in parallel, so a first build
// reads its inputs once.
type contentDigest struct{ h hash.Hash }

func newContentDigest() *contentDigest {
	d := &contentDigest{h: sha256.New()}
	d.reset()
	return d
}

func (d *contentDigest) reset() {
	d.h.Reset()
	d.h.Write([]byte("layerctl content digest 1\n"))
}

func (d *contentDigest) add(chunk [32]byte) { d.h.Write(chunk[:]) }

func (d *contentDigest) sum() [32]byte {
	var out [32]byte
	d.h.Sum(out[:0])
	return out
}

var digestBufs = sync.Pool{New: func() any { b := make([]byte, ChunkSize); return &b }}

// DigestFile reads the file at p, which stat said holds size bytes.
func DigestFile(p string, size int64) ([32]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	d := newContentDigest()
	bp := digestBufs.Get().(*[]byte)
	defer digestBufs.Put(bp)
	buf := (*bp)[:min(int64(ChunkSize), max(size, 1))]
	var n int64
	for first := true; ; first = false {
		k, err := io.ReadFull(f, buf)
		n += int64(k)
		if k > 0 || first {
			d.add(sha256.Sum256(buf[:k]))
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return [32]byte{}, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	if n != size {
		return [32]byte{}, fmt.Errorf("reading %s: the file changed while layerctl read it (rebuild when nothing writes to it)", p)
	}
	return d.sum(), nil
}
