package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// nodeRequireScript requires each package named on its command line, as a
// handler in /var/task would (through NODE_PATH); a package that require
// cannot load because it is an ES module only is loaded with import(). It
// writes one JSON line to file descriptor 3 before and one after each, so
// that what the packages print cannot pass for a result.
//
// import() ignores NODE_PATH and resolves from the importing module's
// folder: the import is made from a module compiled (never written) as if
// it sat beside the node_modules folder holding the package.
const nodeRequireScript = `
const fs = require("fs"), path = require("path"), Module = require("module");
const say = (o) => fs.writeSync(3, JSON.stringify(o) + "\n");
const dirs = (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean);
function importer(name) {
  for (const d of dirs) {
    if (fs.existsSync(path.join(d, name))) {
      const file = path.join(path.dirname(d), "[layerctl-import].js");
      const m = new Module(file);
      m.filename = file;
      m.paths = Module._nodeModulePaths(path.dirname(file));
      m._compile("module.exports = (n) => import(n);", file);
      return m.exports(name);
    }
  }
  return import(name);
}
const esmOnly = new Set(["ERR_REQUIRE_ESM", "ERR_REQUIRE_ASYNC_MODULE", "ERR_PACKAGE_PATH_NOT_EXPORTED"]);
function failure(name, e) {
  const msg = String((e && e.message) || e).split("\n")[0];
  const m = /^Cannot find (?:module|package) '([^']+)'/.exec(msg);
  const kind = String((e && e.name) || ""), code = String((e && e.code) || "");
  return {name, ok: false, error: (code || kind ? (code || kind) + ": " : "") + msg,
    kind, code, missing: m && m[1] !== name ? m[1] : ""};
}
(async () => {
  for (const name of process.argv.slice(1)) {
    say({start: name});
    let r;
    try {
      require(name);
      r = {name, ok: true};
    } catch (e) {
      if (e && esmOnly.has(e.code)) {
        try {
          await importer(name);
          r = {name, ok: true, via: "import"};
        } catch (e2) {
          r = Object.assign(failure(name, e2), {via: "import"});
        }
      } else {
        r = failure(name, e);
      }
    }
    say(r);
  }
  process.exit(0);
})();
`

// nodeProvided says whether Lambda's Node.js runtimes ship the package
// (the AWS SDK for JavaScript v3), so a layer may rely on it.
func nodeProvided(name string) bool {
	return strings.HasPrefix(name, "@aws-sdk/") || strings.HasPrefix(name, "@smithy/") || strings.HasPrefix(name, "@aws-crypto/")
}

// platformPrefixes name packages that only carry one platform's binaries,
// loaded by path by the package that depends on them.
var platformPrefixes = []string{"@img/sharp-libvips-", "@esbuild/"}

// loadableNative matches the native files require or dlopen loads: Node.js
// addons and shared libraries (libvips-cpp.so.8.17.2). Executables in a
// package are run, not loaded, so they do not stop require.
var loadableNative = regexp.MustCompile(`(\.node|\.so(\.\d+)*)$`)

// nativeFiles lists the loadable ELF files of the package at dir, its own
// nested node_modules left out (those are packages of their own).
func nativeFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == "node_modules" && p != dir {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || !loadableNative.MatchString(d.Name()) {
			return nil
		}
		if isELF(p) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func isELF(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 20)
	n, _ := f.Read(head)
	_, ok := lambdafacts.ELFMachine(head[:n])
	return ok
}

// nodeTarget is a package a function would require: declared by the
// layer's package.json, or one no other package of the layer depends on.
type nodeTarget struct {
	name     string
	pkg      *npmPackage // nil: not in the layer
	optional bool        // an optional dependency of the layer's package.json
	badName  bool        // not a package name (a path): never looked for, never required
}

// npmName is a package name as npm takes it, scoped or not: never a path
// ("../x", "/x"), which require would load from this machine.
var npmName = regexp.MustCompile(`^(@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$`)

