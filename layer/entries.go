package layer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/layerctl/layerctl/manifest"
)

// entryKind says what a ZIP entry is.
type entryKind int

const (
	kindFile entryKind = iota
	kindDir
	kindSymlink
)

// entry is one member of the layer ZIP, read from where it lies on disk.
type entry struct {
	name   string // slash path inside the ZIP; directories end with "/"
	kind   entryKind
	src    string // file on disk (files only)
	size   int64  // bytes on disk (files only)
	exec   bool   // any execute bit set on disk
	target string // link target (symlinks only)
	origin string // the manifest source it came from, for error messages
}

// DefaultExcludes are left out of every layer unless it sets
// default_excludes: false. They never belong in a layer and they change
// from one machine to the next.
var DefaultExcludes = []string{
	"**/__pycache__", "**/__pycache__/**",
	"**/*.pyc",
	"**/.git", "**/.git/**",
	"**/.DS_Store",
}

// ContentError is a problem with what a layer would contain: a symlink
// that escapes, two sources claiming one path, a file that is not regular.
type ContentError struct {
	Layer string
	Msg   string
}

func (e *ContentError) Error() string { return fmt.Sprintf("layer %q: %s", e.Layer, e.Msg) }

// collect lists every entry of the layer, sorted by name, reading the
// sources in place (no staging copy). The folder skip (the output folder)
// is never read, even when a source contains it.
func collect(l *manifest.Layer, baseDir, skip string) ([]entry, error) {
	excludes := append([]string(nil), l.Exclude...)
	if l.DefaultExcludes {
		excludes = append(excludes, DefaultExcludes...)
	}
	excluded := func(name string) bool {
		for _, p := range excludes {
			if ok, _ := doublestar.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	cerr := func(format string, args ...any) error {
		return &ContentError{Layer: l.Name, Msg: fmt.Sprintf(format, args...)}
	}

	byName := map[string]*entry{}
	add := func(e entry) error {
		if prev, ok := byName[e.name]; ok {
			return cerr("%s comes from both %s and %s: map one of them elsewhere or exclude it", e.name, prev.origin, e.origin)
		}
		byName[e.name] = &e
		return nil
	}

	for _, fm := range l.Files {
		src := fm.From
		if !filepath.IsAbs(src) {
			src = filepath.Join(baseDir, filepath.FromSlash(src))
		}
		info, err := os.Stat(src)
		if err != nil {
			return nil, cerr("files: %s: %v", fm.From, unwrapPathErr(err))
		}
		if !info.IsDir() {
			name := fm.To
			if name == "" {
				name = path.Base(filepath.ToSlash(src))
			}
			if excluded(name) {
				continue
			}
			if !info.Mode().IsRegular() {
				return nil, cerr("%s is not a regular file or folder", fm.From)
			}
			if err := add(entry{name: name, kind: kindFile, src: src, size: info.Size(), exec: info.Mode()&0o111 != 0, origin: fm.From}); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == src {
				return nil
			}
			if d.IsDir() && sameDir(p, skip) {
				return filepath.SkipDir
			}
			rel, err := filepath.Rel(src, p)
			if err != nil {
				return err
			}
			name := path.Join(fm.To, filepath.ToSlash(rel))
			if excluded(name) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			origin := path.Join(fm.From, filepath.ToSlash(rel))
			switch t := d.Type(); {
			case t.IsDir():
				return nil // folders are recorded as parents of what they hold
			case t&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				if err := checkLinkTarget(name, target); err != nil {
					return cerr("symlink %s -> %s %v: replace it with what it points to, or exclude it", origin, target, err)
				}
				return add(entry{name: name, kind: kindSymlink, target: filepath.ToSlash(target), origin: origin})
			case t.IsRegular():
				info, err := d.Info()
				if err != nil {
					return err
				}
				return add(entry{name: name, kind: kindFile, src: p, size: info.Size(), exec: info.Mode()&0o111 != 0, origin: origin})
			default:
				return cerr("%s is a %s, not a regular file: exclude it", origin, typeName(t))
			}
		})
		if err != nil {
			var ce *ContentError
			if errors.As(err, &ce) {
				return nil, err
			}
			return nil, fmt.Errorf("reading %s: %w", fm.From, err)
		}
	}

	// Every folder that holds something gets an entry of its own, as zip -r
	// writes them; a name used both as a file and as a folder is refused.
	for name, e := range byName {
		for dir := path.Dir(strings.TrimSuffix(name, "/")); dir != "."; dir = path.Dir(dir) {
			if f, ok := byName[dir]; ok {
				return nil, cerr("%s is a file (from %s) but %s puts %s inside it", dir, f.origin, e.origin, name)
			}
			if _, ok := byName[dir+"/"]; ok {
				break
			}
			byName[dir+"/"] = &entry{name: dir + "/", kind: kindDir, origin: e.origin}
		}
	}
	for name, e := range byName {
		if e.kind != kindSymlink {
			continue
		}
		resolved := path.Join(path.Dir(name), e.target)
		_, isEntry := byName[resolved]
		_, isDir := byName[resolved+"/"]
		if !isEntry && !isDir {
			return nil, cerr("symlink %s -> %s points to %s, which is not in the layer: add it, or exclude the link", e.origin, e.target, resolved)
		}
	}

	entries := make([]entry, 0, len(byName))
	for _, e := range byName {
		entries = append(entries, *e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	return entries, nil
}

// checkLinkTarget refuses link targets that leave the layer once unpacked
// in /opt: absolute ones and ones that climb above the ZIP root.
func checkLinkTarget(name, target string) error {
	t := filepath.ToSlash(target)
	if path.IsAbs(t) || filepath.IsAbs(target) {
		return fmt.Errorf("is absolute, so it points outside the layer")
	}
	resolved := path.Join(path.Dir(name), t)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("points outside the layer")
	}
	return nil
}

func sameDir(p, abs string) bool {
	a, err := filepath.Abs(p)
	return err == nil && a == abs
}

func typeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeDevice != 0:
		return "device"
	default:
		return "special file"
	}
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
