package check

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

var (
	pyLibDir   = regexp.MustCompile(`^python[0-9]+\.[0-9]+$`)
	nodeVerDir = regexp.MustCompile(`^node[0-9]+$`)
)

// layout knows which paths of /opt the declared runtimes read.
type layout struct {
	any      bool                // no runtimes known (inspect): every family, every version
	runtimes map[string][]string // family -> declared runtimes
	versions map[string]bool     // "python3.12", "node20", "ruby3.3.0"

	// Content Lambda runs from the top of the layer: every runtime may when
	// none are known.
	bootstrap []string // the declared runtimes that run /opt/bootstrap (provided.*)
	wrapped   []string // the declared runtimes that take an exec wrapper
}

func newLayout(runtimes []string) *layout {
	l := &layout{any: len(runtimes) == 0, runtimes: map[string][]string{}, versions: map[string]bool{}}
	if l.any {
		l.bootstrap, l.wrapped = []string{"provided.*"}, []string{"managed runtimes (Python, Node.js, Java, .NET, Ruby)"}
	}
	for _, rt := range runtimes {
		if lambdafacts.RunsBootstrap(rt) {
			l.bootstrap = append(l.bootstrap, rt)
		}
		if lambdafacts.TakesExecWrapper(rt) {
			l.wrapped = append(l.wrapped, rt)
		}
		fam, ver := lambdafacts.PathFamily(rt)
		l.runtimes[fam] = append(l.runtimes[fam], rt)
		switch fam {
		case "python":
			l.versions["python"+ver] = true
		case "nodejs":
			l.versions["node"+ver] = true
		case "ruby":
			l.versions[ver+".0"] = true
		}
	}
	return l
}

func (l *layout) reads(family string) bool { return l.any || len(l.runtimes[family]) > 0 }

// place says which family reads the file at name, "generic" for the paths
// every runtime reads, "ignore" for harmless files nothing reads (npm's
// package.json beside node_modules); or "" with the folder that Lambda will
// not look into and why.
func (l *layout) place(name string) (family, group, why string) {
	parts := strings.Split(name, "/")
	if len(parts) == 1 {
		return "", name, "files at the top of a layer are in /opt, which no runtime reads"
	}
	top := parts[0]
	if slices.Contains(lambdafacts.GenericDirs, top) {
		return "generic", "", ""
	}
	switch top {
	case "python":
		if !l.reads("python") {
			return "", "python/", l.otherFamily(lambdafacts.Python)
		}
		if len(parts) >= 4 && parts[1] == "lib" && pyLibDir.MatchString(parts[2]) {
			group := "python/lib/" + parts[2] + "/"
			if parts[3] != "site-packages" || len(parts) < 5 {
				return "", group, "only site-packages/ is read under " + group
			}
			if !l.any && !l.versions[parts[2]] {
				return "", group + "site-packages/", "it is read only by the " + parts[2] + " runtime"
			}
		}
		// python/mylib.py/__init__.py: what a to: naming a module file
		// makes of a package. Python imports nothing from such a folder.
		for i := 1; i < len(parts)-1; i++ {
			if strings.HasSuffix(parts[i], ".py") {
				return "", strings.Join(parts[:i+1], "/") + "/", "a folder named like a module file is not a package: Python imports nothing from it"
			}
		}
		return "python", "", ""
	case "nodejs":
		if !l.reads("nodejs") {
			return "", "nodejs/", l.otherFamily(lambdafacts.NodeJS)
		}
		if len(parts) >= 3 && parts[1] == "node_modules" {
			return "nodejs", "", ""
		}
		if len(parts) >= 4 && nodeVerDir.MatchString(parts[1]) && parts[2] == "node_modules" {
			if !l.any && !l.versions[parts[1]] {
				return "", "nodejs/" + parts[1] + "/node_modules/", "it is read only by the nodejs" + strings.TrimPrefix(parts[1], "node") + ".x runtime"
			}
			return "nodejs", "", ""
		}
		if len(parts) == 2 && (parts[1] == "package.json" || parts[1] == "package-lock.json") {
			return "ignore", "", ""
		}
		return "", "nodejs/" + dirOrFile(parts[1:]), "Node.js reads only nodejs/node_modules/ and nodejs/nodeNN/node_modules/"
	case "java":
		if !l.reads("java") {
			return "", "java/", l.otherFamily(lambdafacts.Java)
		}
		if len(parts) >= 3 && parts[1] == "lib" {
			return "java", "", ""
		}
		return "", "java/" + dirOrFile(parts[1:]), "Java reads only java/lib/"
	case "ruby":
		if !l.reads("ruby") {
			return "", "ruby/", l.otherFamily(lambdafacts.Ruby)
		}
		if len(parts) >= 3 && parts[1] == "lib" {
			return "ruby", "", ""
		}
		if len(parts) >= 4 && parts[1] == "gems" {
			if !l.any && !l.versions[parts[2]] {
				return "", "ruby/gems/" + parts[2] + "/", "GEM_PATH names only ruby/gems/X.Y.0/ of the runtime's own Ruby version"
			}
			return "ruby", "", ""
		}
		return "", "ruby/" + dirOrFile(parts[1:]), "Ruby reads only ruby/gems/X.Y.0/ and ruby/lib/"
	}
	return "", top + "/", safetext.Name(top+"/") + " is not a folder any Lambda runtime reads"
}

