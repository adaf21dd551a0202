package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// nodeRequireScript requires each package named on its command line, as a
// handler in /var/task would (through NODE_PATH), and writes one JSON line
// to file descriptor 3 before and one after each, so that what the
// packages print cannot pass for a result.
const nodeRequireScript = `
const fs = require("fs");
const say = (o) => fs.writeSync(3, JSON.stringify(o) + "\n");
for (const name of process.argv.slice(1)) {
  say({start: name});
  try {
    require(name);
    say({name, ok: true});
  } catch (e) {
    const msg = String((e && e.message) || e).split("\n")[0];
    const m = /^Cannot find module '([^']+)'/.exec(msg);
    say({name, ok: false, error: ((e && e.code) ? e.code + ": " : "") + msg, missing: m && m[1] !== name ? m[1] : ""});
  }
}
process.exit(0);
`

// nodeProvided says whether Lambda's Node.js runtimes ship the package
// (the AWS SDK for JavaScript v3), so a layer may rely on it.
func nodeProvided(name string) bool {
	return strings.HasPrefix(name, "@aws-sdk/") || strings.HasPrefix(name, "@smithy/") || strings.HasPrefix(name, "@aws-crypto/")
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

// hasEntryPoint says whether require() can load the package at dir: a
// main or exports in package.json, or an index file.
func hasEntryPoint(dir string) bool {
	var pkg struct {
		Main    string          `json:"main"`
		Exports json.RawMessage `json:"exports"`
	}
	if data, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil && json.Unmarshal(data, &pkg) == nil {
		if pkg.Main != "" || len(pkg.Exports) > 0 {
			return true
		}
	}
	for _, idx := range []string{"index.js", "index.json", "index.node", "index.cjs"} {
		if _, err := os.Stat(filepath.Join(dir, idx)); err == nil {
			return true
		}
	}
	return false
}

// nativeFiles lists the ELF files under dir (.node addons, binaries).
func nativeFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		head := make([]byte, 20)
		n, _ := f.Read(head)
		f.Close()
		if _, ok := lambdafacts.ELFMachine(head[:n]); ok {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func (v *verifier) node(ctx context.Context, rt string) ([]Check, error) {
	major := lambdafacts.NodeMajor(rt)
	dirs := []string{
		filepath.Join(v.opt, "nodejs", "node"+major, "node_modules"),
		filepath.Join(v.opt, "nodejs", "node_modules"),
	}
	var checks []Check
	for _, dir := range v.misplaced(func(n string) bool { return n == "package.json" }) {
		checks = append(checks, Check{Runtime: rt, Package: dir, Status: CheckFailed,
			Detail: fmt.Sprintf("%s/ holds Node.js packages at /opt/%s, where %s does not look (NODE_PATH has /opt/nodejs/node%s/node_modules and /opt/nodejs/node_modules): it belongs under nodejs/node_modules/", dir, dir, rt, major)})
	}

	type pkg struct{ name, dir string }
	var pkgs []pkg
	for _, d := range dirs {
		for _, n := range nodePackages(d) {
			if !slices.ContainsFunc(pkgs, func(p pkg) bool { return p.name == n }) {
				pkgs = append(pkgs, pkg{n, filepath.Join(d, filepath.FromSlash(n))})
			}
		}
	}
	if len(pkgs) == 0 {
		return checks, nil
	}

	version, err := v.tools.Ask(ctx, builder.Command{Tool: "node", What: "(asking its version)", Args: []string{"node", "--version"}})
	if err != nil {
		for _, p := range pkgs {
			checks = append(checks, Check{Runtime: rt, Package: p.name, Status: CheckSkipped, Detail: "no local node to require it with: " + firstLine(err.Error())})
		}
		return checks, nil
	}
	localMajor, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(version)), "v"), ".")
	mismatch := ""
	if localMajor != major {
		mismatch = fmt.Sprintf("this machine's node is %s, not %s", strings.TrimSpace(string(version)), major)
	}

	var names []string
	for _, p := range pkgs {
		native := nativeFiles(p.dir)
		if !hasEntryPoint(p.dir) {
			detail := "no entry point to require (no main or exports in package.json, no index.js): a package of files or binaries"
			if why := v.nativeProblem(native); why != "" {
				detail += "; it " + why
			}
			checks = append(checks, Check{Runtime: rt, Package: p.name, Status: CheckSkipped, Detail: detail})
			continue
		}
		if why := v.nativeProblem(native); why != "" && slices.ContainsFunc(native, func(f string) bool { return strings.HasSuffix(f, ".node") }) {
			checks = append(checks, Check{Runtime: rt, Package: p.name, Status: CheckSkipped, Detail: why})
			continue
		}
		names = append(names, p.name)
	}
	if len(names) > 0 {
		var existing []string
		for _, d := range dirs {
			if _, err := os.Stat(d); err == nil {
				existing = append(existing, d)
			}
		}
		env := v.lambdaEnv("NODE_PATH=" + strings.Join(existing, string(os.PathListSeparator)))
		// The names come after --: a folder named --require=... in the
		// layer is a package to require, never an option of node.
		results, err := v.runImports(ctx, []string{"node", "-e", nodeRequireScript, "--"}, names, env)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			checks = append(checks, judge(rt, n, results[n], nodeProvided, mismatch))
		}
	}
	slices.SortStableFunc(checks, func(a, b Check) int { return strings.Compare(a.Package, b.Package) })
	return checks, nil
}