// nodeTargets are the packages to require, sorted, and where they came
// from (for the report).
func nodeTargets(nl *nodeLayer, packageFiles []string) []nodeTarget {
	var out []nodeTarget
	if declared := nl.declared(packageFiles); len(declared) > 0 {
		for name, optional := range declared {
			t := nodeTarget{name: name, optional: optional}
			if npmName.MatchString(name) {
				t.pkg = nl.find(nil, name)
			} else {
				t.badName = true
			}
			out = append(out, t)
		}
	} else {
		for _, p := range nl.unneeded(nl.top()) {
			out = append(out, nodeTarget{name: p.name, pkg: p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (v *verifier) node(ctx context.Context, rt string) ([]Check, error) {
	major := lambdafacts.NodeMajor(rt)
	root := filepath.Join(v.opt, "nodejs")
	versioned := filepath.Join(root, "node"+major)
	dirs := []string{filepath.Join(versioned, "node_modules"), filepath.Join(root, "node_modules")}
	var checks []Check
	for _, dir := range v.misplaced(func(n string) bool { return n == "package.json" }) {
		checks = append(checks, Check{Runtime: rt, Package: dir, Status: CheckFailed,
			Detail: fmt.Sprintf("%s/ holds Node.js packages at /opt/%s, where %s does not look (NODE_PATH has /opt/nodejs/node%s/node_modules and /opt/nodejs/node_modules): it belongs under nodejs/node_modules/", dir, dir, rt, major)})
	}

	nl := newNodeLayer(root, dirs)
	targets := nodeTargets(nl, []string{filepath.Join(versioned, "package.json"), filepath.Join(root, "package.json")})
	if len(targets) == 0 {
		return checks, nil
	}

	version, err := v.tools.Ask(ctx, builder.Command{Tool: "node", What: "(asking its version)", Args: []string{"node", "--version"}})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, t := range targets {
			checks = append(checks, Check{Runtime: rt, Package: t.name, Status: CheckSkipped, Reason: ReasonNoRuntime, Detail: "no local node to require it with: " + firstLine(err.Error())})
		}
		return checks, nil
	}
	local := strings.TrimSpace(string(version))

	var names []string
	byName := map[string]nodeTarget{}
	for _, t := range targets {
		if t.badName {
			checks = append(checks, Check{Runtime: rt, Package: t.name, Status: CheckFailed,
				Detail: "the layer's package.json names it as a dependency, but it is not a package name (npm would refuse it): not required"})
			continue
		}
		if c, skip := v.nodeSkip(rt, nl, t); skip {
			checks = append(checks, c)
			continue
		}
		names = append(names, t.name)
		byName[t.name] = t
	}
	if len(names) > 0 {
		env := v.lambdaEnv("NODE_PATH=" + strings.Join(nl.dirs, string(os.PathListSeparator)))
		// The names come after --: a folder named --require=... in the
		// layer is a package to require, never an option of node.
		results, err := v.runImports(ctx, []string{"node", "-e", nodeRequireScript, "--"}, names, env)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			r := results[n]
			c := judge(rt, n, r, nodeProvided, func() string { return nodeVersionNote(nl, byName[n], r, local, major) })
			if r.OK && r.Via == "import" {
				c.Detail = "an ES module only: loaded with import(), as require cannot load it"
			}
			checks = append(checks, c)
		}
	}
	slices.SortStableFunc(checks, func(a, b Check) int { return strings.Compare(a.Package, b.Package) })
	return checks, nil
}

// nodeSkip says why a package is not required here, if it is not: not in
// the layer though optional, TypeScript types, a package for another
// platform, nothing to require, or native code (its own or a
// dependency's) that this machine cannot load.
func (v *verifier) nodeSkip(rt string, nl *nodeLayer, t nodeTarget) (Check, bool) {
	c := Check{Runtime: rt, Package: t.name, Status: CheckSkipped}
	skip := func(reason, format string, args ...any) (Check, bool) {
		c.Reason, c.Detail = reason, fmt.Sprintf(format, args...)
		return c, true
	}
	p := t.pkg
	if p == nil {
		if t.optional {
			return skip(ReasonNotInstalled, "an optional dependency in the layer's package.json that is not installed (npm leaves out those for other platforms)")
		}
		return c, false // required all the same: the failure says it is missing
	}
	if p.typesOnly() {
		return skip(ReasonTypesOnly, "TypeScript types only: nothing to require")
	}
	if osList, libc := p.list("os"), p.list("libc"); !platformAllows(osList, "linux") || !platformAllows(libc, "glibc") {
		return skip(ReasonOtherPlatform, "declared for %s, not Lambda's Linux (glibc): nothing on Lambda loads it", platformWords(osList, p.list("cpu"), libc))
	}
	main, subpaths := p.mainEntry()
	hostCPU := lambdafacts.NpmCPU(v.host)
	if cpu := p.list("cpu"); !platformAllows(cpu, hostCPU) {
		if !main {
			return skip(ReasonPlatformBinary, "no entry point to require: binaries for %s, which the package that depends on it loads by path", platformWords(p.list("os"), cpu, p.list("libc")))
		}
		return skip(ReasonOtherCPU, "declared for cpu %s: native code that this %s machine cannot load", strings.Join(cpu, ", "), v.host)
	}
	if !main {
		native := nativeFiles(p.dir)
		switch {
		case len(p.list("cpu")) > 0 || len(p.list("os")) > 0 || len(native) > 0 || hasPrefix(p.name, platformPrefixes):
			detail := "no entry point to require: platform binaries, which the package that depends on it loads by path"
			if why := v.nativeProblem(native); why != "" {
				detail += "; it " + why
			}
			return skip(ReasonPlatformBinary, "%s", detail)
		case len(subpaths) > 0:
			return skip(ReasonNoMainEntry, "no entry point to require by its name: it exports only subpaths (%s), which code requires as %s/...", strings.Join(subpaths, ", "), p.name)
		}
		return skip(ReasonNoMainEntry, "no entry point to require (no main or exports in package.json, no index.js): a package of files")
	}
	// Addons first: they are what require loads, the libraries they link
	// come with them.
	closure := nl.closure(p)
	for _, addons := range []bool{true, false} {
		for _, q := range closure {
			files := slices.DeleteFunc(nativeFiles(q.dir), func(f string) bool { return strings.HasSuffix(f, ".node") != addons })
			if why := v.nativeProblem(files); why != "" {
				if q != p {
					why = fmt.Sprintf("loads %s, which %s", q.name, why)
				}
				return skip(ReasonOtherCPU, "%s", why)
			}
		}
	}
	return c, false
}

func hasPrefix(s string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s, p) })
}