func dirOrFile(rest []string) string {
	if len(rest) == 1 {
		return rest[0]
	}
	return rest[0] + "/"
}

// LayoutFile is what the layout check needs to know of one file.
type LayoutFile struct {
	Name   string
	Exec   bool   // an execute bit is set
	Link   bool   // a symlink: Linux runs or reads its target, checked where it sits
	Source string // where it came from, as the manifest names it (src/bootstrap); "" for a ZIP's entries
	Entry  *Entry // the manifest entry it came from; nil for a ZIP's entries and what pip or npm made
}

// Entry is a files or go entry of the manifest, so that a hint can quote
// it and say exactly how to change it.
type Entry struct {
	Index int               // in the layer's files, or its go list
	Map   manifest.FileMap  // a files entry
	Go    *manifest.GoBuild // or a go entry (its to is one file's path)
	File  bool              // from is one file (to is its path), not a folder or an archive
}

// field names the entry as the manifest's layer holds it: files[0], go[1].
func (e *Entry) field() string {
	if e.Go != nil {
		return fmt.Sprintf("go[%d]", e.Index)
	}
	return fmt.Sprintf("files[%d]", e.Index)
}

// misplacedKey groups content the runtimes will not see: by folder, and by
// the entry it came from, since the fix is that entry's.
type misplacedKey struct {
	group string // the folder, or a file at the top of a ZIP; "" for files an entry put at the top
	isGo  bool   // the entry is a go entry
	entry int    // its index; -1: no entry
}

