package check

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/lambdafacts"
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
			return "", "python/", "python/ is read only by Python runtimes"
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
		return "python", "", ""
	case "nodejs":
		if !l.reads("nodejs") {
			return "", "nodejs/", "nodejs/ is read only by Node.js runtimes"
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
			return "", "java/", "java/ is read only by Java runtimes"
		}
		if len(parts) >= 3 && parts[1] == "lib" {
			return "java", "", ""
		}
		return "", "java/" + dirOrFile(parts[1:]), "Java reads only java/lib/"
	case "ruby":
		if !l.reads("ruby") {
			return "", "ruby/", "ruby/ is read only by Ruby runtimes"
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
}

// Layout finds content Lambda will not see for the declared runtimes
// (every runtime when none are declared), and declared runtimes that get
// nothing from the layer. Files at the top of the layer are judged by what
// Lambda does with them (see root).
func Layout(files []LayoutFile, runtimes []string) []layer.Finding {
	l := newLayout(runtimes)
	type group struct {
		why      string
		count    int
		dataOnly bool // in a folder no runtime reads, and no code: read by its path if at all
	}
	groups := map[string]*group{}
	seen := map[string]int{}
	var out []layer.Finding
	for _, f := range files {
		if !strings.Contains(f.Name, "/") {
			fd, misplaced := l.root(f)
			if fd != nil {
				out = append(out, *fd)
			}
			if !misplaced {
				if fd == nil || fd.Severity != layer.SevError {
					seen["generic"]++
				}
				continue
			}
		}
		fam, g, why := l.place(f.Name)
		if fam == "" {
			if groups[g] == nil {
				top, _, _ := strings.Cut(g, "/")
				groups[g] = &group{why: why, dataOnly: strings.HasSuffix(g, "/") && !slices.Contains(lambdafacts.PathFamilies, top)}
			}
			groups[g].count++
			if kindOf(f.Name, f.Exec || f.Link) != kindData {
				groups[g].dataOnly = false
			}
			continue
		}
		seen[fam]++
		if strings.HasPrefix(f.Name, "extensions/") && strings.Count(f.Name, "/") == 1 && !f.Exec {
			out = append(out, layer.Finding{Severity: layer.SevError, Path: f.Name, Message: fmt.Sprintf("%s is not executable, but Lambda starts every file in extensions/ as an extension: make it executable (chmod +x) or move it", safetext.Name(f.Name))})
		}
	}

	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	fams := l.families()
	for _, g := range names {
		what := safetext.Name(g)
		if n := groups[g].count; strings.HasSuffix(g, "/") {
			what = fmt.Sprintf("%s (%d %s)", what, n, plural(n, "file"))
		}
		if groups[g].dataOnly {
			// Data read by its absolute path works anywhere in /opt.
			seen["generic"]++
			out = append(out, layer.Finding{Severity: layer.SevWarning, Path: g, Message: fmt.Sprintf("%s holds no code, in a folder no runtime searches: only code that opens /opt/%s... by that path will read it", what, safetext.Name(g))})
			continue
		}
		msg := fmt.Sprintf("%s will not be seen by %s: %s", what, l.who(), groups[g].why)
		if len(fams) > 0 && !strings.Contains(g, "/lib/python") {
			msg += fmt.Sprintf("; map it with to: %s%s", lambdafacts.Home(fams[0]), safetext.Name(strings.TrimSuffix(lastPart(g), "/")))
		}
		out = append(out, layer.Finding{Severity: l.severity(), Path: g, Message: msg})
	}

	if l.any {
		return out
	}
	for _, fam := range fams {
		if seen[fam] > 0 || seen["generic"] > 0 {
			continue
		}
		rts := strings.Join(l.runtimes[fam], ", ")
		if fam == "" {
			out = append(out, layer.Finding{Severity: layer.SevError, Path: "", Message: fmt.Sprintf("%s layer has nothing under bin/, lib/ or extensions/: map its content with to: bin/... or to: lib/...", rts)})
			continue
		}
		out = append(out, layer.Finding{Severity: layer.SevError, Path: "", Message: fmt.Sprintf("%s layer has nothing under %s: map it with to: %s...", rts, lambdafacts.Home(fam), lambdafacts.Home(fam))})
	}
	return out
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
func (l *layout) root(f LayoutFile) (fd *layer.Finding, misplaced bool) {
	name := safetext.Name(f.Name)
	runnable := f.Exec || f.Link
	k := kindOf(f.Name, runnable)
	if f.Name == lambdafacts.Bootstrap && len(l.bootstrap) > 0 {
		if runnable {
			return nil, false
		}
		return &layer.Finding{Severity: l.severity(), Path: f.Name, Message: fmt.Sprintf("bootstrap is not executable, but %s runs /opt/bootstrap as the function's runtime: %s", strings.Join(l.bootstrap, ", "), chmodFix(f))}, false
	}
	switch {
	case k != kindData && k != kindCommand:
		return nil, true
	case k == kindCommand && len(l.wrapped) > 0:
		return &layer.Finding{Severity: layer.SevNote, Path: f.Name, Message: fmt.Sprintf("%s at the top of the layer runs as an exec wrapper for %s when a function sets %s=/opt/%s (if it is a command for PATH, map it to bin/%s instead)", name, strings.Join(l.wrapped, ", "), lambdafacts.ExecWrapperVar, name, name)}, false
	case k == kindCommand && len(l.bootstrap) > 0:
		return &layer.Finding{Severity: layer.SevWarning, Path: f.Name, Message: fmt.Sprintf("%s at the top of the layer is executable, but %s runs only /opt/bootstrap from there and takes no exec wrapper: name it bootstrap if it is the runtime, or map it to bin/%s if it is a command", name, strings.Join(l.bootstrap, ", "), name)}, false
	case k == kindCommand:
		return &layer.Finding{Severity: layer.SevWarning, Path: f.Name, Message: fmt.Sprintf("%s at the top of the layer is executable, but %s runs nothing from there: map it to bin/%s if it is a command", name, l.who(), name)}, false
	}
	return &layer.Finding{Severity: layer.SevWarning, Path: f.Name, Message: fmt.Sprintf("%s is at the top of the layer (/opt/%s), where no runtime searches: only code that opens /opt/%s by that path will read it", name, name, name)}, false
}

// chmodFix says how to make f executable where it comes from.
func chmodFix(f LayoutFile) string {
	if f.Source == "" {
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

func lastPart(g string) string {
	t := strings.TrimSuffix(g, "/")
	if i := strings.LastIndex(t, "/"); i >= 0 {
		return t[i+1:]
	}
	return t
}