// platformWords describes a package.json's os, cpu and libc: "linux arm64 glibc".
func platformWords(osList, cpu, libc []string) string {
	var parts []string
	for _, l := range [][]string{osList, cpu, libc} {
		if len(l) > 0 {
			parts = append(parts, strings.Join(l, "/"))
		}
	}
	if len(parts) == 0 {
		return "no platform"
	}
	return strings.Join(parts, " ")
}

// versionErrors are the failures a newer or older Node.js explains: syntax
// it does not know, a built-in module it lacks, an addon built for
// another Node.js ABI.
var versionErrors = regexp.MustCompile(`NODE_MODULE_VERSION|ERR_UNKNOWN_BUILTIN_MODULE|No such built-in module`)

// nodeVersionNote says why a failure may be this machine's node rather
// than the layer: only when the package (or one it loads) declares an
// engines.node range the local node does not satisfy, or when the local
// node is another major version and the error is one a version explains.
// "" blames nothing: the failure stands.
func nodeVersionNote(nl *nodeLayer, t nodeTarget, r importResult, local, major string) string {
	if t.pkg != nil {
		for _, q := range nl.closure(t.pkg) {
			if rng := q.engine(); rng != "" {
				if ok, known := satisfies(local, rng); known && !ok {
					return fmt.Sprintf("%s declares engines.node %q, which this machine's node %s does not satisfy", q.name, rng, local)
				}
			}
		}
	}
	localMajor, _, _ := strings.Cut(strings.TrimPrefix(local, "v"), ".")
	if localMajor != major && (r.Kind == "SyntaxError" || versionErrors.MatchString(r.Error)) {
		return fmt.Sprintf("this machine's node is %s, not %s: a %s is what another version gives", local, major, errorKind(r))
	}
	return ""
}

func errorKind(r importResult) string {
	if r.Kind == "SyntaxError" {
		return "SyntaxError"
	}
	return "version-specific error"
}
