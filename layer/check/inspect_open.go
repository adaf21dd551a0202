package check

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// The limits of what inspect reads. A ZIP may come from anywhere, so it is
// read only as far as a layer could usefully go, and no further.
const (
	// maxZipSize is the largest ZIP inspect reads. A layer unpacks to at
	// most lambdafacts.MaxUnzipped bytes (250 MB); its ZIP holds them stored or
	// deflated (deflate adds at most 5 bytes per 64 KB of incompressible
	// data) plus, per entry, a local and a central header (30 + 46 bytes,
	// more with zip64 and time extras), a data descriptor and the name
	// twice. 64 MB over the limit leaves room for maxEntries entries with
	// names of 100 bytes or more; a bigger ZIP could not be a working layer.
	maxZipSize = lambdafacts.MaxUnzipped + 64<<20
	// maxEntries is the most entries inspect reads from one ZIP: 250 MB over
	// 200,000 files is 1.3 KB a file on average, and the bound keeps the
	// memory of the entry lists (read before any check) near 130 MB
	// (measured on a 200,000-entry ZIP; 190 MB with --output json).
	maxEntries = 200_000
)

// errTooManyEntries stops the ZIP reader while it reads the central directory.
var errTooManyEntries = fmt.Errorf("it has more than %d entries, more than a layer can usefully hold", maxEntries)

// openZip opens the file at p for reading, only if it is a regular file of
// at most maxZipSize bytes. A FIFO or device would block or never end, so
// the file is checked before it is opened, opened without blocking, and
// checked again through the open descriptor: whatever p was swapped for in
// between, it is the open file that is read.
func openZip(p string) (*os.File, int64, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, 0, fmt.Errorf("opening %s: %w", p, archive.UnwrapPathErr(err))
	}
	if err := checkZipFile(p, info); err != nil {
		return nil, 0, err
	}
	// O_NONBLOCK makes opening a FIFO return at once; on a regular file it
	// changes nothing.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("opening %s: %w", p, archive.UnwrapPathErr(err))
	}
	if info, err = f.Stat(); err == nil {
		err = checkZipFile(p, info)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

// checkZipFile refuses what cannot be a layer ZIP before a byte is read.
func checkZipFile(p string, info fs.FileInfo) error {
	switch m := info.Mode(); {
	case m.IsDir():
		return fmt.Errorf("%s is a folder, not a ZIP file", p)
	case !m.IsRegular():
		return fmt.Errorf("%s is a %s, not a ZIP file: inspect reads only regular files", p, archive.TypeName(m.Type()))
	case info.Size() > maxZipSize:
		return fmt.Errorf("%s is %d bytes, more than the %d bytes a layer ZIP can usefully be (Lambda's 250 MB unzipped limit plus 64 MB for the ZIP's own headers): not inspected", p, info.Size(), int64(maxZipSize))
	}
	return nil
}

// ctxReaderAt fails every read once ctx is done. Every read of an inspected
// ZIP goes through one (hashing it, reading its directory, opening its
// entries), so inspect stops within one read of being interrupted.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

// hashZip returns the SHA-256 of the size bytes of r.
func hashZip(r io.ReaderAt, size int64) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
