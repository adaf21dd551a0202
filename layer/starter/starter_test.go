package starter

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

var day = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// noTools is an environment where python3, node and go are not found.
var noTools = &builder.Tools{Env: []string{"PATH=" + os.DevNull}}

func write(t *testing.T, dir string, opts Options) (*Report, string) {
	t.Helper()
	opts.Path = filepath.Join(dir, "layerctl.yaml")
	opts.Now = day
	if opts.Arch == "" {
		opts.Arch = "x86_64"
	}
	if opts.Tools == nil {
		opts.Tools = noTools
	}
	rep, err := Write(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(opts.Path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := manifest.ParseAt(opts.Path, text, day); err != nil {
		t.Fatalf("the manifest written does not parse: %v\n%s", err, text)
	}
	return rep, string(text)
}

// A plain folder of files: the folders Lambda reads kept where they are,
// Python files under python/; dot files, the output folder and names a
// manifest cannot hold left out, said why.
func TestPlainFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "My Layer!")
	testenv.Tree(t, dir, map[string]string{
		"bin/tool*":             "#!/bin/sh\n",
		"shared/__init__.py":    "X = 1\n",
		".git/config":           "",
		"dist/old.zip":          "",
		"bad\x1bname/x.py":      "",
		"-rf/x.py":              "",
		"lib/libthing.so.1":     "",
		"extensions/ext*":       "#!/bin/sh\n",
		"shared/tests/t_x.py":   "",
		"with space/mod.py":     "",
		"layerctl.lock":         "{}",
		"nested/deep/module.py": "",
	})
	rep, text := write(t, dir, Options{})
	for _, want := range []string{
		"  My-Layer:\n",
		"    runtimes: [python3.14]",
		"      - {from: bin, to: bin}\n",
		"      - {from: extensions, to: extensions}\n",
		"      - {from: lib, to: lib}\n",
		"      - {from: shared, to: python/shared}\n",
		`      - {from: "with space", to: "python/with space"}` + "\n",
		"  architectures: [x86_64]",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	for _, not := range []string{".git", "dist", "layerctl.lock", "-rf", "bad"} {
		if strings.Contains(text, "from: "+not) || strings.Contains(text, `from: "`+not) {
			t.Errorf("maps %s:\n%s", not, text)
		}
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, want := range []string{`"bad\x1bname" left out`, "-rf left out", "python3 is not on PATH here: python3.14 written"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if len(rep.Layers) != 1 || rep.Layers[0].Name != "My-Layer" || rep.Layers[0].Kind != "files" {
		t.Errorf("layers %+v", rep.Layers)
	}
}

// Files no runtime family claims go where they are, with a comment and a
// caveat: provided.al2023 until someone says.
func TestFilesOfNoFamily(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"config.json": "{}", "bin/run*": "#!/bin/sh\n"})
	rep, text := write(t, dir, Options{Arch: "arm64", Name: "cfg"})
	if !strings.Contains(text, "    runtimes: [provided.al2023]") || !strings.Contains(text, "      - {from: config.json, to: config.json}") ||
		!strings.Contains(text, "# Lambda sees only python/") || !strings.Contains(text, "  architectures: [arm64]") || !strings.Contains(text, "# architectures: [arm64, x86_64]") {
		t.Errorf("manifest:\n%s", text)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "no runtime could be told from the files") {
		t.Errorf("notes %q", rep.Notes)
	}
}

// An existing manifest, or a link where it would go (to any file, or
// dangling), is never written over or through.
func TestNeverOverwrites(t *testing.T) {
	for name, setup := range map[string]func(dir, path string){
		"a file": func(dir, path string) { os.WriteFile(path, []byte("mine\n"), 0o644) },
		"a link to a file": func(dir, path string) {
			os.WriteFile(dir+"/target", []byte("mine\n"), 0o644)
			os.Symlink(dir+"/target", path)
		},
		"a dangling link": func(dir, path string) { os.Symlink(dir+"/nothing", path) },
	} {
		dir := t.TempDir()
		testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0\n"})
		path := filepath.Join(dir, "layerctl.yaml")
		setup(dir, path)
		_, err := Write(context.Background(), Options{Path: path, Arch: "x86_64", Tools: noTools, Now: day})
		var ee *ExistsError
		if !errors.As(err, &ee) {
			t.Errorf("%s: err = %v", name, err)
		}
		if b, _ := os.ReadFile(dir + "/target"); name == "a link to a file" && string(b) != "mine\n" {
			t.Errorf("%s: the link's target holds %q", name, b)
		}
		if _, err := os.Stat(dir + "/nothing"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: written through the link", name)
		}
	}
}

// What cannot make a starter manifest says why and writes nothing.
func TestNothingToWrite(t *testing.T) {
	empty := t.TempDir()
	testenv.Tree(t, empty, map[string]string{".hidden": ""})
	crowded := t.TempDir()
	files := map[string]string{}
	for i := range maxEntries + 1 {
		files[filepath.Join("d", string(rune('a'+i/26)), string(rune('a'+i%26)))] = ""
	}
	for i := range maxEntries + 1 {
		files[string(rune('A'+i/26))+string(rune('a'+i%26))+".txt"] = ""
	}
	testenv.Tree(t, crowded, files)
	for dir, want := range map[string]string{empty: "holds nothing to put in a layer", crowded: "too many for a starter manifest"} {
		_, err := Write(context.Background(), Options{Path: filepath.Join(dir, "layerctl.yaml"), Arch: "x86_64", Tools: noTools, Now: day})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "layerctl.yaml")); err == nil {
			t.Error("wrote a manifest")
		}
	}
}

// Without the local tools, the newest runtime AWS supports (not one the
// SDK names without dates), said so; a package.json without its lock is
// told, not built.
func TestWithoutTheTools(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0\n", "package.json": "{}"})
	rep, text := write(t, dir, Options{})
	if !strings.Contains(text, "    runtimes: [python3.14]") || strings.Contains(text, "node:") {
		t.Errorf("manifest:\n%s", text)
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, "package.json has no package-lock.json beside it") || !strings.Contains(notes, "python3 is not on PATH here") {
		t.Errorf("notes:\n%s", notes)
	}
}

func TestNameOf(t *testing.T) {
	for in, want := range map[string]string{"shared-python": "shared-python", "My Layer!": "My-Layer", "...": "layer", "é_x": "_x", strings.Repeat("a", 200): strings.Repeat("a", 120)} {
		if got := nameOf(in); got != want {
			t.Errorf("nameOf(%q) = %q, want %q", in, got, want)
		}
	}
}
