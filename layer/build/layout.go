package build

import (
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/check"
)

// layoutFiles is what the layout check needs of the layer's files and
// links: their names, execute bits and, for those a files entry read in
// place, the path the manifest names them by (for a chmod in a message).
func (p *plan) layoutFiles(entries []archive.Entry) []check.LayoutFile {
	inPlace := map[string]bool{}
	for _, listed := range p.listed {
		for _, e := range listed {
			inPlace[e.Name] = true
		}
	}
	var files []check.LayoutFile
	for _, e := range entries {
		if e.Kind != archive.KindFile && e.Kind != archive.KindSymlink {
			continue
		}
		f := check.LayoutFile{Name: e.Name, Exec: e.Exec, Link: e.Kind == archive.KindSymlink}
		if inPlace[e.Name] {
			f.Source = e.Origin
		}
		files = append(files, f)
	}
	return files
}
