package check

import (
	"fmt"
	"path"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
)

// zipTreeFindings are inspect's errors about the ZIP as a tree: folder
// entries that would drop their bytes, and symlinks that do not resolve
// inside the layer once Lambda unzips it in /opt (followed as Linux does,
// through other links). Entries with unsafe names are reported elsewhere
// and left out of the tree.
func zipTreeFindings(entries []ZipEntry) []layer.Finding {
	var out []layer.Finding
	t := archive.NewLinkTree()
	raw := map[string]string{}
	for _, e := range entries {
		if e.Type == "dir" {
			if problem := archive.ZipFolderData(uint64(e.Size)); problem != "" {
				out = append(out, layer.Finding{Severity: layer.SevError, Path: e.Path, Message: fmt.Sprintf("entry %q %s", e.Path, problem)})
			}
		}
		name := path.Clean(e.Path)
		if unsafeName(e.Path) != "" || name == "." {
			continue
		}
		kind := archive.KindFile
		switch e.Type {
		case "dir":
			kind = archive.KindDir
		case "symlink":
			kind = archive.KindSymlink
			raw[name] = e.Path
		}
		t.Add(name, kind, e.Target)
	}
	if len(raw) == 0 {
		return out
	}
	for _, p := range t.Check() {
		out = append(out, layer.Finding{Severity: layer.SevError, Path: raw[p.Link], Message: fmt.Sprintf("symlink %s -> %s %s", raw[p.Link], p.Target, p.Explain(archive.LayerScope))})
	}
	return out
}
