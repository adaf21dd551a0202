package versions

import "slices"

// Meta is what a layer version says of itself besides its content. It is
// fixed for the version's life: a change to any of it needs a new version,
// even when the ZIP is the same.
type Meta struct {
	Description   string // as published: with layerctl's digest tag
	License       string
	Runtimes      []string
	Architectures []string
}

// Meta is the version's metadata.
func (v *Version) Meta() Meta {
	return Meta{Description: v.Description, License: v.License, Runtimes: v.Runtimes, Architectures: v.Architectures}
}

// Changed names what differs from m in want, in a fixed order ("runtimes",
// "architectures", "license", "description"), or nil when nothing does.
// Runtimes and architectures are sets: their order and repeats do not
// matter, as Lambda's own answers keep no promised order.
func (m Meta) Changed(want Meta) []string {
	var out []string
	if !sameSet(m.Runtimes, want.Runtimes) {
		out = append(out, "runtimes")
	}
	if !sameSet(m.Architectures, want.Architectures) {
		out = append(out, "architectures")
	}
	if m.License != want.License {
		out = append(out, "license")
	}
	if m.Description != want.Description {
		out = append(out, "description")
	}
	return out
}

// Set is a list as a set: sorted, without repeats.
func Set(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}

func sameSet(a, b []string) bool { return slices.Equal(Set(a), Set(b)) }
