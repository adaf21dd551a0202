package build

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// copyTree copies the regular files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// esbuild ships its binary in one optional package per platform
// (@esbuild/linux-arm64, @esbuild/linux-x64, ...): npm --cpu picks the
// target's, whatever this machine is. Needs the npm registry.
func TestNpmInstallsTheTargetsNativePackages(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "npm", "node")
	var zips [][]byte
	for i := range 2 {
		dir := t.TempDir()
		copyTree(t, "testdata/esbuild", filepath.Join(dir, "fn"))
		l := &manifest.Layer{Name: "esbuild", Runtimes: []string{"nodejs22.x"}, Architectures: []string{"arm64"}, Node: &manifest.Node{Package: "fn"}}
		a, err := buildLayer(t, dir, filepath.Join(dir, "dist"), l, i == 1)
		if err != nil {
			t.Fatal(err)
		}
		got := testenv.Machines(t, a.Path)
		const bin = "nodejs/node_modules/@esbuild/linux-arm64/bin/esbuild"
		if got[bin] != elf.EM_AARCH64 || len(got) != 1 {
			t.Errorf("native code in the arm64 layer: %v, want only %s for aarch64", got, bin)
		}
		_, _, names := testenv.ReadZip(t, a.Path)
		for _, n := range names {
			if strings.Contains(n, "linux-x64") || strings.HasSuffix(n, ".package-lock.json") || strings.HasPrefix(n, "nodejs/package") {
				t.Errorf("%s should not be in the layer", n)
			}
		}
		if !slices.Contains(names, "nodejs/node_modules/esbuild/lib/main.js") {
			t.Errorf("esbuild itself is missing: %v", names)
		}
		if _, err := os.Stat(filepath.Join(dir, "fn", "node_modules")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("npm ci ran in the user's folder: node_modules is there (%v)", err)
		}
		b, _ := os.ReadFile(a.Path)
		zips = append(zips, b)
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Error("two npm ci of the same lock file gave different ZIPs")
	}
}

func TestNpmFailureShowsNpmsError(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "npm", "node")
	dir := t.TempDir()
	const pkg = "layerctl-test-no-such-package-7f3a9c"
	testenv.Tree(t, dir, map[string]string{
		"fn/package.json": `{"name": "fn", "version": "1.0.0", "dependencies": {"` + pkg + `": "1.0.0"}}`,
		"fn/package-lock.json": `{"name": "fn", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {
  "": {"name": "fn", "version": "1.0.0", "dependencies": {"` + pkg + `": "1.0.0"}},
  "node_modules/` + pkg + `": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/` + pkg + `/-/` + pkg + `-1.0.0.tgz",
    "integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}}}`,
	})
	out := t.TempDir()
	l := &manifest.Layer{Name: "fn", Runtimes: []string{"nodejs22.x"}, Node: &manifest.Node{Package: "fn"}}
	_, err := buildLayer(t, dir, out, l, false)
	var te *builder.ToolError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want a *ToolError", err)
	}
	for _, want := range []string{`layer "fn": npm ci failed`, "npm ci --omit=dev --os=linux --cpu=x64 --libc=glibc", "npm error", "404"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if z, c := testenv.ZipsIn(t, out), cacheEntries(t, out); len(z)+len(c) != 0 {
		t.Errorf("a failed build left %v %v", z, c)
	}
}

// The lock file decides what npm installs: a changed one rebuilds.
func TestNodeInputsDecideTheCache(t *testing.T) {
	testenv.NeedTools(t, "npm", "node")
	dir, out := t.TempDir(), t.TempDir()
	lock := `{"name": "fn", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "fn", "version": "1.0.0"}}}`
	testenv.Tree(t, dir, map[string]string{"fn/package.json": `{"name": "fn", "version": "1.0.0"}`, "fn/package-lock.json": lock, "fn/nm-keep/index.js": ""})
	aged(t, dir)
	l := &manifest.Layer{Name: "fn", Runtimes: []string{"nodejs22.x"}, Node: &manifest.Node{Package: "fn"},
		Files: []manifest.FileMap{{From: "fn/nm-keep", To: "nodejs/node_modules/keep"}}}
	build := func() *layer.Artifact {
		t.Helper()
		a, err := buildLayer(t, dir, out, l, false)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	build()
	if a := build(); !a.Cached {
		t.Fatal("unchanged: rebuilt")
	}
	testenv.Tree(t, dir, map[string]string{"fn/package-lock.json": lock + "\n"})
	if a := build(); a.Cached {
		t.Error("package-lock.json changed: cached")
	}
	testenv.Tree(t, dir, map[string]string{"fn/.npmrc": "registry=https://registry.npmjs.org/\n"})
	if a := build(); a.Cached {
		t.Error(".npmrc appeared: cached")
	}
}
