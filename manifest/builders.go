package manifest

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// Python installs a requirements file with pip or uv into python/, for the
// layer's Python runtimes and architectures.
type Python struct {
	Requirements   string   // as written: relative to Manifest.Dir, or absolute
	Installer      string   // pip, uv or auto (uv when it is on PATH, else pip)
	IndexURL       string   // pip --index-url
	ExtraIndexURLs []string // pip --extra-index-url, in order
	FindLinks      []string // pip --find-links: URLs, or folders relative to Manifest.Dir
	NoIndex        bool     // pip --no-index: only find_links
	PerVersion     bool     // install once per Python version into python/lib/pythonX.Y/site-packages/
	// AllowSourceBuilds lets pip or uv build packages from source (sdists,
	// local folders, VCS URLs): that runs the packages' build code on the
	// build machine, for the build machine's platform. Off, only wheels
	// are installed and requirements that would build are refused.
	AllowSourceBuilds bool
	Pos               Pos
}

// Node installs a package folder's locked dependencies with npm ci into
// nodejs/node_modules/.
type Node struct {
	Package string // folder holding package.json and package-lock.json, as written
	Scripts bool   // run the packages' install scripts (default: npm ci --ignore-scripts)
	Pos     Pos
}

// GoBuild cross-compiles one Go main package into the layer.
type GoBuild struct {
	Package string // as go build takes it (./cmd/ext or an import path), built in Manifest.Dir
	To      string // the executable's path in the ZIP, e.g. extensions/ext
	Pos     Pos
}

// Installers are the values python.installer takes.
var Installers = []string{"auto", "pip", "uv"}

// ArchiveExtensions are the file name endings that make a files entry's
// from an archive, unpacked into to.
var ArchiveExtensions = []string{".tar.bz2", ".tar.gz", ".tar.xz", ".tar.zst", ".tgz", ".zip"}

