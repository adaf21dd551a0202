package archive

import (
	"fmt"
	"io"
)

// Codec names how the writer turns a file's content into compressed bytes:
// the deflate level, the chunking and each chunk's dictionary. With the
// same deflate code (the layerctl executable), the same content always
// gives the same bytes, which is what lets a rebuild copy a file's bytes
// from an earlier ZIP. A cache keys reuse on it and on the executable.
var Codec = fmt.Sprintf("klauspost flate level %d, %d-byte chunks, %d-byte dictionaries", compressLevel, ChunkSize, dictSize)

// RawEntry is where one file's compressed bytes lie in a ZIP this writer
// wrote, and what its header says of them: enough to copy them into
// another ZIP as they are and write the header a compression would.
type RawEntry struct {
	Digest     [32]byte // the file's content digest
	Offset     int64    // of the compressed bytes, in the ZIP
	Compressed int64    // bytes in the ZIP
	Size       int64    // bytes of content
	CRC32      uint32   // of the content, as the ZIP's headers record it
	DataCRC    uint32   // of the compressed bytes: checked as they are copied
	Stored     bool     // stored, not deflated (one chunk deflate did not shrink)
	ELF        uint16   // the ELF machine, when IsELF
	IsELF      bool
}

// Reuse is a ZIP the writer wrote before, and its files' compressed bytes
// by content digest (its ZipStats.Index).
type Reuse struct {
	ZIP     io.ReaderAt
	Entries map[[32]byte]RawEntry
}

// ReuseError is a reused file whose bytes in Reuse were not the ones its
// record describes: the record or the ZIP was damaged. Nothing written
// with it can be kept; writing again without Reuse gives the right ZIP.
type ReuseError struct {
	Name string // the entry
	Err  error
}

func (e *ReuseError) Error() string {
	return fmt.Sprintf("copying %s from the previous ZIP: %v", e.Name, e.Err)
}

func (e *ReuseError) Unwrap() error { return e.Err }
