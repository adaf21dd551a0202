package builder

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/manifest"
)

// Builder is one ecosystem (pip or uv, npm, go) as the build step needs
// it: what decides its output, what in its inputs would run code, and the
// install itself. A layer whose manifest names the ecosystem (python:,
// node:, go:) gets one from the ecosystem's New; layer/build lists the
// ecosystems, one line each.
type Builder interface {
	// Key adds to the build cache key everything that decides what the
	// builder installs: its tools' versions and settings, its input files.
	// The build calls it before Install (which may use what it learned).
	Key(ctx context.Context, k Key) error
	// Install installs for the architecture arch into folders Env.Stage
	// makes, and says where the result goes in the layer.
	Install(ctx context.Context, arch string) ([]archive.Source, error)
	// Check reports, as manifest problems, the lines of the builder's
	// inputs that would make it run code the manifest does not allow. It
	// runs no tool.
	Check(ctx context.Context) ([]*manifest.Problem, error)
}

// New makes the builder of the layer in env, or nil when the layer does
// not use the ecosystem.
type New func(env Env) Builder

// Env is what a builder works with.
type Env struct {
	Layer *manifest.Layer
	// Name is the layer's name in the manifest: a split layer's halves
	// share their manifest's entries, and its problems name it.
	Name    string
	BaseDir string // the manifest's folder, absolute
	Tools   *Tools
	// Stage makes an empty folder in the build's work folder for arch and
	// name (nil for Check).
	Stage func(arch, name string) (string, error)
	// TreeDifference lists the paths that differ between two folders.
	TreeDifference func(ctx context.Context, dirA, dirB string) ([]string, error)
}

// Key is the build cache key being written.
type Key interface {
	// Add adds a labelled line of values.
	Add(label string, values ...string)
	// Path adds the content of the file or folder at file (its digest,
	// from the hash memo when it can vouch for it).
	Path(label, file string)
	// Ask asks a tool a question (its version, its settings, what a
	// package imports) and returns its answer: from the build cache,
	// without running the tool, when nothing the question says the
	// answer depends on has changed since it was last answered. A tool
	// that fails gives a *ToolError.
	Ask(ctx context.Context, q Question) ([]byte, error)
}

// Question is a question to a tool whose answer decides a build, and what
// the answer depends on that can be seen without running the tool. Beside
// what it lists, the answer is taken to depend on the command (folder,
// arguments, environment added), the executable the command names as
// found on PATH (its path and stat, links followed) and PATH itself.
type Question struct {
	Command Command
	// Env lists the variables that change the answer: names, or
	// prefixes ending in "*" (compared without case, as EnvWithPrefix).
	Env []string
	// Files are files or folders whose stat (or absence) changes the
	// answer: configuration files, version files. A folder's stat changes
	// when an entry is added, removed or renamed in it.
	Files []string
	// Depends lists the files the answer itself shows it depends on (the
	// interpreter a shim chose, a package's source files). Their stat is
	// remembered with the answer, and any change to one asks again.
	Depends func(answer []byte) ([]string, error)
}

// UpFrom lists the files named names in dir and in every folder above it,
// nearest first: where tools look for their version and settings files
// (.python-version, .npmrc, go.work).
func UpFrom(dir string, names ...string) []string {
	var out []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		for _, n := range names {
			out = append(out, filepath.Join(d, n))
		}
		if up := filepath.Dir(d); up == d {
			return out
		}
	}
}

// WithLayer names the layer in a tool's error that does not name one.
func WithLayer(err error, layer string) error {
	var te *ToolError
	if errors.As(err, &te) && te.Layer == "" {
		c := *te
		c.Layer = layer
		return &c
	}
	return err
}
