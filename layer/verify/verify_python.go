package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/layerctl/layerctl/layer/builder/python"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// pythonImportScript imports each module named on its command line and
// writes one JSON line to file descriptor 3 before and one after each, so
// that what the modules print cannot pass for a result.
const pythonImportScript = `
import importlib, json, os, sys
out = os.fdopen(3, "w")
def say(o):
    out.write(json.dumps(o) + "\n")
    out.flush()
for name in sys.argv[1:]:
    say({"start": name})
    try:
        importlib.import_module(name)
        r = {"name": name, "ok": True}
    except BaseException as e:
        r = {"name": name, "ok": False, "error": (("%s: %s" % (type(e).__name__, e)).splitlines() or [""])[0],
             "kind": type(e).__name__, "missing": (e.name or "") if isinstance(e, ModuleNotFoundError) else ""}
    say(r)
`

// pythonProvided are the modules Lambda's Python runtimes ship in
// /var/runtime: a layer may rely on them without holding them.
var pythonProvided = []string{"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "awslambdaric"}

var (
	pyIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	cpythonTag   = regexp.MustCompile(`\.cpython-3(\d+)`)
	pyLibVersion = regexp.MustCompile(`^python3\.\d+$`)
)

// pyModule is a top-level module found in a folder on sys.path.
type pyModule struct {
	name   string
	native []string // its .so files
}

// pythonModules finds the top-level modules in dir: packages (folders with
// Python code, namespace packages included), .py files and extension
// modules. Metadata folders, bin/ and the lib/pythonX.Y/ tree are not.
func pythonModules(dir string) []pyModule {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	found := map[string]*pyModule{}
	add := func(name string, native ...string) {
		if !pyIdentifier.MatchString(name) {
			return
		}
		m := found[name]
		if m == nil {
			m = &pyModule{name: name}
			found[name] = m
		}
		m.native = append(m.native, native...)
	}
	for _, e := range ents {
		n := e.Name()
		p := filepath.Join(dir, n)
		switch {
		case strings.HasPrefix(n, "."), n == "__pycache__", n == "bin":
		case e.IsDir() && (strings.HasSuffix(n, ".dist-info") || strings.HasSuffix(n, ".egg-info") || strings.HasSuffix(n, ".data")):
		case e.IsDir() && n == "lib" && hasPyLib(p):
		case e.IsDir():
			code, native := false, []string(nil)
			filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				switch {
				case strings.HasSuffix(q, ".py"):
					code = true
				case strings.HasSuffix(q, ".so"):
					code = true
					native = append(native, q)
				}
				return nil
			})
			if code {
				add(n, native...)
			}
		case strings.HasSuffix(n, ".py"):
			add(strings.TrimSuffix(n, ".py"))
		case strings.HasSuffix(n, ".so"):
			base, _, _ := strings.Cut(n, ".")
			add(base, p)
		}
	}
	out := make([]pyModule, 0, len(found))
	for _, m := range found {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b pyModule) int { return strings.Compare(a.name, b.name) })
	return out
}

// pyTarget is a top-level module to import: one an installed distribution
// declares (dist, and from which file), or code no distribution installed
// (files mapped into the layer).
type pyTarget struct {
	name   string
	native []string // its .so files
	dist   string
	from   string
}

// pythonTargets lists the modules to import from the folders on sys.path,
// sorted: those the distributions declare (top_level.txt, else their
// RECORD), and those found in the folders that no distribution's RECORD
// lists. A folder a distribution installed without declaring it a module
// (its tests, its data) is not imported: no function imports it.
func pythonTargets(dirs ...string) []pyTarget {
	scanned := map[string]pyModule{}
	for _, dir := range dirs {
		for _, m := range pythonModules(dir) {
			if _, ok := scanned[m.name]; !ok {
				scanned[m.name] = m
			}
		}
	}
	var out []pyTarget
	seen, owned := map[string]bool{}, map[string]bool{}
	for _, dir := range dirs {
		for _, d := range pythonDists(dir) {
			for _, o := range d.owned {
				owned[o] = true
			}
			for _, m := range d.modules {
				if !seen[m] {
					seen[m] = true
					out = append(out, pyTarget{name: m, native: scanned[m].native, dist: d.name, from: d.from})
				}
			}
		}
	}
	for name, m := range scanned {
		if !seen[name] && !owned[name] {
			out = append(out, pyTarget{name: name, native: m.native})
		}
	}
	slices.SortFunc(out, func(a, b pyTarget) int { return strings.Compare(a.name, b.name) })
	return out
}

