package layer

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Symlinks are checked the way the Linux kernel will follow them once the
// layer is unpacked in /opt, not lexically: a path is resolved component by
// component, a link met in the middle of a path is followed, and ".." is
// applied to where the kernel actually is after following a link. So with
// d/e/s -> .., the link x -> d/e/s/../../.. lands two folders above d, which
// path.Join would never say.

// maxLinkHops is the kernel's MAXSYMLINKS: following more links than this
// in one lookup fails with ELOOP.
const maxLinkHops = 40

// linkTree is every entry of a tree (a layer, or one archive's folder) by
// clean slash name, with the folders that hold them; "" is its root.
type linkTree struct {
	nodes map[string]treeNode
}

type treeNode struct {
	kind     entryKind
	target   string // symlinks only
	implicit bool   // a folder known only because something is inside it
}

func newLinkTree() *linkTree {
	return &linkTree{nodes: map[string]treeNode{"": {kind: kindDir}}}
}

// add records one entry. name is clean and relative; a trailing "/" is
// dropped. The first entry of a name wins over a later one, except over a
// folder implied by a path: duplicates are for the caller to refuse.
func (t *linkTree) add(name string, kind entryKind, target string) {
	name = strings.TrimSuffix(name, "/")
	if prev, ok := t.nodes[name]; !ok || prev.implicit {
		t.nodes[name] = treeNode{kind: kind, target: target}
	}
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if _, ok := t.nodes[dir]; ok {
			break
		}
		t.nodes[dir] = treeNode{kind: kindDir, implicit: true}
	}
}

// links lists the tree's symlinks by name.
func (t *linkTree) links() []string {
	var out []string
	for name, n := range t.nodes {
		if n.kind == kindSymlink {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// check resolves every symlink of the tree and returns what is wrong with
// each one that does not end on an entry of the tree, sorted by link.
func (t *linkTree) check() []*linkProblem {
	var out []*linkProblem
	for _, name := range t.links() {
		if p := t.resolve(name); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// problemKind says how a link fails to resolve.
type problemKind int

const (
	linkAbsolute problemKind = iota // an absolute target: its meaning depends on the machine
	linkLeaves                      // ".." above the tree's root
	linkLoops                       // more than maxLinkHops links
	linkDangles                     // a name that is not in the tree
	linkNotDir                      // a file used as a folder
	linkInside                      // the link itself is inside a link or a file
)

// linkProblem is one symlink that does not resolve inside its tree.
type linkProblem struct {
	link, target string
	kind         problemKind
	at           string   // the path where resolution failed: missing, or a file used as a folder
	via          string   // the last link followed on the way, other than link itself
	viaTarget    string   // its target
	chain        []string // the links followed, for loops
}

// linkScope names a tree in messages.
type linkScope struct {
	outside string // what a link that climbs out does: "points outside the layer"
	top     string // the root, as a place: "/opt"
	within  string // "the layer"
}

var (
	layerScope   = linkScope{outside: "points outside the layer", top: "/opt", within: "the layer"}
	archiveScope = linkScope{outside: "leaves the archive's folder", top: "the archive's folder", within: "the archive"}
)

// explain says what is wrong, to follow "symlink NAME -> TARGET ": for
// example "points outside the layer: d/e/s is a link to .., so x resolves
// above /opt".
func (p *linkProblem) explain(s linkScope) string {
	through := ""
	if p.via != "" {
		through = fmt.Sprintf(" (after following %s -> %s)", p.via, p.viaTarget)
	}
	switch p.kind {
	case linkAbsolute:
		if p.via != "" {
			return fmt.Sprintf("%s: %s is a link to the absolute path %s", s.outside, p.via, p.viaTarget)
		}
		return "is absolute, so it " + s.outside
	case linkLeaves:
		if p.via != "" {
			return fmt.Sprintf("%s: %s is a link to %s, so %s resolves above %s", s.outside, p.via, p.viaTarget, p.link, s.top)
		}
		return fmt.Sprintf("%s: it resolves above %s", s.outside, s.top)
	case linkLoops:
		return fmt.Sprintf("never resolves: following it goes through more than %d links (%s ...)", maxLinkHops, strings.Join(p.chain, " -> "))
	case linkNotDir:
		return fmt.Sprintf("goes through %s, which is a file, not a folder%s", p.at, through)
	case linkInside:
		return fmt.Sprintf("is inside %s, which is not a folder: where it lands depends on the order links are made", p.at)
	}
	if p.at == "" && p.via != "" {
		return fmt.Sprintf("points to nothing: %s is a link with an empty target", p.via)
	}
	if p.at == "" {
		return "points to nothing: its target is empty"
	}
	return fmt.Sprintf("points to %s, which is not in %s%s", p.at, s.within, through)
}

// resolve follows the link at name as the kernel would and returns nil
// when it ends on an entry of the tree.
func (t *linkTree) resolve(name string) *linkProblem {
	start := t.nodes[name]
	p := &linkProblem{link: name, target: start.target, chain: []string{name}}
	// Resolution starts from the link's folder, which must be one: a link
	// named through another link would be made wherever that one points.
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if t.nodes[dir].kind != kindDir {
			p.kind, p.at = linkInside, dir
			return p
		}
	}
	switch {
	case start.target == "":
		p.kind = linkDangles // the kernel's ENOENT
		return p
	case isAbsTarget(start.target):
		p.kind = linkAbsolute
		return p
	}
	dir := splitPath(path.Dir(name)) // where the kernel is: always a real folder
	todo := strings.Split(start.target, "/")
	hops := 1
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(dir) == 0 {
				p.kind = linkLeaves
				return p
			}
			dir = dir[:len(dir)-1]
			continue
		}
		cur := strings.Join(append(dir[:len(dir):len(dir)], c), "/")
		n, ok := t.nodes[cur]
		switch {
		case !ok:
			p.kind, p.at = linkDangles, cur
			return p
		case n.kind == kindSymlink:
			hops++
			if len(p.chain) < 6 {
				p.chain = append(p.chain, cur)
			}
			if hops > maxLinkHops {
				p.kind = linkLoops
				return p
			}
			p.via, p.viaTarget = cur, n.target
			switch {
			case n.target == "":
				p.kind = linkDangles
				return p
			case isAbsTarget(n.target):
				p.kind = linkAbsolute
				return p
			}
			// The link's target is read from the folder holding the link,
			// where the kernel still is.
			todo = append(strings.Split(n.target, "/"), todo...)
		case n.kind == kindFile:
			if len(todo) > 0 { // even "f/" or "f/.": the kernel wants a folder
				p.kind, p.at = linkNotDir, cur
				return p
			}
			dir = append(dir, c)
		default:
			dir = append(dir, c)
		}
	}
	return nil
}

// isAbsTarget: on Linux only a leading "/" makes a target absolute (an
// archive's Windows-style targets are refused before they get here).
func isAbsTarget(t string) bool { return strings.HasPrefix(t, "/") }

func splitPath(dir string) []string {
	if dir == "." || dir == "" {
		return nil
	}
	return strings.Split(dir, "/")
}
