package build

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

// fixHint is a layout hint's edit: the files entry as written and as it
// must be.
var fixHint = regexp.MustCompile(`fix (files|go)\[(\d+)\] (\{[^}]*\}) → (\{[^}]*\})`)

// Every layout hint is an edit to paste: each case builds a manifest whose
// content Lambda would not see, takes the fixed entry out of the error,
// writes it into the manifest as it is, builds again and finds the content
// where Lambda reads it.
func TestLayoutHintsApplied(t *testing.T) {
	tests := []struct {
		name     string
		runtimes string
		tree     map[string]string
		good     string   // a files entry before it, with nothing to fix
		list     string   // the list the entry is in: files, or go
		entry    string   // the entry, as written in the manifest
		note     bool     // the first build passes, with the hint in a note or warning
		want     []string // in the ZIP once the fix is applied
		gone     []string // never in it
	}{
		{
			name:     "a package folder",
			runtimes: "[python3.12]",
			tree:     map[string]string{"src/mylib/__init__.py": "", "src/mylib/core.py": "X = 1", "src/mylib/data/table.json": "{}"},
			entry:    "{from: src/mylib}",
			want:     []string{"python/mylib/__init__.py", "python/mylib/core.py", "python/mylib/data/table.json"},
			gone:     []string{"python/__init__.py", "python/__init__.py/__init__.py"},
		},
		{
			name:     "a package folder, mapped as the old hint said",
			runtimes: "[python3.12]",
			tree:     map[string]string{"src/mylib/__init__.py": "", "src/mylib/core.py": "X = 1"},
			entry:    "{from: src/mylib, to: python/__init__.py}",
			want:     []string{"python/mylib/__init__.py", "python/mylib/core.py"},
			gone:     []string{"python/__init__.py/__init__.py"},
		},
		{
			name:     "a folder holding a package",
			runtimes: "[python3.12, python3.13]",
			tree:     map[string]string{"src/mylib/__init__.py": "", "src/mylib/sub/__init__.py": "", "src/mylib/sub/x.py": ""},
			entry:    "{from: src}",
			want:     []string{"python/mylib/__init__.py", "python/mylib/sub/x.py"},
			gone:     []string{"python/mylib/mylib/__init__.py"},
		},
		{
			name:     "a folder of modules",
			runtimes: "[python3.12]",
			tree:     map[string]string{"src/common/util.py": "", "src/common/dates.py": ""},
			entry:    "{from: src/common, to: common}",
			want:     []string{"python/util.py", "python/dates.py"},
		},
		{
			name:     "a single module",
			runtimes: "[python3.12]",
			tree:     map[string]string{"src/helpers.py": ""},
			entry:    "{from: src/helpers.py}",
			want:     []string{"python/helpers.py"},
		},
		{
			name:     "a site-packages of another Python",
			runtimes: "[python3.12]",
			tree:     map[string]string{"venv/requests/__init__.py": "", "venv/six.py": ""},
			entry:    "{from: venv, to: python/lib/python3.11/site-packages}",
			want:     []string{"python/requests/__init__.py", "python/six.py"},
		},
		{
			name:     "a nested src/ holding a package",
			runtimes: "[python3.12]",
			tree:     map[string]string{"project/src/mylib/__init__.py": "", "project/src/mylib/core.py": "", "project/setup.py": "", "project/README.md": "# mylib"},
			entry:    "{from: project}",
			want:     []string{"python/mylib/__init__.py", "python/mylib/core.py"},
			gone:     []string{"python/src/mylib/__init__.py", "python/setup.py", "setup.py"},
		},
		{
			name:     "an npm project",
			runtimes: "[nodejs22.x]",
			tree:     map[string]string{"web/package.json": `{"name": "web"}`, "web/index.js": "", "web/node_modules/left-pad/package.json": `{"name": "left-pad"}`, "web/node_modules/left-pad/index.js": ""},
			entry:    "{from: web}",
			want:     []string{"nodejs/node_modules/left-pad/index.js", "nodejs/node_modules/left-pad/package.json"},
			gone:     []string{"nodejs/index.js"},
		},
		{
			name:     "a node_modules folder",
			runtimes: "[nodejs22.x]",
			tree:     map[string]string{"web/node_modules/left-pad/package.json": `{"name": "left-pad"}`, "web/node_modules/left-pad/index.js": "", "web/node_modules/@scope/pkg/package.json": "{}", "web/node_modules/@scope/pkg/main.js": ""},
			entry:    "{from: web/node_modules, to: nodejs}",
			want:     []string{"nodejs/node_modules/left-pad/index.js", "nodejs/node_modules/@scope/pkg/main.js"},
		},
		{
			name:     "a JAR",
			runtimes: "[java21]",
			tree:     map[string]string{"target/app.jar": "PK"},
			entry:    "{from: target/app.jar}",
			want:     []string{"java/lib/app.jar"},
		},
		{
			name:     "a folder of JARs",
			runtimes: "[java21]",
			tree:     map[string]string{"target/libs/a.jar": "PK", "target/libs/b.jar": "PK"},
			entry:    "{from: target/libs, to: java}",
			want:     []string{"java/lib/a.jar", "java/lib/b.jar"},
		},
		{
			name:     "an executable",
			runtimes: "[python3.12]",
			tree:     map[string]string{"tools/jq*": "#!/bin/sh\n"},
			entry:    "{from: tools, to: tools}",
			want:     []string{"bin/jq"},
		},
		{
			name:     "a shared library",
			runtimes: "[provided.al2023]",
			tree:     map[string]string{"vendor/libfoo.so.1": "\x00lib"},
			entry:    "{from: vendor/libfoo.so.1}",
			want:     []string{"lib/libfoo.so.1"},
		},
		{
			name:     "a Go command",
			runtimes: "[provided.al2023]",
			tree: map[string]string{"go.mod": "module example.com/tool\n\ngo 1.22\n",
				"cmd/tool/main.go": "package main\n\nfunc main() {}\n", "runtime/bootstrap*": "#!/bin/sh\n"},
			good:  "{from: runtime/bootstrap, to: bootstrap}",
			list:  "go",
			entry: "{package: ./cmd/tool, to: tools/tool}",
			want:  []string{"bin/tool", "bootstrap"},
		},
		{
			name:     "a command at the top, taken for a wrapper",
			runtimes: "[python3.12]",
			tree:     map[string]string{"tools/jq*": "#!/bin/sh\n"},
			entry:    "{from: tools}",
			note:     true,
			want:     []string{"bin/jq"},
			gone:     []string{"jq"},
		},
		{
			name:     "a command beside a custom runtime's bootstrap",
			runtimes: "[provided.al2023]",
			tree:     map[string]string{"rt/bootstrap*": "#!/bin/sh\n", "tools/jq*": "#!/bin/sh\n"},
			good:     "{from: rt/bootstrap, to: bootstrap}",
			entry:    "{from: tools/jq, to: jq}",
			note:     true,
			want:     []string{"bin/jq", "bootstrap"},
			gone:     []string{"jq"},
		},
		{
			name:     "Ruby code",
			runtimes: "[ruby3.3]",
			tree:     map[string]string{"gem/lib/foo.rb": "", "gem/lib/foo/bar.rb": ""},
			entry:    "{from: gem/lib, to: rb}",
			want:     []string{"ruby/lib/foo.rb", "ruby/lib/foo/bar.rb"},
		},
		{
			name:     "an archive holding a package",
			runtimes: "[python3.12]",
			tree:     map[string]string{"vendor/mylib.zip": zipBytes(t, "mylib/__init__.py", "mylib/core.py")},
			entry:    "{from: vendor/mylib.zip}",
			want:     []string{"python/mylib/__init__.py", "python/mylib/core.py"},
		},
		{
			name:     "a module at the top beside a good entry",
			runtimes: "[python3.12]",
			tree:     map[string]string{"src/ok/__init__.py": "", "extra/tool.py": ""},
			good:     "{from: src, to: python}",
			entry:    "{from: extra/tool.py, to: tool.py}",
			want:     []string{"python/ok/__init__.py", "python/tool.py"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.Tree(t, dir, tt.tree)
			list, index := "files", "0"
			if tt.list != "" {
				list = tt.list
			}
			text := "version: 1\nlayers:\n  l:\n    runtimes: " + tt.runtimes + "\n"
			if tt.good != "" {
				text += "    files:\n      - " + tt.good + "\n"
				if list == "files" {
					index = "1"
				}
			}
			if list == "files" && tt.good == "" {
				text += "    files:\n"
			} else if list != "files" {
				text += "    " + list + ":\n"
			}
			text += "      - " + tt.entry + "\n"

			a, err := buildManifest(t, dir, text)
			var said string
			if tt.note {
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range a.Findings {
					said += f.String() + "\n"
				}
			} else {
				var ce *layer.CheckError
				if !errors.As(err, &ce) {
					t.Fatalf("the misplaced content built, or failed otherwise: %v", err)
				}
				said = err.Error()
			}
			m := fixHint.FindStringSubmatch(said)
			if m == nil {
				t.Fatalf("no fix %s[N] {...} → {...} in:\n%v", list, said)
			}
			if m[1] != list || m[2] != index {
				t.Errorf("the hint names %s[%s], the entry is %s[%s]", m[1], m[2], list, index)
			}
			if m[3] != tt.entry {
				t.Errorf("the hint quotes the entry as %s, the manifest has %s", m[3], tt.entry)
			}
			fixed := strings.Replace(text, tt.entry, m[4], 1)
			t.Logf("hint: %s → %s", m[3], m[4])

			a, err = buildManifest(t, dir, fixed)
			if err != nil {
				t.Fatalf("the manifest fixed as the hint said (%s) does not build:\n%v", m[4], err)
			}
			_, _, names := testenv.ReadZip(t, a.Path)
			have := map[string]bool{}
			for _, n := range names {
				have[n] = true
			}
			for _, w := range tt.want {
				if !have[w] {
					t.Errorf("%s is not in the fixed layer: %v", w, names)
				}
			}
			for _, g := range tt.gone {
				if have[g] {
					t.Errorf("%s is in the fixed layer: %v", g, names)
				}
			}
		})
	}
}

// buildManifest writes text as the manifest in dir and builds its only
// layer.
func buildManifest(t *testing.T, dir, text string) (*layer.Artifact, error) {
	t.Helper()
	path := filepath.Join(dir, "layerctl.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatalf("manifest:\n%s\n%v", text, err)
	}
	return Build(context.Background(), m, m.Layers[0], Options{OutDir: filepath.Join(t.TempDir(), "dist"), Modified: layer.DefaultModified})
}

// zipBytes is a ZIP holding the named empty files.
func zipBytes(t *testing.T, names ...string) string {
	var b strings.Builder
	zw := zip.NewWriter(&b)
	for _, n := range names {
		if _, err := zw.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
