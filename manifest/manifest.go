package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/layerctl/layerctl/internal/readfile"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// Manifest is a parsed and validated layerctl.yaml.
type Manifest struct {
	Path     string // as given to Load
	Dir      string // filepath.Dir(Path); From paths are relative to it
	Version  int
	Layers   []*Layer   // sorted by Name
	Accounts []Account  // the top-level accounts:, in manifest order; each layer has its effective ones
	Lock     LockPlace  // where the lock is kept: layerctl.lock beside the manifest, or S3 (lock:)
	Warnings []*Problem // not fatal: e.g. deprecated runtimes
}

// Layer is one Lambda layer, with the manifest's defaults already applied.
type Layer struct {
	Name, Description, License string
	Runtimes                   []string // effective (layer's own, else defaults'), manifest order
	Architectures              []string // effective; default []string{"x86_64"}
	Files                      []FileMap
	Exclude                    []string
	DefaultExcludes            bool // true unless default_excludes: false
	Publishing                      // regions, s3, share
	Pos                        Pos  // position of the layer's name key

	Attach Attach // which functions attach moves (see attach.go)
	// Accounts are the accounts the layer is published to and attached in
	// (its own accounts:, else the manifest's); none means the account of
	// the credentials layerctl runs with (see accounts.go).
	Accounts []Account

	// Content built by package tools (see builders.go).
	Python    *Python   // pip/uv requirements into python/; nil when not set
	Node      *Node     // npm ci into nodejs/node_modules/; nil when not set
	Go        []GoBuild // Go executables, cross-compiled per architecture
	SplitFrom string    // on each half of a split_architectures layer: the layer's name in the manifest
}

// FileMap copies a file or folder into the layer's ZIP.
type FileMap struct {
	From string // as written (slash-separated, relative to Manifest.Dir, or absolute)
	To   string // cleaned slash path inside the ZIP; "" means the ZIP root
	Pos  Pos    // position of this entry

	Architecture string // when set, the entry is used only when building for this architecture
	Archive      bool   // From is an archive (IsArchive) whose entries are unpacked into To
	AllowOutside bool   // From may lie outside the repository (see CheckSources)
}

// DigestTagPrefix precedes the content digest that layerctl appends to every
// layer description, so descriptions must leave room for it.
const DigestTagPrefix = " layerctl-sha256:"

// MaxDescription is the longest description a manifest may give: Lambda's
// 256 characters less the digest tag.
const MaxDescription = lambdafacts.MaxDescription - len(DigestTagPrefix) - 64

// DigestTag is the suffix layerctl appends to a description for a layer whose
// content has the given SHA-256 (64 hex characters).
func DigestTag(sha256Hex string) string {
	return DigestTagPrefix + sha256Hex
}

// Load reads and parses the manifest at path. Every error is an *Error.
func Load(path string) (*Manifest, error) { return LoadAt(path, time.Now()) }

// LoadAt is Load with the day runtime lifecycle warnings are true of.
func LoadAt(path string, now time.Time) (*Manifest, error) {
	data, err := readManifest(path)
	if err != nil {
		msg := "cannot read: " + err.Error()
		var pathErr *fs.PathError
		var notRegular *readfile.NotRegularError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			msg = "file not found; create it (see README: Manifest reference) or pass -f PATH"
		case errors.As(err, &notRegular):
			msg = fmt.Sprintf("cannot read: it is a %s, not a file: pass -f the manifest's path", notRegular.Kind())
		case errors.As(err, &pathErr):
			msg = "cannot read: " + pathErr.Err.Error()
		}
		return nil, &Error{Problems: []*Problem{{Pos: Pos{File: path}, Msg: msg}}}
	}
	return ParseAt(path, data, now)
}
