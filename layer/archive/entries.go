package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/manifest"
)

// EntryKind says what a ZIP entry is.
type EntryKind int

const (
	KindFile EntryKind = iota
	KindDir
	KindSymlink
)

// Entry is one member of the layer ZIP, read from where it lies on disk.
type Entry struct {
	Name   string // slash path inside the ZIP; directories end with "/"
	Kind   EntryKind
	Src    string // file on disk (files only)
	Size   int64  // bytes on disk (files only)
	Exec   bool   // any execute bit set on disk
	Target string // link target (symlinks only)
	Origin string // the manifest source it came from, for error messages
	Stamp  Stamp  // from the walk (files only): what the cache knows the file by
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

// Source is one file or folder on disk whose content goes into the layer
// under to: a files entry of the manifest, an unpacked archive, or what a
// package tool (pip, npm, go) wrote.
type Source struct {
	Path  string // on disk
	To    string // slash path inside the ZIP; "" is the root
	Label string // how messages name it: the manifest's from, or the tool
}

// LayerExcludes are the patterns that leave entries out of the layer.
func LayerExcludes(l *manifest.Layer) []string {
	excludes := append([]string(nil), l.Exclude...)
	if l.DefaultExcludes {
		excludes = append(excludes, DefaultExcludes...)
	}
	return excludes
}

func AbsPath(baseDir, p string) string {
	if filepath.IsAbs(filepath.FromSlash(p)) {
		return filepath.FromSlash(p)
	}
	return filepath.Join(baseDir, filepath.FromSlash(p))
}

// Collect lists every entry of the layer from its sources, sorted by name,
// reading them in place (no staging copy). The folder skip (the output
// folder) is never read, even when a source contains it.
func Collect(layer string, srcs []Source, excludes []string, skip string) ([]Entry, error) {
	byName, err := ListSources(layer, srcs, excludes, skip)
	if err != nil {
		return nil, err
	}
	return Finish(layer, byName)
}

// Merge adds listed entries to byName, refusing a name two sources claim.
func Merge(layer string, byName map[string]*Entry, listed []Entry) error {
	for i := range listed {
		e := listed[i]
		if prev, ok := byName[e.Name]; ok {
			return &ContentError{Layer: layer, Msg: fmt.Sprintf("%s comes from both %s and %s: map one of them elsewhere or exclude it", e.Name, prev.Origin, e.Origin)}
		}
		byName[e.Name] = &e
	}
	return nil
}

// Finish adds the folders that hold the listed files and links, checks
// that every link points inside the layer, and sorts the entries.
func Finish(layer string, byName map[string]*Entry) ([]Entry, error) {
	cerr := func(format string, args ...any) error {
		return &ContentError{Layer: layer, Msg: fmt.Sprintf(format, args...)}
	}
	// Every folder that holds something gets an entry of its own, as zip -r
	// writes them; a name used both as a file and as a folder is refused.
	for name, e := range byName {
		for dir := path.Dir(strings.TrimSuffix(name, "/")); dir != "."; dir = path.Dir(dir) {
			if f, ok := byName[dir]; ok {
				return nil, cerr("%s is a file (from %s) but %s puts %s inside it", dir, f.Origin, e.Origin, name)
			}
			if _, ok := byName[dir+"/"]; ok {
				break
			}
			byName[dir+"/"] = &Entry{Name: dir + "/", Kind: KindDir, Origin: e.Origin}
		}
	}
	if err := checkLinks(layer, byName); err != nil {
		return nil, err
	}
	return SortedEntries(byName), nil
}

// checkLinks resolves every symlink of the layer as Linux will under /opt
// and refuses the layer if one ends outside it, loops, or points at
// nothing in it.
func checkLinks(layer string, byName map[string]*Entry) error {
	t := NewLinkTree()
	links := 0
	for name, e := range byName {
		t.Add(name, e.Kind, e.Target)
		if e.Kind == KindSymlink {
			links++
		}
	}
	if links == 0 {
		return nil
	}
	problems := t.Check()
	if len(problems) == 0 {
		return nil
	}
	p := problems[0]
	e := byName[p.Link]
	hint := "replace it with what it points to, or exclude it"
	if p.kind == linkDangles {
		hint = "add what it points to, or exclude the link"
	}
	// Named where the user can fix it; the explanation speaks of /opt.
	msg := fmt.Sprintf("symlink %s -> %s %s: %s", e.Origin, safetext.Name(p.Target), p.Explain(LayerScope), hint)
	if n := len(problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more %s like it)", n, plural(n, "symlink"))
	}
	return &ContentError{Layer: layer, Msg: msg}
}

