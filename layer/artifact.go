package layer

import "time"

// Artifact is one built layer ZIP. Its SHA-256 is the layer's identity.
type Artifact struct {
	Layer         string
	Path          string
	SHA256        string // hex
	CodeSHA256    string // base64 of the same digest, as Lambda reports CodeSha256
	Size          int64
	UnzippedSize  int64
	Files         int
	Runtimes      []string
	Architectures []string
	Findings      []Finding // notes and warnings; errors fail the build
	Cached        bool      // the build cache held it: nothing was rebuilt
	// Modified is every entry's time (SOURCE_DATE_EPOCH, else
	// DefaultModified); zero for a ZIP built elsewhere.
	Modified time.Time
	// Reused is how many of Files were copied compressed from the layer's
	// previous ZIP rather than compressed again (the build cache).
	Reused int
}

// DefaultModified is the timestamp of every entry when SOURCE_DATE_EPOCH is
// not set: the earliest a ZIP can record.
var DefaultModified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
