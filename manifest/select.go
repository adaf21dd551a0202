package manifest

import (
	"fmt"
	"slices"
	"strings"
)

// Select returns the named layers in manifest order, or all layers when names
// is empty. Repeated names are ignored; unknown names are an *Error.
func (m *Manifest) Select(names []string) ([]*Layer, error) {
	if len(names) == 0 {
		return slices.Clone(m.Layers), nil
	}
	known := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		known[i] = l.Name
	}
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
		if want[l.Name] {
			out = append(out, l)
		}
	}
	return out, nil
}