func SortedEntries(byName map[string]*Entry) []Entry {
	entries := make([]Entry, 0, len(byName))
	for _, e := range byName {
		entries = append(entries, *e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries
}

// ListSources walks the sources and returns their files and symlinks by
// name in the ZIP, excludes applied. Folders are not listed. The folder
// skip (the output folder, its symlinks followed) is never read, even when
// a source holds it: sources are walked from their real path, so the
// folders met are real paths too.
func ListSources(layer string, srcs []Source, excludes []string, skip string) (map[string]*Entry, error) {
	excluded := compileGlobs(excludes).match
	cerr := func(format string, args ...any) error {
		return &ContentError{Layer: layer, Msg: fmt.Sprintf(format, args...)}
	}

	byName := map[string]*Entry{}
	var mu sync.Mutex // walkDirParallel calls add from several goroutines
	add := func(e Entry) error {
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := byName[e.Name]; ok {
			return cerr("%s comes from both %s and %s: map one of them elsewhere or exclude it", e.Name, prev.Origin, e.Origin)
		}
		byName[e.Name] = &e
		return nil
	}

	for _, src := range srcs {
		info, err := os.Stat(src.Path)
		if err != nil {
			return nil, cerr("files: %s: %v", src.Label, UnwrapPathErr(err))
		}
		if !info.IsDir() {
			name := src.To
			if name == "" {
				name = path.Base(filepath.ToSlash(src.Path))
			}
			if excluded(name) {
				continue
			}
			if err := controlInName(layer, src.Label); err != nil {
				return nil, err
			}
			if !info.Mode().IsRegular() {
				return nil, cerr("%s is not a regular file or folder", src.Label)
			}
			if err := add(Entry{Name: name, Kind: KindFile, Src: src.Path, Size: info.Size(), Exec: info.Mode()&0o111 != 0, Origin: src.Label, Stamp: StampOf(info)}); err != nil {
				return nil, err
			}
			continue
		}
		// A from: that is a symlink to a folder is the user's own root:
		// followed, once, before the walk (links inside stay links).
		root, err := filepath.EvalSymlinks(src.Path)
		if err != nil {
			return nil, cerr("files: %s: %v", src.Label, UnwrapPathErr(err))
		}
		err = walkDirParallel(root, func(p string, d fs.DirEntry, err error) error {
			rel, ok := strings.CutPrefix(p, root+string(filepath.Separator))
			if !ok {
				var relErr error
				if rel, relErr = filepath.Rel(root, p); relErr != nil {
					return relErr
				}
			}
			// Something listed, then gone: the sources are being written to.
			origin := path.Join(src.Label, filepath.ToSlash(rel))
			if err != nil {
				return vanishedOr(origin, err)
			}
			if p == root {
				return nil
			}
			if d.IsDir() && p == skip {
				return filepath.SkipDir
			}
			name := path.Join(src.To, filepath.ToSlash(rel))
			if excluded(name) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			t := d.Type()
			if t.IsDir() {
				return nil // folders are recorded as parents of what they hold
			}
			if err := controlInName(layer, origin); err != nil {
				return err
			}
			switch {
			case t&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return vanishedOr(origin, err)
				}
				return add(Entry{Name: name, Kind: KindSymlink, Target: filepath.ToSlash(target), Origin: origin})
			case t.IsRegular():
				info, err := d.Info()
				if err != nil {
					return vanishedOr(origin, err)
				}
				return add(Entry{Name: name, Kind: KindFile, Src: p, Size: info.Size(), Exec: info.Mode()&0o111 != 0, Origin: origin, Stamp: StampOf(info)})
			default:
				return cerr("%s is a %s, not a regular file: exclude it", origin, TypeName(t))
			}
		})
		if err != nil {
			var ce *ContentError
			var changed *ChangedError
			switch {
			case errors.As(err, &ce):
				return nil, err
			case errors.As(err, &changed) && layer != "":
				return nil, fmt.Errorf("layer %q: %w", layer, err)
			case errors.As(err, &changed):
				return nil, err
			}
			return nil, fmt.Errorf("reading %s: %w", src.Label, err)
		}
	}
	return byName, nil
}

// controlInName refuses a source file whose name holds a control
// character: it would go into the ZIP as it is, where unzippers disagree on
// it (unzip drops it, Python's zipfile keeps it, a NUL cuts the name) and
// where listing the layer would send it to a terminal.
func controlInName(layer, origin string) error {
	if c, ok := safetext.Control(origin); ok {
		return &ContentError{Layer: layer, Msg: fmt.Sprintf("%s has a control character (%s) in its name: unzippers disagree on such names and listing them can act on a terminal; rename it, or exclude it", safetext.Name(origin), c)}
	}
	return nil
}

func TypeName(t fs.FileMode) string {
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

func UnwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// globs are exclude patterns, each with a cheap test that rules most names
// out before doublestar runs: whatever a pattern made of literals, *, ?
// and ** matches contains each of its literal runs (** and / may match
// nothing, so they are not literals). A rebuild checks every path of the
// layer against every pattern, so this is most of what it spends matching.
type globs []glob

type glob struct {
	pattern  string
	literals []string
	exact    bool // literals decide nothing: no prefilter ({a,b}, [abc] or escapes)
}

func compileGlobs(patterns []string) globs {
	out := make(globs, len(patterns))
	for i, p := range patterns {
		g := glob{pattern: p}
		if strings.ContainsAny(p, "{[\\") {
			g.exact = true
		} else {
			for _, lit := range strings.FieldsFunc(p, func(r rune) bool { return r == '*' || r == '?' || r == '/' }) {
				g.literals = append(g.literals, lit)
			}
		}
		out[i] = g
	}
	return out
}

func (gs globs) match(name string) bool {
	for _, g := range gs {
		if !g.exact && !containsAll(name, g.literals) {
			continue
		}
		if ok, _ := doublestar.Match(g.pattern, name); ok {
			return true
		}
	}
	return false
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
