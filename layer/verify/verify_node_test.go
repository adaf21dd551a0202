package verify

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// otherArch is the Lambda architecture this machine is not, and its ELF
// machine: native code verify must judge without loading it.
func otherArch() (string, elf.Machine) {
	if hostArch() == "arm64" {
		return "x86_64", elf.EM_X86_64
	}
	return "arm64", elf.EM_AARCH64
}

// otherNodeRuntime is a Node.js runtime of another major version than the
// local node: verify must not blame that difference for what it is not.
func otherNodeRuntime(t *testing.T) string {
	if localRuntime(t, "node") == "nodejs22.x" {
		return "nodejs20.x"
	}
	return "nodejs22.x"
}

func reasons(r *Report) map[string]string {
	out := map[string]string{}
	for _, c := range r.Checks {
		if c.Status == CheckSkipped {
			out[c.Package] = c.Reason
		}
	}
	return out
}

// verifyTree builds l from files and verifies it.
func verifyTree(t *testing.T, l *manifest.Layer, files map[string]string) *Report {
	t.Helper()
	dir := t.TempDir()
	testenv.Tree(t, dir, files)
	return buildAndVerify(t, dir, l)
}

// buildAndVerify builds l from dir with the real build step and verifies
// its ZIP for l's runtimes and for archs (l's architectures when none).
func buildAndVerify(t *testing.T, dir string, l *manifest.Layer, archs ...string) *Report {
	t.Helper()
	a, err := steptest.BuildLayer(t, dir, t.TempDir(), l, false, testTools())
	if err != nil {
		t.Fatal(err)
	}
	if len(archs) == 0 {
		archs = l.Architectures
	}
	r, err := Verify(t.Context(), a.Path, Options{Runtimes: l.Runtimes, Architectures: archs, Tools: testTools()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// verify requires what a function would require: the packages no other
// package of the layer depends on (those are loaded through them). Types,
// packages that export only subpaths, platform packages and native code
// for another CPU are skipped, each with its reason, never failed; an ES
// module is loaded with import().
func TestVerifyNodeRequiresWhatFunctionsRequire(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "node")
	arch, machine := otherArch()
	addon := string(testenv.ELFHeader(machine))
	l := &manifest.Layer{Name: "js", Runtimes: []string{rt}, Architectures: []string{arch}, Files: []manifest.FileMap{{From: "nm", To: "nodejs/node_modules"}}}
	r := verifyTree(t, l, map[string]string{
		"nm/app/package.json":                          `{"name": "app", "main": "index.js", "dependencies": {"helper": "1"}}`,
		"nm/app/index.js":                              "module.exports = require('helper');\n",
		"nm/helper/package.json":                       `{"name": "helper", "exports": {".": "./main.js", "./extra": "./extra.js"}}`,
		"nm/helper/main.js":                            "module.exports = 42;\n",
		"nm/@types/node/package.json":                  `{"name": "@types/node", "types": "index.d.ts"}`,
		"nm/@types/node/index.d.ts":                    "export {};\n",
		"nm/typed/package.json":                        `{"name": "typed", "typings": "t.d.ts"}`,
		"nm/typed/t.d.ts":                              "export {};\n",
		"nm/@acme/clients/package.json":                `{"name": "@acme/clients", "main": "./cjs/index.js", "exports": {"./package.json": "./package.json", "./sts": "./cjs/sts.js"}}`,
		"nm/@acme/clients/cjs/sts.js":                  "module.exports = 'sts';\n",
		"nm/esm-only/package.json":                     `{"name": "esm-only", "type": "module", "exports": {".": {"import": "./index.js"}}}`,
		"nm/esm-only/index.js":                         "import { sep } from 'node:path';\nexport const s = sep;\n",
		"nm/imager/package.json":                       `{"name": "imager", "main": "lib.js", "optionalDependencies": {"@imager/linux-` + arch + `": "1"}}`,
		"nm/imager/lib.js":                             "module.exports = require('@imager/linux-" + arch + "/imager.node');\n",
		"nm/@imager/linux-" + arch + "/package.json":   `{"name": "@imager/linux-` + arch + `", "os": ["linux"], "exports": {"./imager.node": "./imager.node"}}`,
		"nm/@imager/linux-" + arch + "/imager.node":    addon,
		"nm/@img/sharp-libvips-linux-x64/package.json": `{"name": "@img/sharp-libvips-linux-x64", "exports": {"./lib": "./lib/index.js"}, "os": ["linux"], "cpu": ["x64"]}`,
		"nm/@img/sharp-libvips-linux-x64/lib/index.js": "module.exports = __dirname;\n",
		"nm/fsevents/package.json":                     `{"name": "fsevents", "main": "fsevents.js", "os": ["darwin"]}`,
		"nm/fsevents/fsevents.js":                      "throw new Error('darwin only');\n",
		"nm/throws/package.json":                       `{"name": "throws", "main": "index.js"}`,
		"nm/throws/index.js":                           "throw new Error('broken on purpose');\n",
	})
	want := map[string]string{
		"app": CheckOK, "esm-only": CheckOK, "throws": CheckFailed,
		"@types/node": CheckSkipped, "typed": CheckSkipped, "@acme/clients": CheckSkipped, "imager": CheckSkipped,
		"@img/sharp-libvips-linux-x64": CheckSkipped, "fsevents": CheckSkipped,
	}
	if hostArch() == "arm64" {
		want["@img/sharp-libvips-linux-x64"] = CheckSkipped // declared for x64: skipped either way
	}
	if d := cmp.Diff(want, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
	}
	wantReasons := map[string]string{
		"@types/node": ReasonTypesOnly, "typed": ReasonTypesOnly, "@acme/clients": ReasonNoMainEntry,
		"imager": ReasonOtherCPU, "fsevents": ReasonOtherPlatform,
		"@img/sharp-libvips-linux-x64": ReasonPlatformBinary,
	}
	if d := cmp.Diff(wantReasons, reasons(r)); d != "" {
		t.Errorf("reasons (-want +got):\n%s", d)
	}
	if d := detail(r, "imager"); !strings.Contains(d, "loads @imager/linux-"+arch+", which holds") || !strings.Contains(d, "nodejs/node_modules/@imager/linux-"+arch+"/imager.node") {
		t.Errorf("imager: %s", d)
	}
	if d := detail(r, "@acme/clients"); !strings.Contains(d, "exports only subpaths (./package.json, ./sts)") {
		t.Errorf("@acme/clients: %s", d)
	}
	if d := detail(r, "esm-only"); !strings.Contains(d, "loaded with import()") {
		t.Errorf("esm-only: %s", d)
	}
	if d := detail(r, "throws"); !strings.Contains(d, "broken on purpose") {
		t.Errorf("throws: %s", d)
	}
	if r.Verdict != VerdictFailed {
		t.Errorf("verdict %q", r.Verdict)
	}
	if got := r.Skipped(); got != "1 for another platform, 1 native code for another CPU, 1 no main entry, 1 platform binaries, 2 types only" {
		t.Errorf("skipped: %s", got)
	}
}

// A layer whose nodejs/package.json says what functions require: exactly
// those are required; one missing fails, an optional one missing (npm left
// it out for another platform) is skipped.
func TestVerifyNodeRequiresTheDeclaredDependencies(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "node")
	l := &manifest.Layer{Name: "js", Runtimes: []string{rt}, Architectures: []string{hostArch()}, Files: []manifest.FileMap{{From: "layer", To: "nodejs"}}}
	r := verifyTree(t, l, map[string]string{
		"layer/package.json":                    `{"name": "layer", "dependencies": {"a": "1", "gone": "1", "../../../../etc/hostname": "1"}, "optionalDependencies": {"maybe": "1"}, "devDependencies": {"dev": "1"}}`,
		"layer/node_modules/a/package.json":     `{"name": "a"}`,
		"layer/node_modules/a/index.js":         "module.exports = 1;\n",
		"layer/node_modules/extra/package.json": `{"name": "extra"}`,
		"layer/node_modules/extra/index.js":     "throw new Error('nobody requires me');\n",
	})
	want := map[string]string{"a": CheckOK, "gone": CheckFailed, "maybe": CheckSkipped, "../../../../etc/hostname": CheckFailed}
	if d := cmp.Diff(want, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
	}
	if d := detail(r, "gone"); !strings.Contains(d, "Cannot find module 'gone'") {
		t.Errorf("gone: %s", d)
	}
	if d := detail(r, "../../../../etc/hostname"); !strings.Contains(d, "not a package name") {
		t.Errorf("a path: %s", d)
	}
	if reasons(r)["maybe"] != ReasonNotInstalled {
		t.Errorf("maybe: %v", r.Checks)
	}
}

// With node of another major version than the runtime's, a failure is
// blamed on the version only when the version explains it: a package
// whose engines.node the local node does not satisfy, a syntax error. A
// missing module stays a failure.
func TestVerifyNodeBlamesTheVersionOnlyForWhatItExplains(t *testing.T) {
	t.Parallel()
	rt := otherNodeRuntime(t)
	l := &manifest.Layer{Name: "js", Runtimes: []string{rt}, Architectures: []string{hostArch()}, Files: []manifest.FileMap{{From: "nm", To: "nodejs/node_modules"}}}
	r := verifyTree(t, l, map[string]string{
		"nm/missing-dep/package.json": `{"name": "missing-dep", "engines": {"node": ">=18"}}`,
		"nm/missing-dep/index.js":     "require('not-in-the-layer');\n",
		"nm/future/package.json":      `{"name": "future", "engines": {"node": ">=99.1.0"}}`,
		"nm/future/index.js":          "throw new Error('needs node 99');\n",
		"nm/syntax/package.json":      `{"name": "syntax"}`,
		"nm/syntax/index.js":          "module.exports = @@@;\n",
	})
	want := map[string]string{"missing-dep": CheckFailed, "future": CheckWarning, "syntax": CheckWarning}
	if d := cmp.Diff(want, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
	}
	if d := detail(r, "future"); !strings.Contains(d, `future declares engines.node ">=99.1.0", which this machine's node v`) {
		t.Errorf("future: %s", d)
	}
	if d := detail(r, "missing-dep"); strings.Contains(d, "node is") {
		t.Errorf("missing-dep blames the node version: %s", d)
	}
}

// A layer with nothing to load proves nothing: its verdict says so.
func TestVerifyNothingVerified(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "node")
	arch, machine := otherArch()
	for name, entries := range map[string][]testenv.ZipEntry{
		"no packages": {{Name: "bin/tool", Body: "#!/bin/sh\n"}, {Name: "nodejs/node_modules/.keep"}},
		"only native code for another CPU": {
			{Name: "nodejs/node_modules/addon/package.json", Body: `{"name": "addon", "main": "a.node"}`},
			{Name: "nodejs/node_modules/addon/a.node", Body: string(testenv.ELFHeader(machine))},
		},
	} {
		t.Run(name, func(t *testing.T) {
			zipPath := filepath.Join(t.TempDir(), "layer.zip")
			if err := os.WriteFile(zipPath, testenv.ZipBytes(t, entries), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Verify(t.Context(), zipPath, Options{Runtimes: []string{rt}, Architectures: []string{arch}, Tools: testTools()})
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != VerdictNothing || !r.NothingVerified() || r.Failed() {
				t.Errorf("verdict %q, nothing verified %v, failed %v: %v %v", r.Verdict, r.NothingVerified(), r.Failed(), r.Checks, r.Findings)
			}
		})
	}
}

// copyFixture copies testdata/NAME (package.json, package-lock.json) into
// a new folder's fn/.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json"} {
		data, err := readTestdata(name, f)
		if err != nil {
			t.Fatal(err)
		}
		testenv.Tree(t, dir, map[string]string{"fn/" + f: data})
	}
	return dir
}