func (k misplacedKey) compare(o misplacedKey) int {
	return cmp.Or(cmp.Compare(k.entry, o.entry), boolCompare(k.isGo, o.isGo), cmp.Compare(k.group, o.group))
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

type misplaced struct {
	why      string
	files    []LayoutFile
	dataOnly bool // in a folder no runtime reads, and no code: read by its path if at all
}

// Layout finds content Lambda will not see for the declared runtimes
// (every runtime when none are declared), and declared runtimes that get
// nothing from the layer. Files at the top of the layer are judged by what
// Lambda does with them (see root). Each finding on misplaced content says
// how to fix it: the edit of its files entry, or where it belongs in a ZIP.
func Layout(files []LayoutFile, runtimes []string) []layer.Finding {
	l := newLayout(runtimes)
	groups := map[misplacedKey]*misplaced{}
	byEntry := map[*Entry][]LayoutFile{}
	seen := map[string]int{}
	var out []layer.Finding
	type pending struct {
		finding int
		f       LayoutFile
	}
	var commands []pending // executables at the top that may belong in bin/
	for _, f := range files {
		if f.Entry != nil {
			byEntry[f.Entry] = append(byEntry[f.Entry], f)
		}
		if !strings.Contains(f.Name, "/") {
			fd, lost, command := l.root(f)
			if fd != nil {
				if command {
					commands = append(commands, pending{len(out), f})
				}
				out = append(out, *fd)
			}
			if !lost {
				if fd == nil || fd.Severity != layer.SevError {
					seen["generic"]++
				}
				continue
			}
		}
		fam, g, why := l.place(f.Name)
		if fam == "" {
			k := misplacedKey{group: g, entry: -1}
			if f.Entry != nil {
				k.entry, k.isGo = f.Entry.Index, f.Entry.Go != nil
				if !strings.HasSuffix(g, "/") {
					k.group = "" // files an entry put at the top: one finding, one fix
				}
			}
			m := groups[k]
			if m == nil {
				top, _, _ := strings.Cut(g, "/")
				m = &misplaced{why: why, dataOnly: strings.HasSuffix(g, "/") && top != ".." && !slices.Contains(lambdafacts.PathFamilies, top)}
				groups[k] = m
			}
			m.files = append(m.files, f)
			if kindOf(f.Name, f.Exec || f.Link) != kindData {
				m.dataOnly = false
			}
			continue
		}
		seen[fam]++
		if strings.HasPrefix(f.Name, "extensions/") && strings.Count(f.Name, "/") == 1 && !f.Exec {
			out = append(out, layer.Finding{Severity: layer.SevError, Path: f.Name, Message: fmt.Sprintf("%s is not executable, but Lambda starts every file in extensions/ as an extension: %s, or move it", safetext.Name(f.Name), chmodFix(f))})
		}
	}

	for _, c := range commands {
		out[c.finding].Message += ": " + binHint(c.f, byEntry[c.f.Entry])
	}

	keys := make([]misplacedKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, misplacedKey.compare)
	hinted := map[*Entry]bool{}
	for _, k := range keys {
		m := groups[k]
		what := describe(k.group, m.files)
		at := k.group
		if at == "" {
			at = m.files[0].Name
		}
		if m.dataOnly {
			// Data read by its absolute path works anywhere in /opt.
			seen["generic"]++
			out = append(out, layer.Finding{Severity: layer.SevWarning, Path: at, Message: fmt.Sprintf("%s holds no code, in a folder no runtime searches: only code that opens /opt/%s... by that path will read it", what, safetext.Name(k.group))})
			continue
		}
		msg := fmt.Sprintf("%s will not be seen by %s: %s", what, l.who(), m.why)
		switch e := m.files[0].Entry; {
		case e == nil:
			if hint := l.zipHint(k.group, m.files); hint != "" {
				msg += "; " + hint
			}
		case hinted[e]:
			msg += fmt.Sprintf("; see %s above", e.field())
		default:
			hinted[e] = true
			if hint := l.entryHint(e, byEntry[e]); hint != "" {
				msg += "; " + hint
			}
		}
		out = append(out, layer.Finding{Severity: l.severity(), Path: at, Message: msg})
	}

	if l.any {
		return out
	}
	for _, fam := range l.families() {
		if seen[fam] > 0 || seen["generic"] > 0 {
			continue
		}
		rts := strings.Join(l.runtimes[fam], ", ")
		if fam == "" {
			out = append(out, layer.Finding{Severity: layer.SevError, Path: "", Message: fmt.Sprintf("%s layer has nothing under bin/, lib/ or extensions/, and nothing at its top that Lambda runs", rts)})
			continue
		}
		out = append(out, layer.Finding{Severity: layer.SevError, Path: "", Message: fmt.Sprintf("%s layer has nothing under %s", rts, lambdafacts.Home(fam))})
	}
	return out
}

// describe names misplaced files in a message: the folder and how many
// files, or the files an entry put at the top of the layer.
func describe(group string, files []LayoutFile) string {
	n := len(files)
	switch {
	case strings.HasSuffix(group, "/"):
		return fmt.Sprintf("%s (%d %s)", safetext.Name(group), n, plural(n, "file"))
	case group != "" || n == 1:
		return safetext.Name(files[0].Name)
	}
	var names []string
	for _, f := range files[:min(n, 3)] {
		names = append(names, safetext.Name(f.Name))
	}
	list := strings.Join(names, ", ")
	if n > 3 {
		list += fmt.Sprintf(" and %d more", n-3)
	}
	return fmt.Sprintf("%s (%d files at the top of the layer)", list, n)
}

// otherFamily says why content in family's folder is lost on the declared
// runtimes, and which runtimes would read it.
func (l *layout) otherFamily(family string) string {
	return fmt.Sprintf("the layer's runtimes (%s) do not read %s/; the %s runtimes do (%s)", l.who(), family, lambdafacts.FamilyName(family), strings.Join(lambdafacts.SupportedRuntimes(family), ", "))
}

// severity is that of content the runtimes will not see: an error for
// declared runtimes, a warning when they are not known (inspect).
func (l *layout) severity() layer.Severity {
	if l.any {
		return layer.SevWarning
	}
	return layer.SevError
}

// root judges a file at the top of the layer (/opt), where no runtime
// searches, but where an OS-only runtime runs bootstrap, a managed runtime
// starts through the script AWS_LAMBDA_EXEC_WRAPPER names, and code may
// open a data file by its path. Code meant for a search path (a module, a
// JAR, a shared library) is misplaced: the caller groups it with the rest.
// An executable that may be a command for PATH instead is a command: the
// caller adds how to move it to bin/ once it knows its entry's files.
func (l *layout) root(f LayoutFile) (fd *layer.Finding, misplaced, command bool) {
	name := safetext.Name(f.Name)
	runnable := f.Exec || f.Link
	k := kindOf(f.Name, runnable)
	if f.Name == lambdafacts.Bootstrap && len(l.bootstrap) > 0 {
		if runnable {
			return nil, false, false
		}
		return &layer.Finding{Severity: l.severity(), Path: f.Name, Message: fmt.Sprintf("bootstrap is not executable, but %s runs /opt/bootstrap as the function's runtime: %s", strings.Join(l.bootstrap, ", "), chmodFix(f))}, false, false
	}
	switch {
	case k != kindData && k != kindCommand:
		return nil, true, false
	case k == kindCommand && len(l.wrapped) > 0:
		return &layer.Finding{Severity: layer.SevNote, Path: f.Name, Message: fmt.Sprintf("%s at the top of the layer runs as an exec wrapper for %s when a function sets %s=/opt/%s; if it is a command for PATH instead", name, strings.Join(l.wrapped, ", "), lambdafacts.ExecWrapperVar, name)}, false, true
	case k == kindCommand && len(l.bootstrap) > 0:
		return &layer.Finding{Severity: layer.SevWarning, Path: f.Name, Message: fmt.Sprintf("%s at the top of the layer is executable, but %s runs only /opt/bootstrap from there and takes no exec wrapper: name it bootstrap if it is the runtime; if it is a command", name, strings.Join(l.bootstrap, ", "))}, false, true
	case k == kindCommand:
		return &layer.Finding{Severity: layer.SevWarning, Path: f.Name, Message: fmt.Sprintf("%s at the top of the layer is executable, but %s runs nothing from there; if it is a command", name, l.who())}, false, true
	}
	msg := fmt.Sprintf("%s is at the top of the layer (/opt/%s), where no runtime searches: only code that opens /opt/%s by that path will read it", name, name, name)
	if len(l.wrapped) > 0 && path.Ext(f.Name) == "" {
		msg += "; if it is an exec wrapper script, " + chmodFix(f) // a script without its execute bit is data to Lambda
	}
	return &layer.Finding{Severity: layer.SevWarning, Path: f.Name, Message: msg}, false, false
}

// binHint says how to move the executable f at the top of the layer to
// bin/, where PATH finds it: the edit of its entry (files is all that
// entry put in the layer), or where it goes in a ZIP.
func binHint(f LayoutFile, files []LayoutFile) string {
	base, e := path.Base(f.Name), f.Entry
	switch {
	case e == nil:
		return "in the ZIP it belongs at bin/" + safetext.Name(base)
	case e.Go != nil:
		fixed := *e.Go
		fixed.To = "bin/" + base
		return fmt.Sprintf("fix %s %s → %s", e.field(), goText(*e.Go), goText(fixed))
	}
	fixed := e.Map
	fixed.To = "bin"
	if e.File {
		fixed.To = "bin/" + base
	}
	also := ""
	if n := len(files) - 1; !e.File && n > 0 {
		also = fmt.Sprintf(" (with the %d other %s it holds)", n, plural(n, "file"))
	}
	return fmt.Sprintf("fix %s %s → %s%s", e.field(), entryText(e.Map), entryText(fixed), also)
}

// chmodFix says how to make f executable where it comes from.
func chmodFix(f LayoutFile) string {
	switch {
	case f.Entry != nil && f.Entry.Map.Archive:
		return fmt.Sprintf("give it an execute bit (mode 0755) in %s", safetext.Name(f.Entry.Map.From))
	case f.Source == "":
		return "give it an execute bit (mode 0755) in the ZIP"
	}
	return fmt.Sprintf("make it executable (chmod +x %s) and build again", safetext.Name(f.Source))
}

// families lists the declared families, "" (generic-only runtimes) last.
func (l *layout) families() []string {
	var out []string
	for _, f := range append(slices.Clone(lambdafacts.PathFamilies), "") {
		if len(l.runtimes[f]) > 0 {
			out = append(out, f)
		}
	}
	return out
}

func (l *layout) who() string {
	if l.any {
		return "any Lambda runtime"
	}
	var rts []string
	for _, f := range l.families() {
		rts = append(rts, l.runtimes[f]...)
	}
	return strings.Join(rts, ", ")
}
