package build

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// pyLayerFrom is a layer installing requirements.txt from the local
// wheelhouse only (PyPI is not reachable from the tests).
func pyLayerFrom(name string, runtimes []string, archs ...string) *manifest.Layer {
	return &manifest.Layer{
		Name:          name,
		Runtimes:      runtimes,
		Architectures: archs,
		Python:        &manifest.Python{Requirements: "requirements.txt", Installer: "pip", FindLinks: []string{"wheels"}, NoIndex: true},
	}
}

func TestPipInstallsWheelsForTheTargetArchitecture(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "python3")
	dir := t.TempDir()
	testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), map[string][]string{"cp312": {"x86_64", "arm64"}})
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0\nnatpkg==1.0\n"})

	for _, tc := range []struct {
		arch    string
		so      string
		machine elf.Machine
	}{
		{"arm64", "python/natpkg/_native.cpython-312-aarch64-linux-gnu.so", elf.EM_AARCH64},
		{"x86_64", "python/natpkg/_native.cpython-312-x86_64-linux-gnu.so", elf.EM_X86_64},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			a, err := buildLayer(t, dir, t.TempDir(), pyLayerFrom("deps", []string{"python3.12"}, tc.arch), false)
			if err != nil {
				t.Fatal(err)
			}
			got := testenv.Machines(t, a.Path)
			if d := cmp.Diff(map[string]elf.Machine{tc.so: tc.machine}, got); d != "" {
				t.Errorf("native code in the %s layer (-want +got):\n%s", tc.arch, d)
			}
			_, data, names := testenv.ReadZip(t, a.Path)
			for _, n := range names {
				switch {
				case strings.HasPrefix(n, "python/bin/"):
					t.Errorf("%s: console scripts (#! of the build machine) must not ship", n)
				case strings.Contains(n, "__pycache__"), strings.HasSuffix(n, ".pyc"), strings.HasSuffix(n, "direct_url.json"):
					t.Errorf("%s: varies between machines and must not ship", n)
				}
			}
			if !slices.Contains(names, "python/purepkg/__init__.py") {
				t.Errorf("purepkg missing: %v", names)
			}
			if rec := data["python/purepkg-1.0.dist-info/RECORD"]; strings.Contains(rec, "bin/puretool") || !strings.Contains(rec, "purepkg/__init__.py") {
				t.Errorf("RECORD not tidied:\n%s", rec)
			}
		})
	}
}

func TestPipBuildsAreReproducible(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "python3")
	// Two copies of the project in different places: pip's work folders
	// and the absolute paths differ, the ZIP must not.
	var zips [][]byte
	for range 2 {
		dir := t.TempDir()
		testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), map[string][]string{"cp312": {"arm64"}})
		testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0\nnatpkg==1.0\n"})
		a, err := buildLayer(t, dir, filepath.Join(dir, "dist"), pyLayerFrom("deps", []string{"python3.12"}, "arm64"), true)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		zips = append(zips, b)
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Fatal("the same requirements and wheels gave different ZIPs")
	}
}

func TestPipVerifiesHashes(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "python3")
	dir := t.TempDir()
	good := testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), nil)
	bad := strings.Repeat("0", 64)
	testenv.Tree(t, dir, map[string]string{
		"good.txt": "purepkg==1.0 --hash=sha256:" + good + "\n",
		"bad.txt":  "purepkg==1.0 --hash=sha256:" + bad + "\n",
	})
	pinned := func(req string) *manifest.Layer {
		l := pyLayerFrom("pinned", []string{"python3.12"})
		l.Python.Requirements = req
		return l
	}
	if _, err := buildLayer(t, dir, t.TempDir(), pinned("good.txt"), false); err != nil {
		t.Fatalf("the right hash: %v", err)
	}

	out := t.TempDir()
	_, err := buildLayer(t, dir, out, pinned("bad.txt"), false)
	var te *builder.ToolError
	if !errors.As(err, &te) {
		t.Fatalf("a wrong hash: got %v, want a *ToolError", err)
	}
	for _, want := range []string{
		`layer "pinned": pip install failed installing bad.txt for python3.12 on x86_64`,
		"command: cd " + dir + " && ", " -m pip install --target ", " -r " + filepath.Join(dir, "bad.txt"),
		"THESE PACKAGES DO NOT MATCH THE HASHES",
		"Expected sha256 " + bad,
		"Got        " + good,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if z := testenv.ZipsIn(t, out); len(z) != 0 {
		t.Errorf("a failed build left %v", z)
	}
	if c := cacheEntries(t, out); len(c) != 0 {
		t.Errorf("a failed build was cached: %v", c)
	}
}

