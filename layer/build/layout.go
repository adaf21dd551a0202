package build

import (
	"path"
	"strings"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/check"
	"github.com/layerctl/layerctl/manifest"
)

// layoutFiles is what the layout check needs of the layer's files and
// links: their names and execute bits, and the files entry each came from,
// so that a finding can say how to change that entry (and, for a file read
// in place, chmod it where the manifest names it).
func (p *plan) layoutFiles(entries []archive.Entry) []check.LayoutFile {
	refs := make([]*check.Entry, len(p.l.Files))
	// A name is the layer's once (archive.Merge): a go entry's to is its.
	goRefs := make([]*check.Entry, len(p.l.Go))
	goTo := map[string]int{}
	for i, g := range p.l.Go {
		goTo[g.To] = i
	}
	ref := func(i int, single bool) *check.Entry {
		if refs[i] == nil {
			refs[i] = &check.Entry{Index: i, Map: p.l.Files[i], File: single}
		}
		return refs[i]
	}
	// Entries read in place are known by name and origin (two entries
	// for two architectures may give one name); archives are matched.
	type key struct{ name, origin string }
	inPlace := map[key]int{}
	for i, listed := range p.listed {
		for _, e := range listed {
			inPlace[key{e.Name, e.Origin}] = i
		}
	}
	var archives []int
	for i, fm := range p.l.Files {
		if fm.Archive {
			archives = append(archives, i)
		}
	}
	var files []check.LayoutFile
	for _, e := range entries {
		if e.Kind != archive.KindFile && e.Kind != archive.KindSymlink {
			continue
		}
		f := check.LayoutFile{Name: e.Name, Exec: e.Exec, Link: e.Kind == archive.KindSymlink}
		if i, ok := inPlace[key{e.Name, e.Origin}]; ok {
			f.Entry, f.Source = ref(i, e.Origin == p.l.Files[i].From), e.Origin
		} else if i, ok := goTo[e.Name]; ok {
			if goRefs[i] == nil {
				goRefs[i] = &check.Entry{Index: i, Go: &p.l.Go[i], File: true}
			}
			f.Entry = goRefs[i]
		} else {
			for _, i := range archives {
				if fromArchive(p.l.Files[i], e) {
					f.Entry = ref(i, false)
					break
				}
			}
		}
		files = append(files, f)
	}
	return files
}

// fromArchive reports whether the layer's entry e came from archive
// entry fm, by the name and origin listing the unpacked archive gave it
// (archive.ListSources): to/REL, from/REL.
func fromArchive(fm manifest.FileMap, e archive.Entry) bool {
	rel := e.Name
	if fm.To != "" {
		var under bool
		if rel, under = strings.CutPrefix(e.Name, fm.To+"/"); !under {
			return false
		}
	}
	return e.Origin == path.Join(fm.From, rel)
}
