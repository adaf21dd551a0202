package layer

import (
	"fmt"
	"path"
)

// zipTreeFindings are inspect's errors about the ZIP as a tree: folder
// entries that would drop their bytes, and symlinks that do not resolve
// inside the layer once Lambda unzips it in /opt (followed as Linux does,
// through other links). Entries with unsafe names are reported elsewhere
// and left out of the tree.
func zipTreeFindings(entries []ZipEntry) []Finding {
	var out []Finding
	t := newLinkTree()
	raw := map[string]string{}
	for _, e := range entries {
		if e.Type == "dir" {
			if problem := zipFolderData(uint64(e.Size)); problem != "" {
				out = append(out, Finding{SevError, e.Path, fmt.Sprintf("entry %q %s", e.Path, problem)})
			}
		}
		name := path.Clean(e.Path)
		if unsafeName(e.Path) != "" || name == "." {
			continue
		}
		kind := kindFile
		switch e.Type {
		case "dir":
			kind = kindDir
		case "symlink":
			kind = kindSymlink
			raw[name] = e.Path
		}
		t.add(name, kind, e.Target)
	}
	if len(raw) == 0 {
		return out
	}
	for _, p := range t.check() {
		out = append(out, Finding{SevError, raw[p.link], fmt.Sprintf("symlink %s -> %s %s", raw[p.link], p.target, p.explain(layerScope))})
	}
	return out
}