func TestPipFailuresShowPipsError(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "python3")
	dir := t.TempDir()
	testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), map[string][]string{"cp312": {"x86_64"}})
	marker := filepath.Join(dir, "backend-ran")
	testenv.WriteSdist(t, filepath.Join(dir, "wheels"), "onlysrc", "1.0", marker)
	tests := []struct {
		name, requirements, arch string
		want                     []string
	}{
		{"only a source distribution", "onlysrc==1.0\n", "x86_64", []string{
			"ERROR: No matching distribution found for onlysrc==1.0",
			"hint: no wheel of onlysrc==1.0 fits python3.12 on x86_64", "allow_source_builds: true"}},
		{"unknown package", "nosuchpkg==1.0\n", "x86_64", []string{"ERROR: No matching distribution found for nosuchpkg==1.0"}},
		{"no wheel for the platform", "natpkg==1.0\n", "arm64", []string{
			"for python3.12 on arm64", "--platform manylinux2014_aarch64",
			"ERROR: No matching distribution found for natpkg==1.0",
			"hint: no wheel of natpkg==1.0 fits python3.12 on arm64 (a py3-none-any wheel, or a cp312 one tagged manylinux_2_34_aarch64 or an older manylinux)",
			"pip does not build a package published only as source (an sdist)",
			"or set python: {allow_source_builds: true} on layer deps to let pip build it"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testenv.Tree(t, dir, map[string]string{"requirements.txt": tc.requirements})
			out := t.TempDir()
			_, err := buildLayer(t, dir, out, pyLayerFrom("deps", []string{"python3.12"}, tc.arch), false)
			if err == nil {
				t.Fatal("built")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
			if z, c := testenv.ZipsIn(t, out), cacheEntries(t, out); len(z)+len(c) != 0 {
				t.Errorf("a failed build left %v %v", z, c)
			}
		})
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("pip ran the build backend of a source distribution")
	}
}

func TestPythonRuntimesThatNeedDifferentWheels(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "python3")
	dir := t.TempDir()
	testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), map[string][]string{"cp311": {"x86_64"}, "cp312": {"x86_64"}})
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0\nnatpkg==1.0\n", "pure.txt": "purepkg==1.0\n"})

	// One python/ for both would ship a cp312 extension to python3.11: refused, saying which and why.
	_, err := buildLayer(t, dir, t.TempDir(), pyLayerFrom("deps", []string{"python3.11", "python3.12"}), false)
	if err == nil {
		t.Fatal("built one python/ folder for wheels of two CPython versions")
	}
	for _, want := range []string{
		"natpkg 1.0: python3.11 gets cp311-cp311-manylinux2014_x86_64, python3.12 gets cp312-cp312-manylinux2014_x86_64",
		"compiled for that CPython version only",
		"per_version: true",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}

	// per_version: each runtime gets its own site-packages.
	l := pyLayerFrom("deps", []string{"python3.11", "python3.12"})
	l.Python.PerVersion = true
	a, err := buildLayer(t, dir, t.TempDir(), l, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]elf.Machine{
		"python/lib/python3.11/site-packages/natpkg/_native.cpython-311-x86_64-linux-gnu.so": elf.EM_X86_64,
		"python/lib/python3.12/site-packages/natpkg/_native.cpython-312-x86_64-linux-gnu.so": elf.EM_X86_64,
	}
	if d := cmp.Diff(want, testenv.Machines(t, a.Path)); d != "" {
		t.Errorf("per-version layer (-want +got):\n%s", d)
	}

	// Pure wheels are the same for every runtime and architecture: one ZIP for all.
	l = pyLayerFrom("pure", []string{"python3.11", "python3.12"}, "x86_64", "arm64")
	l.Python.Requirements = "pure.txt"
	a, err = buildLayer(t, dir, t.TempDir(), l, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"x86_64", "arm64"}, a.Architectures); d != "" {
		t.Errorf("architectures (-want +got):\n%s", d)
	}
}

// uv is not installed on the machines the tests run on, so its command
// line is checked as text: the same targets and indexes as pip's.
// What pip installs is decided by the requirements and by the wheels it
// can find: a change to either rebuilds.
func TestPythonInputsDecideTheCache(t *testing.T) {
	testenv.NeedTools(t, "python3")
	dir, out := t.TempDir(), t.TempDir()
	testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), nil)
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0\n"})
	aged(t, dir)
	build := func() *layer.Artifact {
		t.Helper()
		a, err := buildLayer(t, dir, out, pyLayerFrom("deps", []string{"python3.12"}), false)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := build()
	if again := build(); !again.Cached {
		t.Fatal("unchanged: not cached")
	}
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0  # pinned\n"})
	if a := build(); a.Cached {
		t.Error("requirements.txt changed: cached")
	}
	// Same name, same version, other content: a rebuilt wheel in the wheelhouse.
	testenv.WriteWheel(t, filepath.Join(dir, "wheels"), "purepkg", "1.0", "py3-none-any", map[string][]byte{"purepkg/__init__.py": []byte("V = 2\n")})
	a := build()
	if a.Cached || a.SHA256 == first.SHA256 {
		t.Errorf("a wheel in find_links changed: cached %v, same ZIP %v", a.Cached, a.SHA256 == first.SHA256)
	}
}