// IsArchive reports whether the file name ends like an archive layerctl unpacks.
func IsArchive(name string) bool {
	name = strings.ToLower(name)
	for _, ext := range ArchiveExtensions {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

var (
	pythonKeys         = []string{"allow_source_builds", "extra_index_urls", "find_links", "index_url", "installer", "no_index", "per_version", "requirements"}
	defaultsPythonKeys = []string{"allow_source_builds", "extra_index_urls", "find_links", "index_url", "installer", "no_index", "per_version"}
	nodeKeys           = []string{"package", "scripts"}
	goKeys             = []string{"package", "to"}
)

// pythonSettings is a python mapping as written: nil means not set, so that
// a layer inherits from defaults key by key.
type pythonSettings struct {
	requirements            string
	hasRequirements         bool
	installer, indexURL     *string
	extraIndexes, findLinks []string
	hasExtra, hasFindLinks  bool
	noIndex, perVersion     *bool
	allowSource             *bool
	pos                     Pos
}

// splitName is one architecture's layer name under split_architectures.
type splitName struct {
	layer *Layer
	arch  string
	name  string
	node  *yaml.Node
	field string
}

// defaultPython reads defaults.python: index settings every Python layer inherits.
func (w *walker) defaultPython(keys map[string]entry) *pythonSettings {
	e, ok := keys["python"]
	if !ok || isNull(e.value) {
		return nil
	}
	return w.pythonMapping(e.value, "defaults.python", defaultsPythonKeys)
}

func (w *walker) pythonMapping(n *yaml.Node, field string, valid []string) *pythonSettings {
	if n.Kind != yaml.MappingNode {
		w.fail(n, field, "must be a mapping with keys %s, got %s", strings.Join(valid, ", "), describe(n))
		return nil
	}
	s := &pythonSettings{pos: w.at(n)}
	keys := byKey(w.entries(n, field, valid))
	optStr := func(key string) *string {
		e, ok := keys[key]
		if !ok || isNull(e.value) {
			return nil
		}
		v, ok := w.str(e.value, field+"."+key)
		if !ok {
			return nil
		}
		if v == "" {
			w.fail(e.value, field+"."+key, "must not be empty")
			return nil
		}
		if !w.notAnOption(e.value, field+"."+key, v, "pip", "a URL, e.g. https://pypi.example.com/simple") {
			return nil
		}
		return &v
	}
	optBool := func(key string) *bool {
		e, ok := keys[key]
		if !ok || isNull(e.value) {
			return nil
		}
		b := w.boolean(e.value, field+"."+key)
		return &b
	}
	list := func(key string) ([]string, bool) {
		e, ok := keys[key]
		if !ok {
			return nil, false
		}
		items, set := w.strList(e.value, field+"."+key)
		var out []string
		for _, it := range items {
			if it.s == "" {
				w.fail(it.node, it.field, "must not be empty")
				continue
			}
			if !w.notAnOption(it.node, it.field, it.s, "pip", "a URL or a folder, e.g. https://example.com/links or ./wheels") {
				continue
			}
			out = append(out, it.s)
		}
		return out, set
	}
	if e, ok := keys["requirements"]; ok {
		s.hasRequirements = true
		if isNull(e.value) {
			w.fail(e.key, field+".requirements", "must name a requirements file, e.g. requirements.txt")
		} else if r, ok := w.str(e.value, field+".requirements"); ok {
			switch {
			case r == "":
				w.fail(e.value, field+".requirements", "must not be empty")
			case strings.Contains(r, `\`):
				w.fail(e.value, field+".requirements", "%q uses backslashes; use forward slashes: %q", r, strings.ReplaceAll(r, `\`, "/"))
			case !w.notAnOption(e.value, field+".requirements", r, "pip", "a file, e.g. requirements.txt"):
			default:
				s.requirements = r
			}
		}
	}
	if s.installer = optStr("installer"); s.installer != nil && !slices.Contains(Installers, *s.installer) {
		w.fail(keys["installer"].value, field+".installer", "%q is not an installer; valid: %s%s", *s.installer, strings.Join(Installers, ", "), didYouMean(*s.installer, Installers))
		s.installer = nil
	}
	s.indexURL = optStr("index_url")
	s.extraIndexes, s.hasExtra = list("extra_index_urls")
	s.findLinks, s.hasFindLinks = list("find_links")
	s.noIndex = optBool("no_index")
	s.perVersion = optBool("per_version")
	s.allowSource = optBool("allow_source_builds")
	return s
}

// notAnOption fails a value handed to a package tool that starts with "-":
// the tool would read it as an option (go build -toolexec=... runs any
// program), whatever layerctl puts around it. It reports whether v is fine.
func (w *walker) notAnOption(n *yaml.Node, field, v, tool, example string) bool {
	if !strings.HasPrefix(v, "-") {
		return true
	}
	w.fail(n, field, "%q starts with \"-\", so %s would read it as an option: give %s (a path that starts with - can be written ./%s)", v, tool, example, v)
	return false
}

// builders reads a layer's python, node and go keys and checks what depends
// on the layer's runtimes and architectures. It reports whether the layer
// has at least one builder.
func (w *walker) builders(keys map[string]entry, field string, l *Layer, d shared) bool {
	has := false
	if e, ok := keys["python"]; ok && !isNull(e.value) {
		has = true
		if s := w.pythonMapping(e.value, field+".python", pythonKeys); s != nil {
			if !s.hasRequirements {
				w.fail(e.value, field+".python", "requirements is required: the requirements file to install, relative to the manifest's folder")
			}
			l.Python = s.inherit(d.python)
			if !hasFamily(l.Runtimes, "python") && len(l.Runtimes) > 0 {
				w.fail(e.key, field+".python", "the layer has no Python runtime (runtimes: %s): add one, e.g. python3.12, so layerctl knows which Python to install for", strings.Join(l.Runtimes, ", "))
			}
		}
	}
	if e, ok := keys["node"]; ok && !isNull(e.value) {
		has = true
		l.Node = w.node(e.value, field+".node")
		if l.Node != nil && !hasFamily(l.Runtimes, "nodejs") && len(l.Runtimes) > 0 {
			w.fail(e.key, field+".node", "the layer has no Node.js runtime (runtimes: %s): add one, e.g. nodejs22.x", strings.Join(l.Runtimes, ", "))
		}
	}
	if e, ok := keys["go"]; ok && !isNull(e.value) {
		has = true
		l.Go = w.goBuilds(e.value, field+".go")
	}
	for _, f := range l.Files {
		if f.Architecture != "" && len(l.Architectures) > 0 && !slices.Contains(l.Architectures, f.Architecture) {
			w.failAt(f.Pos, fmt.Sprintf("%s.files[%d].architecture", field, w.fileIndex(keys, f.Pos)), "%s is not one of the layer's architectures (%s), so this entry is never used",
				f.Architecture, strings.Join(l.Architectures, ", "))
		}
	}
	if e, ok := keys["split_architectures"]; ok && !isNull(e.value) {
		w.splitArchitectures(e.value, field+".split_architectures", l)
	}
	return has
}

// fileIndex is the index in the manifest's files list of the entry at pos
// (invalid entries are not in Layer.Files, so indexes there can differ).
func (w *walker) fileIndex(keys map[string]entry, pos Pos) int {
	if e, ok := keys["files"]; ok {
		for i, c := range e.value.Content {
			if w.at(deref(c)) == pos {
				return i
			}
		}
	}
	return -1
}

func (s *pythonSettings) inherit(d *pythonSettings) *Python {
	p := &Python{Requirements: s.requirements, Installer: "auto", Pos: s.pos}
	pick := func(own, def *string) string {
		switch {
		case own != nil:
			return *own
		case def != nil:
			return *def
		}
		return ""
	}
	pickBool := func(own, def *bool) bool {
		switch {
		case own != nil:
			return *own
		case def != nil:
			return *def
		}
		return false
	}
	if d == nil {
		d = &pythonSettings{}
	}
	if v := pick(s.installer, d.installer); v != "" {
		p.Installer = v
	}
	p.IndexURL = pick(s.indexURL, d.indexURL)
	p.ExtraIndexURLs = d.extraIndexes
	if s.hasExtra {
		p.ExtraIndexURLs = s.extraIndexes
	}
	p.FindLinks = d.findLinks
	if s.hasFindLinks {
		p.FindLinks = s.findLinks
	}
	p.NoIndex = pickBool(s.noIndex, d.noIndex)
	p.PerVersion = pickBool(s.perVersion, d.perVersion)
	p.AllowSourceBuilds = pickBool(s.allowSource, d.allowSource)
	return p
}

func (w *walker) node(n *yaml.Node, field string) *Node {
	if n.Kind != yaml.MappingNode {
		if isString(n) {
			w.fail(n, field, "must be a mapping, got a string; write {package: %s}", n.Value)
		} else {
			w.fail(n, field, "must be a mapping {package: FOLDER}, got %s", describe(n))
		}
		return nil
	}
	keys := byKey(w.entries(n, field, nodeKeys))
	nd := &Node{Pos: w.at(n)}
	e, ok := keys["package"]
	if !ok || isNull(e.value) {
		w.fail(n, field, "package is required: the folder holding package.json and package-lock.json, relative to the manifest's folder")
		return nil
	}
	p, ok := w.str(e.value, field+".package")
	if !ok {
		return nil
	}
	if p == "" {
		w.fail(e.value, field+".package", "must not be empty; use . for the manifest's folder")
		return nil
	}
	if !w.notAnOption(e.value, field+".package", p, "npm", "a folder, e.g. web or ./web") {
		return nil
	}
	nd.Package = p
	if e, ok := keys["scripts"]; ok && !isNull(e.value) {
		nd.Scripts = w.boolean(e.value, field+".scripts")
	}
	return nd
}

func (w *walker) goBuilds(n *yaml.Node, field string) []GoBuild {
	if n.Kind != yaml.SequenceNode {
		w.fail(n, field, "must be a list of {package: ./cmd/NAME, to: extensions/NAME}, got %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		w.fail(n, field, "must list at least one {package: ./cmd/NAME, to: extensions/NAME}")
	}
	var out []GoBuild
	for i, c := range n.Content {
		c = deref(c)
		f := fmt.Sprintf("%s[%d]", field, i)
		if c.Kind != yaml.MappingNode {
			w.fail(c, f, "must be a mapping {package: ./cmd/NAME, to: extensions/NAME}, got %s", describe(c))
			continue
		}
		keys := byKey(w.entries(c, f, goKeys))
		g := GoBuild{Pos: w.at(c)}
		ok := true
		if e, has := keys["package"]; !has || isNull(e.value) {
			w.fail(c, f, "package is required: the main package to build, as go build takes it (e.g. ./cmd/ext)")
			ok = false
		} else if g.Package, ok = w.str(e.value, f+".package"); ok {
			ok = w.goPackage(e.value, f+".package", g.Package)
		}
		if e, has := keys["to"]; !has || isNull(e.value) {
			w.fail(c, f, "to is required: the executable's path in the ZIP, e.g. extensions/NAME or bin/NAME")
			ok = false
		} else if to, isStr := w.str(e.value, f+".to"); isStr {
			clean, msg := cleanTo(to)
			switch {
			case msg != "":
				w.fail(e.value, f+".to", "%s", msg)
				ok = false
			case clean == "":
				w.fail(e.value, f+".to", "must name the executable's path in the ZIP, e.g. extensions/NAME or bin/NAME")
				ok = false
			}
			g.To = clean
		} else {
			ok = false
		}
		if ok {
			out = append(out, g)
		}
	}
	return out
}

// goPackage checks a go entry's package: go build takes it after --, but
// a package that looks like a flag is refused here, where the manifest's
// author can see why.
func (w *walker) goPackage(n *yaml.Node, field, pkg string) bool {
	switch {
	case pkg == "":
		w.fail(n, field, "must not be empty")
	case strings.HasPrefix(pkg, "-"):
		w.fail(n, field, "%q starts with \"-\", so go build would read it as a flag, not a package: give the main package as go build takes it, e.g. ./cmd/ext or example.com/mod/cmd/ext", pkg)
	case strings.ContainsFunc(pkg, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }):
		w.fail(n, field, "%q holds a control character or a backslash: give the main package as go build takes it, e.g. ./cmd/ext", pkg)
	default:
		return true
	}
	return false
}

// fileExtras reads the keys of a files entry beyond from and to.
func (w *walker) fileExtras(keys map[string]entry, field string, f *FileMap) bool {
	ok := true
	if e, has := keys["architecture"]; has && !isNull(e.value) {
		a, isStr := w.str(e.value, field+".architecture")
		switch {
		case !isStr:
			ok = false
		case !slices.Contains(lambdafacts.Architectures, a):
			hint := didYouMean(a, lambdafacts.Architectures)
			if alias, known := lambdafacts.ArchitectureAlias(a); known {
				hint = fmt.Sprintf(" (did you mean %q?)", alias)
			}
			w.fail(e.value, field+".architecture", "%q is not a Lambda architecture; valid: %s%s", a, strings.Join(lambdafacts.Architectures, ", "), hint)
			ok = false
		default:
			f.Architecture = a
		}
	}
	if e, has := keys["allow_outside"]; has && !isNull(e.value) {
		f.AllowOutside = w.boolean(e.value, field+".allow_outside")
	}
	f.Archive = IsArchive(f.From)
	if e, has := keys["unpack"]; has && !isNull(e.value) {
		unpack := w.boolean(e.value, field+".unpack")
		if unpack && !f.Archive && f.From != "" {
			w.fail(e.value, field+".unpack", "%s is not an archive layerctl unpacks (%s)", f.From, strings.Join(ArchiveExtensions, ", "))
			ok = false
		}
		f.Archive = f.Archive && unpack
	}
	return ok
}

func (w *walker) splitArchitectures(n *yaml.Node, field string, l *Layer) {
	example := fmt.Sprintf("{x86_64: %s-x86_64, arm64: %s-arm64}", l.Name, l.Name)
	if n.Kind != yaml.MappingNode {
		w.fail(n, field, "must be a mapping from architecture to layer name, e.g. %s, got %s", example, describe(n))
		return
	}
	if len(l.Architectures) < 2 {
		w.fail(n, field, "the layer has one architecture (%s): there is nothing to split", strings.Join(l.Architectures, ", "))
		return
	}
	names := map[string]bool{}
	var mine []splitName
	bad := false
	for _, e := range w.entries(n, field, lambdafacts.Architectures) {
		arch := e.key.Value
		f := field + "." + arch
		if !slices.Contains(l.Architectures, arch) {
			w.fail(e.key, f, "%s is not one of the layer's architectures (%s)", arch, strings.Join(l.Architectures, ", "))
			bad = true
			continue
		}
		name, ok := w.str(e.value, f)
		switch {
		case !ok:
		case !lambdafacts.ValidLayerName(name):
			w.fail(e.value, f, "layer name %q is invalid: use 1 to 140 letters, digits, hyphens (-) or underscores (_)", name)
		case names[name]:
			w.fail(e.value, f, "%q names two architectures: give each its own layer name", name)
		default:
			names[name] = true
			mine = append(mine, splitName{layer: l, arch: arch, name: name, node: e.value, field: f})
			continue
		}
		bad = true
	}
	if bad {
		return
	}
	for _, a := range l.Architectures {
		if !slices.ContainsFunc(mine, func(s splitName) bool { return s.arch == a }) {
			w.fail(n, field, "no layer name for %s: name one for every architecture of the layer, e.g. %s", a, example)
			return
		}
	}
	w.splits = append(w.splits, mine...)
}

// expandSplits replaces every layer with split_architectures by one layer
// per architecture, under the names the manifest gives: they are distinct
// Lambda layers from then on (published, locked and attached on their own).
func (w *walker) expandSplits(layers []*Layer) []*Layer {
	if len(w.splits) == 0 {
		return layers
	}
	taken := map[string]string{}
	split := map[*Layer][]splitName{}
	for _, l := range layers {
		taken[l.Name] = "layer " + l.Name
	}
	for _, s := range w.splits {
		split[s.layer] = append(split[s.layer], s)
	}
	var out []*Layer
	for _, l := range layers {
		parts, ok := split[l]
		if !ok || len(parts) != len(l.Architectures) {
			out = append(out, l)
			continue
		}
		for _, s := range parts {
			if by, dup := taken[s.name]; dup && s.name != l.Name {
				w.fail(s.node, s.field, "%q is already the name of %s: layer names must be unique", s.name, by)
				continue
			}
			taken[s.name] = fmt.Sprintf("%s's %s half", l.Name, s.arch)
			// Each half keeps every files entry; those with another
			// architecture are left out when it is built, like in any layer.
			half := *l
			half.Name = s.name
			half.SplitFrom = l.Name
			half.Architectures = []string{s.arch}
			mine := slices.ContainsFunc(l.Files, func(f FileMap) bool { return f.Architecture == "" || f.Architecture == s.arch })
			if !mine && half.Python == nil && half.Node == nil && len(half.Go) == 0 {
				w.fail(s.node, s.field, "layer %s would be empty: every files entry is for another architecture; add content for %s", s.name, s.arch)
			}
			out = append(out, &half)
		}
	}
	slices.SortFunc(out, func(a, b *Layer) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func hasFamily(runtimes []string, family string) bool {
	for _, r := range runtimes {
		if lambdafacts.RuntimeFamily(r) == family {
			return true
		}
	}
	return false
}
