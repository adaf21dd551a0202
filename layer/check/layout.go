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
}

func newLayout(runtimes []string) *layout {
	l := &layout{any: len(runtimes) == 0, runtimes: map[string][]string{}, versions: map[string]bool{}}
	for _, rt := range runtimes {
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
	Name string
	Exec bool
}

// Layout finds content Lambda will not see for the declared runtimes
// (every runtime when none are declared), and declared runtimes that get
// nothing from the layer.
func Layout(files []LayoutFile, runtimes []string) []layer.Finding {
	l := newLayout(runtimes)
	type group struct {
		why   string
		count int
	}
	groups := map[string]*group{}
	seen := map[string]int{}
	var out []layer.Finding
	for _, f := range files {
		fam, g, why := l.place(f.Name)
		if fam == "" {
			if groups[g] == nil {
				groups[g] = &group{why: why}
			}
			groups[g].count++
			continue
		}
		seen[fam]++
		if strings.HasPrefix(f.Name, "extensions/") && strings.Count(f.Name, "/") == 1 && !f.Exec {
			out = append(out, layer.Finding{Severity: layer.SevError, Path: f.Name, Message: fmt.Sprintf("%s is not executable, but Lambda starts every file in extensions/ as an extension: make it executable (chmod +x) or move it", safetext.Name(f.Name))})
		}
	}

	sev := layer.SevError
	if l.any {
		sev = layer.SevWarning
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
		msg := fmt.Sprintf("%s will not be seen by %s: %s", what, l.who(), groups[g].why)
		if len(fams) > 0 && !strings.Contains(g, "/lib/python") {
			msg += fmt.Sprintf("; map it with to: %s%s", lambdafacts.Home(fams[0]), safetext.Name(strings.TrimSuffix(lastPart(g), "/")))
		}
		out = append(out, layer.Finding{Severity: sev, Path: g, Message: msg})
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
