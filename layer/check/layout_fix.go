package check

import (
	"fmt"
	"hash/maphash"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

// A layout hint is an edit the user can paste: the files entry as written
// and as it must be, computed from what the entry holds and where that
// must land, then checked by placing every file where the edit would put
// it. For a ZIP made elsewhere it says where the content goes in the ZIP.

// target is where some content (a files entry's, a ZIP folder's) must go.
type target struct {
	k     kind
	home  string // the layer folder the content (or its folder sub) becomes: python, nodejs/node_modules, bin...
	sub   string // the folder of the content whose content goes to home; "" its top
	named bool   // the content is itself one package: it goes to home/<its name>
	file  bool   // one file: it goes to home/<its name>
}

// relFile is a file of some content, by its path under the content's top.
type relFile struct {
	rel  string
	exec bool
}

// homeOf is the folder where content of kind k is found: the search path
// of its family, or bin/ and lib/ that every runtime searches.
func homeOf(k kind) string {
	return map[kind]string{
		kindPython:  "python",
		kindNode:    "nodejs/node_modules",
		kindJava:    "java/lib",
		kindRuby:    "ruby/lib",
		kindLibrary: "lib",
		kindCommand: "bin",
	}[k]
}

// anchor is where one file says its content's root must go: the folder dir
// (of the content) must become the home of kind k. A strict anchor is
// fixed (a package's parent, the folder of a JAR); a loose one may be any
// folder above (a plain module can be imported through namespace folders).
type anchor struct {
	k      kind
	dir    string // "" the content's top; ".." above it: the content is the package
	strict bool
}

// targetOf says where content must go, from the kinds of its files and
// where they sit; problem says why no one place fits. Content of data
// alone has no target (k is kindData).
func targetOf(files []relFile, single bool) (t target, problem string) {
	if single {
		switch k := kindOf(files[0].rel, files[0].exec); k {
		case kindData:
			return target{}, ""
		case kindClass:
			return target{}, "Java loads classes only from JARs in java/lib/: package them into a JAR"
		default:
			return target{k: k, home: homeOf(k), file: true}, ""
		}
	}
	anchors := anchorsOf(files)
	if len(anchors) == 0 {
		return target{}, ""
	}
	var kinds []kind
	for _, a := range anchors {
		if !slices.Contains(kinds, a.k) {
			kinds = append(kinds, a.k)
		}
	}
	if len(kinds) > 1 {
		var whats []string
		for _, k := range kinds {
			whats = append(whats, k.what())
		}
		return target{}, fmt.Sprintf("it holds %s, which belong in different folders: give each its own files entry", strings.Join(whats, " and "))
	}
	k := kinds[0]
	if k == kindClass {
		return target{}, "Java loads classes only from JARs in java/lib/: package them into a JAR"
	}
	dir, problem := rootOf(anchors)
	if problem != "" {
		return target{}, fmt.Sprintf("it holds %s in %s: give each folder its own files entry", k.what(), problem)
	}
	t = target{k: k, home: homeOf(k), sub: dir}
	if dir == ".." {
		t.sub, t.named = "", true
	}
	return t, ""
}

// rootOf is the one folder the anchors agree must become the home, or the
// folders that disagree. Strict anchors must all be one folder; loose
// files outside it are left out by the from that the fix narrows to it,
// and inside it are reached through it. Without strict anchors, the
// shallowest loose folder must hold every other.
func rootOf(anchors []anchor) (dir, problem string) {
	var strict, loose []string
	for _, a := range anchors {
		if a.strict {
			strict = append(strict, a.dir)
		} else {
			loose = append(loose, a.dir)
		}
	}
	if strict = distinct(strict); len(strict) > 1 {
		return "", "different folders (" + folders(strict) + ")"
	} else if len(strict) == 1 {
		return strict[0], ""
	}
	loose = distinct(loose)
	dir, depth := loose[0], strings.Count(loose[0], "/")
	for _, d := range loose[1:] {
		if n := strings.Count(d, "/"); n < depth || (n == depth && d == "") {
			dir, depth = d, n
		}
	}
	for _, d := range loose {
		if !under(d, dir) {
			return "", "different folders (" + folders(loose) + ")"
		}
	}
	return dir, ""
}

// distinct is dirs without repeats, in their first order: work in the
// names' length, whatever they hold.
func distinct(dirs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// anchorsOf lists what each file of some content says of where its root
// must go; data says nothing. Everything inside a Python package or under
// node_modules goes with it, whatever it is. Names come from ZIPs made by
// anyone: a file's folders are looked up by hash, outermost first, so the
// work is the names' length however deep they go.
func anchorsOf(files []relFile) []anchor {
	ix := folderIndex{seed: maphash.MakeSeed()}
	pyPkgs := map[uint64]bool{}   // folders holding __init__.py
	nodePkgs := map[uint64]bool{} // folders holding package.json
	projects := map[uint64]bool{} // folders holding node_modules: npm projects, not packages
	for _, f := range files {
		dirs := ix.folders(f.rel)
		if i := nodeModules(f.rel, dirs); i > 0 {
			projects[dirs[i-1].h] = true
		}
		switch path.Base(f.rel) {
		case "__init__.py":
			pyPkgs[dirs[len(dirs)-1].h] = true
		case "package.json":
			nodePkgs[dirs[len(dirs)-1].h] = true
		}
	}
	var out []anchor
	for _, f := range files {
		dirs := ix.folders(f.rel)
		dir := dirs[len(dirs)-1]
		if i := nodeModules(f.rel, dirs); i > 0 {
			out = append(out, anchor{k: kindNode, dir: f.rel[:dirs[i].end], strict: true})
			continue
		}
		if top := topPythonPackage(dirs, pyPkgs); top >= 0 {
			out = append(out, anchor{k: kindPython, dir: above(f.rel, dirs, top), strict: true})
			continue
		}
		k := kindOf(f.rel, f.exec)
		base := path.Base(f.rel)
		switch {
		case k == kindData:
		case k == kindNode && projects[dir.h] && (base == "package.json" || base == "package-lock.json"):
			// the npm project's own files, beside its node_modules
		case k == kindNode:
			top := topNodePackage(dirs, nodePkgs, projects)
			if top < 0 {
				out = append(out, anchor{k: kindNode, dir: f.rel[:dir.end]})
				break
			}
			parent := top - 1
			if parent >= 0 && strings.HasPrefix(path.Base(f.rel[:dirs[parent].end]), "@") {
				parent-- // a scoped package: @scope/name
			}
			out = append(out, anchor{k: kindNode, dir: above(f.rel, dirs, parent+1), strict: true})
		case k == kindPython || k == kindRuby:
			out = append(out, anchor{k: k, dir: f.rel[:dir.end]})
		default:
			out = append(out, anchor{k: k, dir: f.rel[:dir.end], strict: true})
		}
	}
	return out
}

// folder is one of the folders holding a file: rel[:end] ("" for the
// content's top), known by a hash of that name.
type folder struct {
	end int
	h   uint64
}

// folderIndex hashes folder names with one seed, chosen at random so that
// no name can be made to collide with another.
type folderIndex struct{ seed maphash.Seed }

// folders lists the folders holding rel, outermost (the top) first, in one
// pass over the name.
func (ix folderIndex) folders(rel string) []folder {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	out := []folder{{end: 0, h: h.Sum64()}}
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' {
			if i == 0 {
				continue
			}
			out = append(out, folder{end: i, h: h.Sum64()})
		}
		h.WriteByte(rel[i])
	}
	return out
}

