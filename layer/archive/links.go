package archive

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/internal/safetext"
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

// LinkTree is every entry of a tree (a layer, or one archive's folder) by
// clean slash name, with the folders that hold them; "" is its root.
type LinkTree struct {
	nodes map[string]treeNode
}

type treeNode struct {
	kind     EntryKind
	target   string // symlinks only
	implicit bool   // a folder known only because something is inside it
}

func NewLinkTree() *LinkTree {
	return &LinkTree{nodes: map[string]treeNode{"": {kind: KindDir}}}
}

// Add records one entry. name is clean and relative; a trailing "/" is
// dropped. The first entry of a name wins over a later one, except over a
// folder implied by a path: duplicates are for the caller to refuse.
func (t *LinkTree) Add(name string, kind EntryKind, target string) {
	name = strings.TrimSuffix(name, "/")
	if prev, ok := t.nodes[name]; !ok || prev.implicit {
		t.nodes[name] = treeNode{kind: kind, target: target}
	}
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if _, ok := t.nodes[dir]; ok {
			break
		}
		t.nodes[dir] = treeNode{kind: KindDir, implicit: true}
	}
}

// links lists the tree's symlinks by name.
func (t *LinkTree) links() []string {
	var out []string
	for name, n := range t.nodes {
		if n.kind == KindSymlink {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Check resolves every symlink of the tree and returns what is wrong with
// each one that does not end on an entry of the tree, sorted by link. Each
// link is resolved once (see resolver), so the work grows with the size of
// the tree and its targets, however the links are chained.
func (t *LinkTree) Check() []*LinkProblem {
	r := &resolver{t: t, memo: map[string]*resolution{}}
	var out []*LinkProblem
	for _, name := range t.links() {
		if p := r.link(name).problem; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// resolve is check for one link: nil when it ends on an entry of the tree.
func (t *LinkTree) resolve(name string) *LinkProblem {
	r := &resolver{t: t, memo: map[string]*resolution{}}
	return r.link(name).problem
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
	linkTooLong                     // a target Linux would not store
)

// maxLinkTarget is the longest target Linux stores (PATH_MAX less its NUL):
// symlink(2) refuses a longer one, so an archive holding one cannot be
// unpacked as it says.
const maxLinkTarget = 4095

// LinkProblem is one symlink that does not resolve inside its tree.
type LinkProblem struct {
	Link, Target string
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
	LayerScope   = linkScope{outside: "points outside the layer", top: "/opt", within: "the layer"}
	archiveScope = linkScope{outside: "leaves the archive's folder", top: "the archive's folder", within: "the archive"}
)

// Explain says what is wrong, to follow "symlink NAME -> TARGET ": for
// example "points outside the layer: d/e/s is a link to .., so x resolves
// above /opt".
func (p *LinkProblem) Explain(s linkScope) string {
	// Names come from the user's tree or an archive: escaped for terminals.
	via, viaTarget, link, at := safetext.Name(p.via), safetext.Name(p.viaTarget), safetext.Name(p.Link), safetext.Name(p.at)
	through := ""
	if p.via != "" {
		through = fmt.Sprintf(" (after following %s -> %s)", via, viaTarget)
	}
	switch p.kind {
	case linkAbsolute:
		if p.via != "" {
			return fmt.Sprintf("%s: %s is a link to the absolute path %s", s.outside, via, viaTarget)
		}
		return "is absolute, so it " + s.outside
	case linkLeaves:
		if p.via != "" {
			return fmt.Sprintf("%s: %s is a link to %s, so %s resolves above %s", s.outside, via, viaTarget, link, s.top)
		}
		return fmt.Sprintf("%s: it resolves above %s", s.outside, s.top)
	case linkLoops:
		return fmt.Sprintf("never resolves: it loops or goes through more than %d links (%s)", maxLinkHops, safetext.Name(strings.Join(p.chain, " -> ")))
	case linkTooLong:
		return fmt.Sprintf("has a target longer than the %d bytes Linux allows", maxLinkTarget)
	case linkNotDir:
		return fmt.Sprintf("goes through %s, which is a file, not a folder%s", at, through)
	case linkInside:
		return fmt.Sprintf("is inside %s, which is not a folder: where it lands depends on the order links are made", at)
	}
	if p.at == "" && p.via != "" {
		return fmt.Sprintf("points to nothing: %s is a link with an empty target", via)
	}
	if p.at == "" {
		return "points to nothing: its target is empty"
	}
	return fmt.Sprintf("points to %s, which is not in %s%s", at, s.within, through)
}

// resolver follows links as the kernel does, remembering where each link
// leads: that depends only on where the link is, so a lookup that meets a
// link already resolved jumps to its end and adds the links it took.
type resolver struct {
	t     *LinkTree
	memo  map[string]*resolution
	stack []string // links being resolved, outermost first
}

// resolution is where one link leads, or why it leads nowhere.
type resolution struct {
	path    string    // the entry it ends on, its links followed: "" is the root
	kind    EntryKind // kindDir or kindFile
	hops    int       // links followed to get there, itself included
	problem *LinkProblem
	done    bool
	cutAt   int // not resolved: links nested this deep were being resolved
}

// maxResolveDepth bounds how many links are resolved inside one another at
// once, which keeps the stack small whatever chain an archive holds. A link
// that far down a chain needs more than maxLinkHops links however the
// chain ends, so each cut still decides all but the last few links of it.
const maxResolveDepth = 1024

// link resolves the link at name.
func (r *resolver) link(name string) *resolution {
	if res, ok := r.memo[name]; ok {
		if !res.done { // met again while being resolved: a loop
			i := slices.Index(r.stack, name)
			return &resolution{problem: r.loop(name, chainOf(append(r.stack[i:], name)))}
		}
		return res
	}
	if len(r.stack) == maxResolveDepth {
		return &resolution{cutAt: len(r.stack) + 1}
	}
	r.memo[name] = &resolution{}
	r.stack = append(r.stack, name)
	depth := len(r.stack)
	res, cutLink := r.walk(name)
	r.stack = r.stack[:depth-1]
	res.done = true
	switch {
	case res.cutAt > 0 && res.cutAt-depth+1 <= maxLinkHops:
		// Whether this link resolves depends on where the cut fell: it is
		// resolved again from the top, with room to finish.
		delete(r.memo, name)
		return res
	case res.cutAt > 0:
		// At least cutAt-depth+1 links follow one another from here.
		res = &resolution{done: true, problem: r.loop(name, []string{name, cutLink, "..."})}
	}
	r.memo[name] = res
	return res
}

func (r *resolver) loop(name string, chain []string) *LinkProblem {
	return &LinkProblem{Link: name, Target: r.t.nodes[name].target, kind: linkLoops, chain: chain}
}

// walk looks up the target of the link at name from the folder holding it,
// component by component, applying ".." to where it is after following a
// link, as the kernel does. When a link met on the way was too deep to
// resolve, the result is cut (cutAt) and cutLink is that link.
func (r *resolver) walk(name string) (res *resolution, cutLink string) {
	target := r.t.nodes[name].target
	p := &LinkProblem{Link: name, Target: target}
	fail := func(kind problemKind, at string) (*resolution, string) {
		p.kind, p.at = kind, at
		return &resolution{problem: p}, ""
	}
	// Resolution starts from the link's folder, which must be one: a link
	// named through another link would be made wherever that one points.
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if r.t.nodes[dir].kind != KindDir {
			return fail(linkInside, dir)
		}
	}
	switch {
	case target == "":
		return fail(linkDangles, "") // the kernel's ENOENT
	case len(target) > maxLinkTarget:
		return fail(linkTooLong, "")
	case isAbsTarget(target):
		return fail(linkAbsolute, "")
	}
	at := &walkPos{}
	at.set(path.Dir(name))
	kind, hops := KindDir, 1
	parts := strings.Split(target, "/")
	for i, c := range parts {
		more := i < len(parts)-1 // even "f/" or "f/.": the kernel wants a folder
		switch c {
		case "", ".":
			continue
		case "..":
			if !at.up() {
				return fail(linkLeaves, "")
			}
			continue
		}
		next := at.child(c)
		n, ok := r.t.nodes[next]
		switch {
		case !ok:
			return fail(linkDangles, next)
		case n.kind == KindSymlink:
			sub := r.link(next)
			if sub.cutAt > 0 {
				return &resolution{cutAt: sub.cutAt}, next
			}
			if sub.problem != nil {
				p.inherit(sub.problem)
				return &resolution{problem: p}, ""
			}
			p.via, p.viaTarget = next, n.target
			if hops += sub.hops; hops > maxLinkHops {
				p.chain = chainOf(append(slices.Clone(r.stack), next))
				return fail(linkLoops, "")
			}
			if sub.kind == KindFile && more {
				return fail(linkNotDir, sub.path)
			}
			at.set(sub.path)
			kind = sub.kind
		case n.kind == KindFile:
			if more {
				return fail(linkNotDir, next)
			}
			at.down(c)
			kind = KindFile
		default:
			at.down(c)
			kind = KindDir
		}
	}
	return &resolution{path: at.path, kind: kind, hops: hops}, ""
}

// inherit makes p, a link whose lookup went through another link that
// leads nowhere, fail the same way, naming the link that led it astray.
func (p *LinkProblem) inherit(sub *LinkProblem) {
	p.kind, p.at, p.chain = sub.kind, sub.at, sub.chain
	p.via, p.viaTarget = sub.via, sub.viaTarget
	if p.via == "" {
		p.via, p.viaTarget = sub.Link, sub.Target
	}
	if sub.kind == linkLoops {
		p.chain = chainOf(append([]string{p.Link}, sub.chain...))
	}
}

// chainOf is a few links of a chain, for messages, up to the first link
// met twice.
func chainOf(links []string) []string {
	for i, l := range links {
		if j := slices.Index(links[:i], l); j >= 0 {
			links = links[:i+1]
			break
		}
	}
	if len(links) > 6 {
		return append(slices.Clone(links[:6]), "...")
	}
	return slices.Clone(links)
}

// walkPos is where a lookup is: a path of real folders, with the length
// of each of its parents, so that ".." costs nothing however deep it is.
type walkPos struct {
	path string
	ends []int // len(path) at each parent, root first
}

func (w *walkPos) set(p string) {
	if p == "." {
		p = ""
	}
	w.path, w.ends = p, w.ends[:0]
	if p == "" {
		return
	}
	w.ends = append(w.ends, 0)
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			w.ends = append(w.ends, i)
		}
	}
}

func (w *walkPos) down(c string) {
	w.ends = append(w.ends, len(w.path))
	w.path = w.child(c)
}

func (w *walkPos) child(c string) string {
	if w.path == "" {
		return c
	}
	return w.path + "/" + c
}

// up goes to the parent folder; false at the root.
func (w *walkPos) up() bool {
	if len(w.ends) == 0 {
		return false
	}
	w.path = w.path[:w.ends[len(w.ends)-1]]
	w.ends = w.ends[:len(w.ends)-1]
	return true
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