// The AWS SDK for JavaScript v3 as npm installs it, from the registry:
// @aws-sdk/client-s3 for x86_64, and with sharp for arm64. Every package
// a function would require loads (or, sharp's native code being for
// another CPU, is skipped as such), with node of another major version than
// the runtime's too: @aws-sdk/nested-clients (subpaths only) and sharp's
// platform packages are not required by name.
func TestVerifyAWSSDKLayers(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "npm", "node")
	rt := otherNodeRuntime(t)
	for _, tc := range []struct {
		fixture, arch string
		want          map[string]string
	}{
		{"aws-sdk-s3", "x86_64", map[string]string{"@aws-sdk/client-s3": CheckOK}},
		{"aws-sdk-s3-sharp", "arm64", map[string]string{"@aws-sdk/client-s3": CheckOK, "sharp": CheckOK}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			dir := copyFixture(t, tc.fixture)
			l := &manifest.Layer{Name: tc.fixture, Runtimes: []string{rt}, Architectures: []string{tc.arch}, Node: &manifest.Node{Package: "fn"}}
			a := steptest.MustBuild(t, dir, l, build.Options{Tools: testTools()})
			r, err := Verify(t.Context(), a.Path, Options{Runtimes: l.Runtimes, Architectures: l.Architectures, Tools: testTools()})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if _, ok := want["sharp"]; ok && hostArch() != tc.arch {
				want["sharp"] = CheckSkipped
			}
			if d := cmp.Diff(want, checkStatuses(r)); d != "" {
				t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
			}
			if r.Verdict != VerdictPassed {
				t.Errorf("verdict %q: %v %v", r.Verdict, r.Checks, r.Findings)
			}
			if want["sharp"] == CheckSkipped {
				if d := detail(r, "sharp"); reasons(r)["sharp"] != ReasonOtherCPU || !strings.Contains(d, "sharp-linux-arm64.node") || !strings.Contains(d, "that this "+hostArch()+" machine cannot load") {
					t.Errorf("sharp: %s %s", reasons(r)["sharp"], d)
				}
			}
		})
	}
}