// nodeModules is the index in dirs of the outermost node_modules folder
// holding rel, or 0 for none (the top is never one).
func nodeModules(rel string, dirs []folder) int {
	for i := 1; i < len(dirs); i++ {
		start := dirs[i-1].end
		if i > 1 {
			start++ // past the slash
		}
		if rel[start:dirs[i].end] == "node_modules" {
			return i
		}
	}
	return 0
}

// above is the folder holding dirs[i] (the i-th folder of rel), or ".."
// above the top: the content itself is the package.
func above(rel string, dirs []folder, i int) string {
	if i == 0 {
		return ".."
	}
	return rel[:dirs[i-1].end]
}

// topPythonPackage is the index of the outermost of the nested regular
// packages (folders with __init__.py) that hold a file, if its own folder
// (the last of dirs) is one; else -1.
func topPythonPackage(dirs []folder, pkgs map[uint64]bool) int {
	top := -1
	for i, d := range dirs {
		switch {
		case !pkgs[d.h]:
			top = -1
		case top < 0:
			top = i
		}
	}
	return top
}

// topNodePackage is the index of the outermost folder holding a file that
// holds a package.json, npm projects aside; else -1.
func topNodePackage(dirs []folder, pkgs, projects map[uint64]bool) int {
	for i, d := range dirs {
		if pkgs[d.h] && !projects[d.h] {
			return i
		}
	}
	return -1
}