func hasPyLib(dir string) bool {
	ents, _ := os.ReadDir(dir)
	return slices.ContainsFunc(ents, func(e os.DirEntry) bool { return e.IsDir() && pyLibVersion.MatchString(e.Name()) })
}

func (v *verifier) python(ctx context.Context, rt string) ([]Check, error) {
	want := lambdafacts.PythonVersion(rt)
	site := filepath.Join(v.opt, "python", "lib", "python"+want, "site-packages")
	base := filepath.Join(v.opt, "python")
	var checks []Check

	for _, dir := range v.misplaced(func(n string) bool { return strings.HasSuffix(n, ".py") }) {
		checks = append(checks, Check{Runtime: rt, Package: dir, Status: CheckFailed,
			Detail: fmt.Sprintf("%s/ holds Python code at /opt/%s, where %s does not look (it reads /opt/python and /opt/python/lib/python%s/site-packages): it belongs at python/%s/ (map it with to: python/%s)", dir, dir, rt, want, dir, dir)})
	}

	modules := pythonTargets(site, base)
	if len(modules) == 0 {
		return checks, nil
	}

	info, err := python.About(ctx, v.tools, "")
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, m := range modules {
			checks = append(checks, Check{Runtime: rt, Package: m.name, Status: CheckSkipped, Reason: ReasonNoRuntime, Detail: "no local python3 to import it with: " + firstLine(err.Error())})
		}
		return checks, nil
	}
	local := majorMinor(info.Version)
	mismatch := func() string { return "" }
	if local != want {
		mismatch = func() string { return fmt.Sprintf("this machine's python3 is %s, not %s", local, want) }
	}

	var names []string
	byName := map[string]pyTarget{}
	for _, m := range modules {
		if why := v.nativeProblem(m.native); why != "" {
			checks = append(checks, Check{Runtime: rt, Package: m.name, Status: CheckSkipped, Reason: ReasonOtherCPU, Detail: why})
			continue
		}
		if why := cpythonProblem(m.native, local, v.opt); why != "" {
			checks = append(checks, Check{Runtime: rt, Package: m.name, Status: CheckSkipped, Reason: ReasonOtherPython, Detail: why})
			continue
		}
		names = append(names, m.name)
		byName[m.name] = m
	}
	if len(names) > 0 {
		env := v.lambdaEnv(
			"PYTHONPATH="+site+string(os.PathListSeparator)+base,
			"PYTHONNOUSERSITE=1", "PYTHONDONTWRITEBYTECODE=1", "PYTHONSAFEPATH=1")
		// -S: no site-packages of this machine, so a dependency missing
		// from the layer is missed here as it would be on Lambda.
		results, err := v.runImports(ctx, []string{info.Executable, "-S", "-B", "-c", pythonImportScript}, names, env)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			c := judge(rt, n, results[n], func(m string) bool {
				top, _, _ := strings.Cut(m, ".")
				return slices.Contains(pythonProvided, top)
			}, mismatch)
			if t := byName[n]; t.dist != "" && c.Status != CheckOK && c.Status != CheckSkipped {
				c.Detail += fmt.Sprintf(" (distribution %s declares it, in its %s)", t.dist, t.from)
			}
			checks = append(checks, c)
		}
	}
	slices.SortStableFunc(checks, func(a, b Check) int { return strings.Compare(a.Package, b.Package) })
	return checks, nil
}

// cpythonProblem says why the local CPython (version local, 3.11) cannot
// load extension modules tagged for another version, or "".
func cpythonProblem(native []string, local, opt string) string {
	for _, f := range native {
		m := cpythonTag.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			continue
		}
		if v := "3." + m[1]; v != local {
			rel, _ := filepath.Rel(opt, f)
			return fmt.Sprintf("its native code is built for CPython %s (%s); this machine's python3 is %s, which cannot load it", v, filepath.ToSlash(rel), local)
		}
	}
	return ""
}

func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
