package verify

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/internal/readfile"
)

// maxPackageJSON bounds each package.json read from a layer: the largest
// on the npm registry are a few hundred kilobytes.
const maxPackageJSON = 4 << 20

// maxNodePackages bounds the packages verify looks at in one layer, nested
// ones included: 250 MB of layer holds far fewer real packages.
const maxNodePackages = 50_000

// npmPackage is one package folder of the layer, as its package.json
// describes it.
type npmPackage struct {
	name string // as required: "sharp", "@img/sharp-linux-arm64"
	dir  string // on disk
	meta map[string]json.RawMessage
	bad  string // why package.json could not be read, or ""
}

// field decodes one key of package.json into v, reporting whether it was
// there with that type: a package.json from anywhere may hold anything.
func (p *npmPackage) field(key string, v any) bool {
	raw, ok := p.meta[key]
	return ok && json.Unmarshal(raw, v) == nil
}

func (p *npmPackage) str(key string) string {
	var s string
	p.field(key, &s)
	return s
}

func (p *npmPackage) list(key string) []string {
	var l []string
	p.field(key, &l)
	return l
}

// deps lists the names the package depends on: dependencies,
// optionalDependencies and peerDependencies (a peer is loaded from where
// the package is, like the rest).
func (p *npmPackage) deps() []string {
	var out []string
	for _, key := range []string{"dependencies", "optionalDependencies", "peerDependencies"} {
		var m map[string]json.RawMessage
		if p.field(key, &m) {
			for n := range m {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// engine is the package's engines.node range, or "".
func (p *npmPackage) engine() string {
	var e map[string]json.RawMessage
	if !p.field("engines", &e) {
		return ""
	}
	var s string
	if json.Unmarshal(e["node"], &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// mainEntry says whether require(name) or import(name) has something to
// load: exports with a "." entry (a string, an array, an object of
// conditions, or "." among subpaths), else main, else an index file. It
// also returns the subpaths exported when "." is not.
func (p *npmPackage) mainEntry() (bool, []string) {
	raw, ok := p.meta["exports"]
	if ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return true, nil // a string or an array: the main entry
		}
		var subpaths []string
		for k := range obj {
			if k == "." {
				return true, nil
			}
			if strings.HasPrefix(k, ".") {
				subpaths = append(subpaths, k)
			}
		}
		if len(subpaths) == 0 {
			return len(obj) > 0, nil // conditions of "."
		}
		sort.Strings(subpaths)
		return false, subpaths
	}
	if p.str("main") != "" {
		return true, nil
	}
	for _, idx := range []string{"index.js", "index.json", "index.node", "index.cjs", "index.mjs"} {
		if _, err := os.Stat(filepath.Join(p.dir, idx)); err == nil {
			return true, nil
		}
	}
	return false, nil
}

// typesOnly says whether the package holds only TypeScript declarations:
// @types/*, or types with no main entry.
func (p *npmPackage) typesOnly() bool {
	if strings.HasPrefix(p.name, "@types/") {
		return true
	}
	main, subpaths := p.mainEntry()
	return !main && len(subpaths) == 0 && (p.str("types") != "" || p.str("typings") != "")
}

// platformAllows says whether a package.json os, cpu or libc list admits
// value: npm's rules, with "!x" excluding x.
func platformAllows(list []string, value string) bool {
	if len(list) == 0 {
		return true
	}
	allowed, positive := false, false
	for _, v := range list {
		if neg, ok := strings.CutPrefix(v, "!"); ok {
			if neg == value {
				return false
			}
			continue
		}
		positive = true
		if v == value {
			allowed = true
		}
	}
	return allowed || !positive
}

// nodeLayer is the packages of an unpacked layer's node_modules folders.
type nodeLayer struct {
	root  string   // the layer's nodejs folder: resolution stops there
	dirs  []string // the node_modules folders on NODE_PATH that exist, in order
	known map[string]*npmPackage
}

func newNodeLayer(root string, dirs []string) *nodeLayer {
	nl := &nodeLayer{root: root, known: map[string]*npmPackage{}}
	for _, d := range dirs {
		if info, err := os.Stat(d); err == nil && info.IsDir() {
			nl.dirs = append(nl.dirs, d)
		}
	}
	return nl
}

// at reads the package folder dir (once), named name; nil when there is
// none or the layer holds too many.
func (nl *nodeLayer) at(name, dir string) *npmPackage {
	if p, ok := nl.known[dir]; ok {
		return p
	}
	if len(nl.known) >= maxNodePackages {
		return nil
	}
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return nil
	}
	p := &npmPackage{name: name, dir: dir, meta: map[string]json.RawMessage{}}
	data, err := readfile.Read(filepath.Join(dir, "package.json"), maxPackageJSON)
	switch {
	case err != nil && !os.IsNotExist(err):
		p.bad = err.Error()
	case err == nil && json.Unmarshal(data, &p.meta) != nil:
		p.bad = "package.json is not a JSON object"
		p.meta = map[string]json.RawMessage{}
	}
	nl.known[dir] = p
	return p
}

// top lists the packages a function can require by name: those of each
// node_modules folder on NODE_PATH, the first of a name winning, sorted.
func (nl *nodeLayer) top() []*npmPackage {
	var out []*npmPackage
	seen := map[string]bool{}
	for _, d := range nl.dirs {
		for _, n := range nodePackages(d) {
			if seen[n] {
				continue
			}
			seen[n] = true
			if p := nl.at(n, filepath.Join(d, filepath.FromSlash(n))); p != nil {
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b *npmPackage) int { return strings.Compare(a.name, b.name) })
	return out
}

// find is the package name as required from the package folder from
// (nil: from a function): the node_modules folders from there up to the
// layer's nodejs folder, then NODE_PATH, as Node.js looks.
func (nl *nodeLayer) find(from *npmPackage, name string) *npmPackage {
	if from != nil {
		for d := from.dir; d != nl.root && strings.HasPrefix(d, nl.root+string(filepath.Separator)); d = filepath.Dir(d) {
			if filepath.Base(d) == "node_modules" {
				continue
			}
			if p := nl.at(name, filepath.Join(d, "node_modules", filepath.FromSlash(name))); p != nil {
				return p
			}
		}
	}
	for _, d := range nl.dirs {
		if p := nl.at(name, filepath.Join(d, filepath.FromSlash(name))); p != nil {
			return p
		}
	}
	return nil
}

// closure is p and every package it depends on, through any depth, as
// they resolve from where each one is.
func (nl *nodeLayer) closure(p *npmPackage) []*npmPackage {
	out := []*npmPackage{p}
	seen := map[string]bool{p.dir: true}
	for i := 0; i < len(out); i++ {
		for _, d := range out[i].deps() {
			q := nl.find(out[i], d)
			if q == nil || seen[q.dir] {
				continue
			}
			seen[q.dir] = true
			out = append(out, q)
		}
	}
	return out
}

// declared are the dependencies a package.json at the top of the layer
// (nodejs/nodeNN/package.json, nodejs/package.json) names: what the
// layer's author says functions require. The bool is true for an
// optional one.
func (nl *nodeLayer) declared(files []string) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		p := nl.at("", filepath.Dir(f))
		if p == nil || filepath.Base(f) != "package.json" {
			continue
		}
		for _, key := range []string{"dependencies", "optionalDependencies"} {
			var m map[string]json.RawMessage
			if p.field(key, &m) {
				for n := range m {
					if _, dup := out[n]; !dup || key == "dependencies" {
						out[n] = key == "optionalDependencies"
					}
				}
			}
		}
	}
	return out
}

// unneeded are the top-level packages no package of the layer depends on:
// what functions require, every other package being loaded through them.
// When every package is some package's dependency (a cycle), all are.
func (nl *nodeLayer) unneeded(top []*npmPackage) []*npmPackage {
	needed := map[string]bool{}
	seen := map[string]bool{} // real folders: a link back up is walked once
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || seen[real] || depth > 32 {
			return
		}
		seen[real] = true
		for _, n := range nodePackages(dir) {
			p := nl.at(n, filepath.Join(dir, filepath.FromSlash(n)))
			if p == nil {
				continue
			}
			for _, d := range p.deps() {
				needed[d] = true
			}
			walk(filepath.Join(p.dir, "node_modules"), depth+1)
		}
	}
	for _, d := range nl.dirs {
		walk(d, 0)
	}
	var out []*npmPackage
	for _, p := range top {
		if !needed[p.name] {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return top
	}
	return out
}

// nodePackages lists the packages in a node_modules folder, scoped ones
// as @scope/name.
func nodePackages(dir string) []string {
	var out []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "."), !e.IsDir() && e.Type()&os.ModeSymlink == 0:
		case strings.HasPrefix(n, "@"):
			sub, _ := os.ReadDir(filepath.Join(dir, n))
			for _, s := range sub {
				if !strings.HasPrefix(s.Name(), ".") {
					out = append(out, n+"/"+s.Name())
				}
			}
		default:
			out = append(out, n)
		}
	}
	return out
}
