package build

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/layerctl/layerctl/manifest"
)

// OutputError is an output folder that would pack itself: it is a folder
// a layer's files entry reads, or holds one. (One inside a source is fine:
// the build leaves it out.)
type OutputError struct {
	Out   string // how the caller names the output folder: "--out build/"
	Field string // the files entry: "layers.app.files[0]"
	From  string // its from, as the manifest has it
	Holds bool   // the output folder holds the source, rather than being it
}

func (e *OutputError) Error() string {
	what := "is the source folder of"
	if e.Holds {
		what = "holds the source of"
	}
	return fmt.Sprintf("%s %s %s (%s): pick a folder outside it", e.Out, what, e.Field, e.From)
}

// CheckOutput refuses an output folder that is, or holds, a source of the
// layers' files entries: every build would pack the ZIPs, the cache and the
// temporary files of the builds before it. Paths are compared after
// following symlinks, so a link to a source is that source. label is how
// messages name the folder ("--out build/"); "" names it by its path.
func CheckOutput(m *manifest.Manifest, layers []*manifest.Layer, outDir, label string) error {
	if label == "" {
		label = "the output folder " + outDir
	}
	out, err := realPath(outDir)
	if err != nil {
		return fmt.Errorf("resolving the output folder %s: %w", outDir, err)
	}
	for _, l := range layers {
		name := l.Name
		if l.SplitFrom != "" {
			name = l.SplitFrom // both halves share the manifest's entries
		}
		for i, fm := range l.Files {
			src, err := realPath(m.Abs(fm.From))
			if err != nil {
				continue // a missing source is for CheckSources to report
			}
			if src == out || isInside(src, out) {
				return &OutputError{Out: label, Field: fmt.Sprintf("layers.%s.files[%d]", name, i), From: fm.From, Holds: src != out}
			}
		}
	}
	return nil
}

// realPath is p absolute with every symlink followed, as the kernel will
// find it; the part of p that does not exist yet (an output folder not yet
// made) is kept as written.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	parent := filepath.Dir(abs)
	if !errors.Is(err, fs.ErrNotExist) || parent == abs {
		return "", err
	}
	dir, err := realPath(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// isInside reports whether p is strictly inside dir; both are clean and
// absolute.
func isInside(p, dir string) bool {
	if dir == string(filepath.Separator) {
		return p != dir
	}
	return strings.HasPrefix(p, dir+string(filepath.Separator))
}
