package verify

import (
	"archive/zip"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// localRuntime is the Lambda runtime matching a local interpreter, so that
// verify imports for real: "python3.11" for python3, "nodejs20.x" for node.
func localRuntime(t *testing.T, tool string) string {
	t.Helper()
	testenv.NeedTools(t, tool)
	switch tool {
	case "python3":
		out, err := exec.Command("python3", "-c", "import sys; print('python%d.%d' % sys.version_info[:2])").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	case "node":
		out, err := exec.Command("node", "-p", "'nodejs' + process.versions.node.split('.')[0] + '.x'").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	t.Fatalf("no runtime for %s", tool)
	return ""
}

// checkStatuses maps each check's package to its status.
func checkStatuses(r *Report) map[string]string {
	out := map[string]string{}
	for _, c := range r.Checks {
		out[c.Package] = c.Status
	}
	return out
}

func detail(r *Report, pkg string) string {
	for _, c := range r.Checks {
		if c.Package == pkg {
			return c.Detail
		}
	}
	return ""
}

func TestVerifyImportsPythonPackages(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "python3")
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"py/goodpkg/__init__.py":            "from . import helper\nVALUE = helper.twice(21)\n",
		"py/goodpkg/helper.py":              "def twice(x):\n    return 2 * x\n",
		"py/single.py":                      "import json\n",
		"py/needs_boto/__init__.py":         "import boto3\n",
		"py/armpkg/__init__.py":             "from . import _speed\n",
		"py/armpkg/_speed.so":               string(testenv.ELFHeader(elf.EM_AARCH64)),
		"py/goodpkg-1.0.dist-info/METADATA": "Name: goodpkg\n",
		"bin/tool*":                         "#!/bin/sh\n",
	})
	l := &manifest.Layer{Name: "ok", Runtimes: []string{rt}, Architectures: []string{"x86_64", "arm64"},
		Files: []manifest.FileMap{{From: "py", To: "python"}, {From: "bin", To: "bin"}}}
	r := buildAndVerify(t, dir, l)
	want := map[string]string{"goodpkg": CheckOK, "single": CheckOK, "needs_boto": CheckSkipped, "armpkg": CheckSkipped}
	if hostArch() == "arm64" {
		want["armpkg"] = CheckFailed // a fake .so: this machine tries it, and it is no real library
	}
	if d := cmp.Diff(want, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
	}
	if r.Failed() != (hostArch() == "arm64") {
		t.Errorf("failed = %v: %v %v", r.Failed(), r.Checks, r.Findings)
	}
	if d := detail(r, "armpkg"); hostArch() == "x86_64" && !strings.Contains(d, "holds arm64 (aarch64) native code (python/armpkg/_speed.so) that this x86_64 machine cannot load") {
		t.Errorf("armpkg: %s", d)
	}
	if d := detail(r, "needs_boto"); !strings.Contains(d, "needs boto3, which the "+rt+" runtime provides") {
		t.Errorf("needs_boto: %s", d)
	}
}

func TestVerifyFailsWhatWouldFailOnLambda(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "python3")
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"py/broken/__init__.py":      "import missing_dependency\n",
		"py/crashes/__init__.py":     "import os\nos._exit(3)\n",
		"py/fine/__init__.py":        "",
		"py/needs_local/__init__.py": "import yaml_or_anything_installed_on_this_machine_only\n",
	})
	l := &manifest.Layer{Name: "bad", Runtimes: []string{rt}, Files: []manifest.FileMap{{From: "py", To: "python"}}}
	r := buildAndVerify(t, dir, l, "x86_64")
	want := map[string]string{"broken": CheckFailed, "crashes": CheckFailed, "fine": CheckOK, "needs_local": CheckFailed}
	if d := cmp.Diff(want, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
	}
	if d := detail(r, "broken"); !strings.Contains(d, "ModuleNotFoundError: No module named 'missing_dependency'") {
		t.Errorf("broken: %s", d)
	}
	if d := detail(r, "crashes"); !strings.Contains(d, "the runtime crashed (exit status 3)") {
		t.Errorf("crashes: %s", d)
	}
	if !r.Failed() {
		t.Error("not failed")
	}
}

// A ZIP someone else made, with the package at the top instead of in
// python/: verify says where it belongs.
func TestVerifyPackageOutsidePython(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "python3")
	zipPath := filepath.Join(t.TempDir(), "other.zip")
	f, _ := os.Create(zipPath)
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{"mypkg/__init__.py": "", "mypkg/core.py": "X = 1\n"} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	f.Close()
	r, err := Verify(t.Context(), zipPath, Options{Runtimes: []string{rt}, Tools: testTools()})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Failed() || checkStatuses(r)["mypkg"] != CheckFailed {
		t.Fatalf("verify passed a layer whose package Python cannot see: %v", r.Checks)
	}
	if d := detail(r, "mypkg"); !strings.Contains(d, "mypkg/ holds Python code at /opt/mypkg, where "+rt+" does not look") || !strings.Contains(d, "it belongs at python/mypkg/") {
		t.Errorf("mypkg: %s", d)
	}
}

