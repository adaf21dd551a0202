package manifest

import (
	"fmt"
	"slices"
	"strings"
)

// Select returns the named layers in manifest order, or all layers when names
// is empty. Repeated names are ignored; unknown names are an *Error. The
// name a split_architectures layer has in the manifest selects both halves.
func (m *Manifest) Select(names []string) ([]*Layer, error) {
	if len(names) == 0 {
		return slices.Clone(m.Layers), nil
	}
	var known []string
	for _, l := range m.Layers {
		known = append(known, l.Name)
		if l.SplitFrom != "" && !slices.Contains(known, l.SplitFrom) {
			known = append(known, l.SplitFrom)
		}
	}
	slices.Sort(known)
	want := make(map[string]bool, len(names))
	var problems []*Problem
	for _, name := range names {
		if want[name] {
			continue
		}
		want[name] = true
		if !slices.Contains(known, name) {
			msg := fmt.Sprintf("no layer %q in %s; layers: %s", name, m.Path, strings.Join(known, ", "))
			problems = append(problems, &Problem{Msg: msg + didYouMean(name, known)})
		}
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	var out []*Layer
	for _, l := range m.Layers {
		if want[l.Name] || (l.SplitFrom != "" && want[l.SplitFrom]) {
			out = append(out, l)
		}
	}
	return out, nil
}
