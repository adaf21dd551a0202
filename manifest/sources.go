package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckSources reports, as one *Error, every files entry of the given layers
// whose From does not exist.
func (m *Manifest) CheckSources(layers []*Layer) error {
	var problems []*Problem
	for _, l := range layers {
		for i, f := range l.Files {
			field := fmt.Sprintf("%s.files[%d].from", layerField(l.Name), i)
			if msg := m.checkSource(f.From); msg != "" {
				problems = append(problems, &Problem{Pos: f.Pos, Field: field, Msg: msg})
			}
		}
	}
	if len(problems) > 0 {
		return newError(problems)
	}
	return nil
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