// under reports whether folder d is dir or inside it.
func under(d, dir string) bool {
	return dir == "" || dir == ".." || d == dir || strings.HasPrefix(d, dir+"/")
}

// folders names up to three of dirs, for a message.
func folders(dirs []string) string {
	var out []string
	for _, d := range dirs[:min(len(dirs), 3)] {
		switch d {
		case "":
			out = append(out, "the top")
		case "..":
			out = append(out, "the top, as a package")
		default:
			out = append(out, safetext.Name(d+"/"))
		}
	}
	if len(dirs) > 3 {
		out = append(out, fmt.Sprintf("and %d more", len(dirs)-3))
	}
	return strings.Join(out, ", ")
}

var (
	pyIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	npmName      = regexp.MustCompile(`^[a-z0-9][a-z0-9._~-]*$`)
)

// packageName is the name a package is imported or required by, among
// candidates (the to that named it, the folder it came from); "" when
// none is a valid one.
func packageName(k kind, candidates ...string) string {
	valid := pyIdentifier
	if k == kindNode {
		valid = npmName
	}
	for _, c := range candidates {
		if c != "" && valid.MatchString(c) {
			return c
		}
	}
	return ""
}

// entryHint is the fix of entry e, whose files are those it put in the
// layer, or why there is no one fix.
func (l *layout) entryHint(e *Entry, files []LayoutFile) string {
	if e.Go != nil {
		return l.goHint(e, files[0])
	}
	quoted := e.field() + " " + entryText(e.Map)
	rels := make([]relFile, 0, len(files))
	for _, f := range files {
		rel := f.Name
		switch {
		case e.File:
			rel = path.Base(f.Name)
		case e.Map.To != "":
			rel = strings.TrimPrefix(f.Name, e.Map.To+"/")
		}
		rels = append(rels, relFile{rel: rel, exec: f.Exec || f.Link})
	}
	t, problem := targetOf(rels, e.File)
	switch {
	case problem != "":
		return quoted + ": " + problem
	case t.k == kindData:
		return ""
	case l.foreign(t.k):
		return quoted + ": " + l.foreignText(t.k)
	}
	fixed := e.Map
	fixed.To = t.home
	switch {
	case t.file:
		fixed.To = t.home + "/" + path.Base(files[0].Name)
	case t.named:
		from := ""
		if !e.Map.Archive {
			from = path.Base(path.Clean(e.Map.From))
		}
		name := packageName(t.k, path.Base(e.Map.To), from)
		if name == "" {
			return fmt.Sprintf("%s: it is one package: map it with to: %s/NAME, NAME the name it is imported by", quoted, t.home)
		}
		fixed.To = t.home + "/" + name
	case t.sub != "" && e.Map.Archive:
		return fmt.Sprintf("%s: the archive holds its %s under %s/, which to: cannot take off: repack it with that folder's content at its top, then map it with to: %s", quoted, t.k.what(), safetext.Name(t.sub), t.home)
	case t.sub != "":
		fixed.From = path.Join(e.Map.From, t.sub)
	}
	if !l.fits(fixed.To, t.sub, rels, t.file) {
		return fmt.Sprintf("%s: no one to: puts all of its files where %s look: give each folder its own files entry", quoted, l.who())
	}
	return fmt.Sprintf("fix %s → %s", quoted, entryText(fixed))
}

// goHint is the fix of go entry e, whose executable is f: a command goes
// to bin/.
func (l *layout) goHint(e *Entry, f LayoutFile) string {
	to := "bin/" + path.Base(f.Name)
	if !l.fits(to, "", []relFile{{rel: path.Base(f.Name), exec: true}}, true) {
		return ""
	}
	fixed := *e.Go
	fixed.To = to
	return fmt.Sprintf("fix %s %s → %s", e.field(), goText(*e.Go), goText(fixed))
}