func TestVerifyRequiresNodePackages(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "node")
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"nm/greet/package.json":                `{"name": "greet", "main": "lib/greet.js"}`,
		"nm/greet/lib/greet.js":                "module.exports = () => 'hi';\n",
		"nm/@acme/util/package.json":           `{"name": "@acme/util"}`,
		"nm/@acme/util/index.js":               "module.exports = require('greet');\n",
		"nm/broken/package.json":               `{"name": "broken"}`,
		"nm/broken/index.js":                   "require('left-pad-that-is-not-there');\n",
		"nm/uses-sdk/package.json":             `{"name": "uses-sdk"}`,
		"nm/uses-sdk/index.js":                 "require('@aws-sdk/client-s3');\n",
		"nm/@esbuild/linux-arm64/package.json": `{"name": "@esbuild/linux-arm64"}`,
		"nm/@esbuild/linux-arm64/bin/esbuild*": string(testenv.ELFHeader(elf.EM_AARCH64)),
	})
	l := &manifest.Layer{Name: "js", Runtimes: []string{rt}, Architectures: []string{"arm64"}, Files: []manifest.FileMap{{From: "nm", To: "nodejs/node_modules"}}}
	r := buildAndVerify(t, dir, l)
	want := map[string]string{"greet": CheckOK, "@acme/util": CheckOK, "broken": CheckFailed, "uses-sdk": CheckSkipped, "@esbuild/linux-arm64": CheckSkipped}
	if d := cmp.Diff(want, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
	}
	if d := detail(r, "broken"); !strings.Contains(d, "Cannot find module 'left-pad-that-is-not-there'") {
		t.Errorf("broken: %s", d)
	}
	if d := detail(r, "@esbuild/linux-arm64"); !strings.Contains(d, "no entry point to require") {
		t.Errorf("esbuild: %s", d)
	}
}

// Package names come from the ZIP: one that looks like an option of node
// is still a package to require.
func TestVerifyNodeNamesAreNeverOptions(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "node")
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"nm/--version/package.json": `{"name": "--version", "main": "index.js"}`,
		"nm/--version/index.js":     "module.exports = 1;\n",
		"nm/-p/package.json":        `{"name": "-p", "main": "index.js"}`,
		"nm/-p/index.js":            "module.exports = 2;\n",
	})
	l := &manifest.Layer{Name: "js", Runtimes: []string{rt}, Files: []manifest.FileMap{{From: "nm", To: "nodejs/node_modules"}}}
	r := buildAndVerify(t, dir, l, "x86_64")
	if d := cmp.Diff(map[string]string{"--version": CheckOK, "-p": CheckOK}, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
	}
}

// testTools is one Tools for the whole test binary, so that python3 and
// node are asked about themselves once.
var testTools = sync.OnceValue(func() *builder.Tools { return &builder.Tools{} })

// What the layer's code prints is not a result: a module that prints a
// passing result for another one, as the last thing the runtime does,
// does not make it pass. One that leaves a process holding the runtime's
// output open does not hold verify for longer than a few seconds.
func TestVerifyResultsComeOnlyFromTheScript(t *testing.T) {
	t.Parallel()
	rt := localRuntime(t, "python3")
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"py/a_spoof/__init__.py": "import atexit, json, sys\n" +
			"atexit.register(lambda: print(json.dumps({'name': 'broken', 'ok': True}), flush=True))\n" +
			"sys.stdout.write('x' * (1 << 20) + '\\n')\n",
		"py/broken/__init__.py":  "import missing_dependency\n",
		"py/lingers/__init__.py": "import subprocess\nsubprocess.Popen(['sleep', '120'])\n",
	})
	l := &manifest.Layer{Name: "spoof", Runtimes: []string{rt}, Files: []manifest.FileMap{{From: "py", To: "python"}}}
	a, err := steptest.BuildLayer(t, dir, t.TempDir(), l, false, testTools())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := Verify(t.Context(), a.Path, Options{Runtimes: l.Runtimes, Architectures: []string{"x86_64"}, Tools: testTools()})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("verify took %s: a process the layer started held it", took)
	}
	want := map[string]string{"a_spoof": CheckOK, "broken": CheckFailed, "lingers": CheckOK}
	if d := cmp.Diff(want, checkStatuses(r)); d != "" {
		t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
	}
}