func readTestdata(parts ...string) (string, error) {
	out, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	return string(out), err
}

// Links in node_modules that lead back up (a loop) are followed once: the
// walk for what depends on what ends, and soon.
func TestVerifyNodeLinkLoops(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "node")
	var entries []testenv.ZipEntry
	for _, p := range []string{"a", "b", "c"} {
		entries = append(entries,
			testenv.ZipEntry{Name: "nodejs/node_modules/" + p + "/package.json", Body: `{"name": "` + p + `"}`},
			testenv.ZipEntry{Name: "nodejs/node_modules/" + p + "/index.js", Body: "module.exports = 1;\n"},
			testenv.ZipEntry{Name: "nodejs/node_modules/" + p + "/node_modules/up", Body: "../..", Mode: os.ModeSymlink | 0o777},
			testenv.ZipEntry{Name: "nodejs/node_modules/" + p + "/node_modules/self", Body: "..", Mode: os.ModeSymlink | 0o777},
			testenv.ZipEntry{Name: "nodejs/node_modules/" + p + "/node_modules/again", Body: "..", Mode: os.ModeSymlink | 0o777})
	}
	zipPath := filepath.Join(t.TempDir(), "loops.zip")
	if err := os.WriteFile(zipPath, testenv.ZipBytes(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := Verify(t.Context(), zipPath, Options{Runtimes: []string{rt}, Architectures: []string{hostArch()}, Tools: testTools()})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	if d := cmp.Diff(map[string]string{"a": CheckOK, "b": CheckOK, "c": CheckOK}, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v %v", d, r.Checks, r.Findings)
	}
}

// A layer only for runtimes whose code verify does not load (provided.*,
// Java, Ruby, .NET) is judged by its layout and ELF checks: passing them,
// it passes, rather than being "nothing verified" for want of a loader.
func TestVerifyLayerForOtherRuntimesPassesOnItsChecks(t *testing.T) {
	t.Parallel()
	zipPath := filepath.Join(t.TempDir(), "layer.zip")
	entries := []testenv.ZipEntry{{Name: "bootstrap", Body: "#!/bin/sh\n", Mode: 0o755}}
	if err := os.WriteFile(zipPath, testenv.ZipBytes(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Verify(t.Context(), zipPath, Options{Runtimes: []string{"provided.al2023"}, Architectures: []string{"x86_64"}, Tools: testTools()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != VerdictPassed || r.NothingVerified() {
		t.Errorf("verdict %q, nothing verified %v: %v %v", r.Verdict, r.NothingVerified(), r.Checks, r.Findings)
	}
	// With a Python runtime beside it, there was code to load: nothing
	// loaded is nothing verified.
	r, err = Verify(t.Context(), zipPath, Options{Runtimes: []string{"provided.al2023", "python3.12"}, Architectures: []string{"x86_64"}, Tools: testTools()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != VerdictNothing {
		t.Errorf("with python3.12 too: verdict %q, want %q", r.Verdict, VerdictNothing)
	}
}