// zipHint says where the misplaced content of group (a folder of the ZIP,
// or a file at its top) belongs in the ZIP.
func (l *layout) zipHint(group string, files []LayoutFile) string {
	single := !strings.HasSuffix(group, "/")
	rels := make([]relFile, 0, len(files))
	for _, f := range files {
		rels = append(rels, relFile{rel: strings.TrimPrefix(f.Name, group), exec: f.Exec || f.Link})
	}
	if single {
		rels[0].rel = files[0].Name
	}
	t, problem := targetOf(rels, single)
	switch {
	case problem != "":
		return "in the ZIP, " + problem
	case t.k == kindData:
		return ""
	case l.foreign(t.k):
		if top, _, _ := strings.Cut(group, "/"); top == t.k.family() {
			return "" // the reason says it already
		}
		return l.foreignText(t.k)
	}
	home := t.home + "/"
	switch {
	case t.file:
		return "in the ZIP it belongs at " + home + safetext.Name(path.Base(group))
	case t.named:
		name := packageName(t.k, path.Base(group))
		if name == "" {
			return "in the ZIP it belongs in " + home + ", in a folder named as it is imported"
		}
		return "in the ZIP it belongs at " + home + name + "/"
	case t.sub != "":
		return "in the ZIP the content of " + safetext.Name(group+t.sub+"/") + " belongs in " + home
	}
	return "in the ZIP its content belongs in " + home
}

// fits reports whether every file (by its path under the content's top)
// lands where the runtimes look once the content's folder sub goes to to.
func (l *layout) fits(to, sub string, files []relFile, single bool) bool {
	for _, f := range files {
		name := to
		if !single {
			rel := f.rel
			if sub != "" {
				var ok bool
				if rel, ok = strings.CutPrefix(rel, sub+"/"); !ok {
					continue // left out by the narrower from
				}
			}
			name = to + "/" + rel
		}
		if fam, _, _ := l.place(name); fam == "" {
			return false
		}
	}
	return true
}

// foreign reports whether content of kind k is for a family none of the
// declared runtimes is.
func (l *layout) foreign(k kind) bool {
	fam := k.family()
	return fam != "" && !l.reads(fam)
}

// foreignText says that content of kind k is for other runtimes, and which.
func (l *layout) foreignText(k kind) string {
	fam := k.family()
	return fmt.Sprintf("it is %s, which the layer's runtimes (%s) do not load; the %s runtimes do (%s), from %s/", k.what(), l.who(), lambdafacts.FamilyName(fam), strings.Join(lambdafacts.SupportedRuntimes(fam), ", "), homeOf(k))
}

// entryText writes a files entry as a YAML flow mapping, with the keys
// that make it what it is, so that it can be pasted into the manifest.
func entryText(m manifest.FileMap) string {
	parts := []string{"from: " + yamlScalar(m.From)}
	if m.To != "" {
		parts = append(parts, "to: "+yamlScalar(m.To))
	}
	if m.Architecture != "" {
		parts = append(parts, "architecture: "+yamlScalar(m.Architecture))
	}
	if !m.Archive && manifest.IsArchive(m.From) {
		parts = append(parts, "unpack: false")
	}
	if m.AllowOutside {
		parts = append(parts, "allow_outside: true")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// goText writes a go entry as a YAML flow mapping.
func goText(g manifest.GoBuild) string {
	return "{package: " + yamlScalar(g.Package) + ", to: " + yamlScalar(g.To) + "}"
}

var (
	plainScalar = regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./@+=~-]*$`)
	// Plain scalars YAML reads as something else than a string.
	notString = regexp.MustCompile(`^(?i:~|null|true|false|yes|no|y|n|on|off|[-+]?(\.?[0-9][0-9_.]*([eE][-+]?[0-9]+)?|0x[0-9a-f_]+|0o[0-7_]+|\.inf|\.nan))$`)
)

// yamlScalar is s as YAML reads it back as the same string: plain when it
// can be, else double-quoted (Go's escapes are YAML's).
func yamlScalar(s string) string {
	if plainScalar.MatchString(s) && !notString.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}
