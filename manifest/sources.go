package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CheckSources reports, as one *Error, every files entry of the given layers
// whose From does not exist, and every missing input of their builders: a
// requirements file, a local find_links folder, a node package without
// package.json or package-lock.json.
func (m *Manifest) CheckSources(layers []*Layer) error {
	var problems []*Problem
	add := func(pos Pos, field, msg string) {
		problems = append(problems, &Problem{Pos: pos, Field: field, Msg: msg})
	}
	for _, l := range layers {
		name := l.Name
		if l.SplitFrom != "" {
			name = l.SplitFrom // both halves share the manifest's entries
		}
		for i, f := range l.Files {
			field := fmt.Sprintf("%s.files[%d].from", layerField(name), i)
			if msg := m.checkSource(f.From); msg != "" {
				add(f.Pos, field, msg)
			} else if msg := m.checkInside(f); msg != "" {
				add(f.Pos, field, msg)
			}
		}
		if p := l.Python; p != nil {
			field := layerField(name) + ".python"
			if msg := m.checkSource(p.Requirements); msg != "" {
				add(p.Pos, field+".requirements", msg)
			}
			for i, fl := range p.FindLinks {
				if !IsURL(fl) {
					if msg := m.checkSource(fl); msg != "" {
						add(p.Pos, fmt.Sprintf("%s.find_links[%d]", field, i), msg)
					}
				}
			}
		}
		if n := l.Node; n != nil {
			field := layerField(name) + ".node.package"
			if msg := m.checkSource(n.Package); msg != "" {
				add(n.Pos, field, msg)
				continue
			}
			dir := m.Abs(n.Package)
			if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
				add(n.Pos, field, fmt.Sprintf("%s has no package.json: point package at the folder holding package.json and package-lock.json", n.Package))
			} else if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err != nil {
				add(n.Pos, field, fmt.Sprintf("%s has no package-lock.json: layerctl installs exactly what the lock file pins (npm ci); run npm install in %s and commit package-lock.json", n.Package, n.Package))
			}
		}
	}
	if len(problems) > 0 {
		return newError(problems)
	}
	return nil
}

// checkInside refuses a files entry whose from, links followed, lies
// outside the repository that holds the manifest (the folder with .git at
// or above the manifest's, else the manifest's own folder), unless the
// entry says allow_outside. A manifest comes from a pull request as often
// as not: without this, from: /home/runner/.aws or a symlink in the
// repository to it would copy the build machine's files into a layer that
// is then published, or shared.
func (m *Manifest) checkInside(f FileMap) string {
	if f.AllowOutside {
		return ""
	}
	root, err := repositoryRoot(m.Dir)
	if err != nil {
		return fmt.Sprintf("cannot tell which repository holds the manifest: %v", err)
	}
	abs, err := filepath.Abs(m.Abs(f.From))
	if err != nil {
		return fmt.Sprintf("cannot resolve %s: %v", f.From, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Sprintf("cannot resolve %s: %v", f.From, unwrapPath(err))
	}
	if within(real, root) {
		return ""
	}
	via := ""
	if real != abs {
		via = fmt.Sprintf(" (it leads to %s)", real)
	}
	return fmt.Sprintf("%s is outside the repository %s%s: layerctl packs only the repository's own files unless the entry says so; if the layer should hold it, add allow_outside: true to this files entry", f.From, root, via)
}

// repositoryRoot is the folder, links resolved, that holds .git at or above
// dir, or dir itself when none does.
func repositoryRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	for d := real; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return real, nil
		}
	}
}

// within reports whether path is root or inside it; both are clean and
// absolute.
func within(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func unwrapPath(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}

// checkSource returns what is wrong with the source path from, or "".
func (m *Manifest) checkSource(from string) string {
	p := filepath.FromSlash(from)
	where := ""
	if !filepath.IsAbs(p) {
		p = filepath.Join(m.Dir, p)
		where = fmt.Sprintf(" (relative to %s)", m.Dir)
	}
	_, err := os.Stat(p)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(p); lerr == nil {
			return fmt.Sprintf("%s is a symlink to something that does not exist%s", from, where)
		}
		return fmt.Sprintf("%s does not exist%s", from, where)
	default:
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return fmt.Sprintf("cannot read %s%s: %v", from, where, err)
	}
}

// Abs returns the path on disk of a path written in the manifest: relative
// paths are relative to the manifest's folder.
func (m *Manifest) Abs(p string) string {
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.Dir, p)
}

// IsURL reports whether a find_links or index entry is a URL rather than a
// local path.
func IsURL(s string) bool {
	return strings.Contains(s, "://")
}