// pip and python3 run in the manifest's folder (relative paths in a
// requirements file are relative to it), but never import from it: a
// json.py or a pip/ package there would otherwise run in place of the
// real ones, before any requirement is read.
func TestPythonNeverImportsFromTheManifestFolder(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "python3")
	dir := t.TempDir()
	testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), nil)
	marker := filepath.Join(dir, "imported")
	shadow := fmt.Sprintf("open(%q, 'a').write(__name__ + '\\n')\n", marker)
	testenv.Tree(t, dir, map[string]string{
		"requirements.txt": "purepkg==1.0\n",
		"json.py":          shadow,
		"hashlib.py":       shadow,
		"pip/__init__.py":  shadow,
		"pip/__main__.py":  shadow,
	})
	if _, err := buildLayer(t, dir, t.TempDir(), pyLayerFrom("deps", []string{"python3.12"}), true); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(marker); err == nil {
		t.Fatalf("python3 imported the manifest folder's own modules: %s", data)
	}
}

func noEnv(string) string { return "" }

// A source distribution runs its build backend on this machine when pip
// builds it: refused (and never run) unless allow_source_builds, with which
// it is built and installed, so the opt-in is real.
func TestSourceBuildsNeedTheOptIn(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "python3")
	tests := []struct {
		name, requirements string
		findLinks          []string
	}{
		{"by path", "./sdists/evil-1.0.tar.gz\n", nil},
		{"by --no-binary from find_links", "--no-binary evil\nevil==1.0\n", []string{"sdists"}},
		{"by --no-binary :all: and links in the file", "--no-index\n-f ./sdists\n--no-binary=:all:\nevil==1.0\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			marker := filepath.Join(dir, "backend-ran")
			testenv.WriteSdist(t, filepath.Join(dir, "sdists"), "evil", "1.0", marker)
			testenv.Tree(t, dir, map[string]string{"requirements.txt": tc.requirements})
			// pip's own wheel cache would skip the backend on a later run.
			tools := &builder.Tools{Env: append(os.Environ(), "PIP_CACHE_DIR="+t.TempDir())}
			build := func(allow bool) (*layer.Artifact, error) {
				l := &manifest.Layer{Name: "deps", Runtimes: []string{"python3.12"}, Architectures: []string{"arm64"}, DefaultExcludes: true,
					Python: &manifest.Python{Requirements: "requirements.txt", Installer: "pip", FindLinks: tc.findLinks, NoIndex: true, AllowSourceBuilds: allow}}
				m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
				return Build(context.Background(), m, l, Options{OutDir: filepath.Join(dir, "dist"), Modified: layer.DefaultModified, Tools: tools})
			}

			_, err := build(false)
			var me *manifest.Error
			if !errors.As(err, &me) || !strings.Contains(err.Error(), "requirements.txt:") || !strings.Contains(err.Error(), "allow_source_builds: true") {
				t.Fatalf("without the opt-in: got %v, want a manifest error naming the line and the opt-in", err)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("without the opt-in the package's build backend ran")
			}

			a, err := build(true)
			if err != nil {
				t.Fatalf("with allow_source_builds: %v", err)
			}
			if ran, err := os.ReadFile(marker); err != nil || !strings.Contains(string(ran), "build_wheel") {
				t.Errorf("with allow_source_builds the backend did not build: %q, %v", ran, err)
			}
			_, data, _ := testenv.ReadZip(t, a.Path)
			if data["python/evil/__init__.py"] != "BUILT = True\n" {
				t.Errorf("the built package is not in the layer: %v", slices.Collect(maps.Keys(data)))
			}
		})
	}
}

// Flipping allow_source_builds changes how pip runs, so it rebuilds.
func TestAllowSourceBuildsDecidesTheCache(t *testing.T) {
	testenv.NeedTools(t, "python3")
	dir, out := t.TempDir(), t.TempDir()
	testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), nil)
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0\n"})
	aged(t, dir)
	build := func(allow bool) *layer.Artifact {
		t.Helper()
		l := pyLayerFrom("deps", []string{"python3.12"})
		l.Python.AllowSourceBuilds = allow
		a, err := buildLayer(t, dir, out, l, false)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	build(false)
	if !build(false).Cached {
		t.Fatal("unchanged: not cached")
	}
	if build(true).Cached {
		t.Error("allow_source_builds turned on: cached")
	}
	if !build(true).Cached {
		t.Error("allow_source_builds on, unchanged: not cached")
	}
}
