package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const buildersManifest = `version: 1
defaults:
  runtimes: [python3.12]
  architectures: [x86_64, arm64]
  python: {index_url: https://pypi.corp.example/simple, find_links: [wheels], no_index: false}
layers:
  deps:
    python:
      requirements: requirements.txt
      extra_index_urls: [https://extra.example/simple]
      per_version: true
    split_architectures: {x86_64: deps-x86_64, arm64: deps-arm64}
  web:
    runtimes: [nodejs22.x]
    architectures: [arm64]
    node: {package: web, scripts: true}
    files:
      - {from: vendor/sharp.tar.gz, to: nodejs/node_modules/sharp}
      - {from: data.zip, to: nodejs/data.zip, unpack: false}
  ext:
    runtimes: [provided.al2023]
    go:
      - {package: ./cmd/ext, to: extensions/ext}
    files:
      - {from: jq-amd64, to: bin/jq, architecture: x86_64}
      - {from: jq-arm64, to: bin/jq, architecture: arm64}
`

func TestParseBuilders(t *testing.T) {
	m, err := Parse("layerctl.yaml", []byte(buildersManifest))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Layer{}
	var names []string
	for _, l := range m.Layers {
		byName[l.Name] = l
		names = append(names, l.Name)
	}
	if d := cmp.Diff([]string{"deps-arm64", "deps-x86_64", "ext", "web"}, names); d != "" {
		t.Fatalf("layers (-want +got):\n%s", d)
	}
	ignorePos := cmpopts.IgnoreFields(Python{}, "Pos")
	wantPy := &Python{Requirements: "requirements.txt", Installer: "auto", IndexURL: "https://pypi.corp.example/simple",
		ExtraIndexURLs: []string{"https://extra.example/simple"}, FindLinks: []string{"wheels"}, PerVersion: true}
	for _, name := range []string{"deps-arm64", "deps-x86_64"} {
		l := byName[name]
		if d := cmp.Diff(wantPy, l.Python, ignorePos); d != "" {
			t.Errorf("%s python (-want +got):\n%s", name, d)
		}
		if l.SplitFrom != "deps" || len(l.Architectures) != 1 || !strings.HasSuffix(name, l.Architectures[0]) {
			t.Errorf("%s: split from %q, architectures %v", name, l.SplitFrom, l.Architectures)
		}
	}
	web := byName["web"]
	if web.Node == nil || web.Node.Package != "web" || !web.Node.Scripts {
		t.Errorf("web node: %+v", web.Node)
	}
	if !web.Files[0].Archive || web.Files[1].Archive {
		t.Errorf("archives: %+v", web.Files)
	}
	ext := byName["ext"]
	if d := cmp.Diff([]GoBuild{{Package: "./cmd/ext", To: "extensions/ext"}}, ext.Go, cmpopts.IgnoreFields(GoBuild{}, "Pos")); d != "" {
		t.Errorf("ext go (-want +got):\n%s", d)
	}
	if ext.Files[0].Architecture != "x86_64" || ext.Files[1].Architecture != "arm64" {
		t.Errorf("ext files: %+v", ext.Files)
	}

	// The manifest's name selects both halves.
	sel, err := m.Select([]string{"deps"})
	if err != nil || len(sel) != 2 {
		t.Errorf("Select(deps) = %v, %v", sel, err)
	}
	if _, err := m.Select([]string{"dep"}); err == nil || !strings.Contains(err.Error(), `layers: deps, deps-arm64, deps-x86_64, ext, web (did you mean "deps"?)`) {
		t.Errorf("Select(dep): %v", err)
	}
}

func TestSplitHalvesKeepTheFilesEntries(t *testing.T) {
	src := `version: 1
layers:
  jq:
    runtimes: [provided.al2023]
    architectures: [x86_64, arm64]
    split_architectures: {x86_64: jq-amd64, arm64: jq-arm64}
    files:
      - {from: jq-amd64, to: bin/jq, architecture: x86_64}
      - {from: jq-arm64, to: bin/jq, architecture: arm64}
      - {from: README, to: bin/README}
`
	m, err := Parse("layerctl.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// Both halves keep the three entries (so that messages name them as the
	// manifest does); building each leaves out the other architecture's.
	for _, l := range m.Layers {
		var froms []string
		for _, f := range l.Files {
			froms = append(froms, f.From)
		}
		if d := cmp.Diff([]string{"jq-amd64", "jq-arm64", "README"}, froms); d != "" {
			t.Errorf("%s files (-want +got):\n%s", l.Name, d)
		}
	}
}

func TestBuilderProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "no content",
			src:  "version: 1\nlayers:\n  a: {runtimes: [python3.12]}\n",
			want: []string{"layerctl.yaml:3:3: layers.a: no content: add files (a list of {from: PATH, to: PATH-IN-ZIP}), python, node or go"},
		},
		{
			name: "python without requirements, bad installer, bad key",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    python: {installer: conda, index: x}\n",
			want: []string{
				`layerctl.yaml:5:13: layers.a.python: requirements is required: the requirements file to install, relative to the manifest's folder`,
				`layerctl.yaml:5:25: layers.a.python.installer: "conda" is not an installer; valid: auto, pip, uv`,
				`layerctl.yaml:5:32: layers.a.python: unknown key "index"; valid keys: allow_source_builds, extra_index_urls, find_links, index_url, installer, no_index, per_version, requirements`,
			},
		},
		{
			name: "python for a node layer",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [nodejs22.x]\n    python: {requirements: r.txt}\n",
			want: []string{"layerctl.yaml:5:5: layers.a.python: the layer has no Python runtime (runtimes: nodejs22.x): add one, e.g. python3.12, so layerctl knows which Python to install for"},
		},
		{
			name: "requirements in defaults",
			src:  "version: 1\ndefaults: {python: {requirements: r.txt}}\nlayers: {a: {runtimes: [python3.12], files: [{from: a}]}}\n",
			want: []string{`layerctl.yaml:2:21: defaults.python: unknown key "requirements"; valid keys: allow_source_builds, extra_index_urls, find_links, index_url, installer, no_index, per_version`},
		},
		{
			name: "node",
			src:  "version: 1\nlayers:\n  a: {runtimes: [nodejs22.x], node: web}\n  b: {runtimes: [python3.12], node: {package: web}}\n  c: {runtimes: [nodejs22.x], node: {scripts: yes}}\n",
			want: []string{
				"layerctl.yaml:3:37: layers.a.node: must be a mapping, got a string; write {package: web}",
				"layerctl.yaml:4:31: layers.b.node: the layer has no Node.js runtime (runtimes: python3.12): add one, e.g. nodejs22.x",
				"layerctl.yaml:5:37: layers.c.node: package is required: the folder holding package.json and package-lock.json, relative to the manifest's folder",
			},
		},
		{
			name: "go",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [provided.al2023]\n    go: [{package: ./cmd/x}, {package: ./cmd/y, to: /opt/extensions/y}, ./cmd/z]\n",
			want: []string{
				"layerctl.yaml:5:10: layers.a.go[0]: to is required: the executable's path in the ZIP, e.g. extensions/NAME or bin/NAME",
				`layerctl.yaml:5:53: layers.a.go[1].to: "/opt/extensions/y" is absolute; give a path inside the ZIP, which Lambda extracts to /opt (did you mean "extensions/y"?)`,
				"layerctl.yaml:5:73: layers.a.go[2]: must be a mapping {package: ./cmd/NAME, to: extensions/NAME}, got a string",
			},
		},
		{
			// Values handed to pip, npm and go never start with "-": go build
			// -toolexec=PROGRAM runs any program on every compile.
			name: "values that tools would read as flags",
			src: "version: 1\nlayers:\n  a:\n    runtimes: [provided.al2023]\n" +
				"    go: [{package: -toolexec=./pwn.sh, to: bin/a}, {package: --toolexec=./pwn.sh, to: bin/b}, {package: '-n', to: bin/c}, {package: \"./cmd/x\\n-a\", to: bin/d}]\n" +
				"  p:\n    runtimes: [python3.12]\n" +
				"    python: {requirements: --no-binary=:all:, index_url: -i, extra_index_urls: [--pre], find_links: [-f]}\n" +
				"  n:\n    runtimes: [nodejs22.x]\n    node: {package: --prefix=/}\n",
			want: []string{
				`layerctl.yaml:5:20: layers.a.go[0].package: "-toolexec=./pwn.sh" starts with "-", so go build would read it as a flag, not a package: give the main package as go build takes it, e.g. ./cmd/ext or example.com/mod/cmd/ext`,
				`layerctl.yaml:5:62: layers.a.go[1].package: "--toolexec=./pwn.sh" starts with "-", so go build would read it as a flag, not a package: give the main package as go build takes it, e.g. ./cmd/ext or example.com/mod/cmd/ext`,
				`layerctl.yaml:5:105: layers.a.go[2].package: "-n" starts with "-", so go build would read it as a flag, not a package: give the main package as go build takes it, e.g. ./cmd/ext or example.com/mod/cmd/ext`,
				`layerctl.yaml:5:133: layers.a.go[3].package: "./cmd/x\n-a" has a control character (\n), which no path, name or pattern may hold; remove it`,
				`layerctl.yaml:8:28: layers.p.python.requirements: "--no-binary=:all:" starts with "-", so pip would read it as an option: give a file, e.g. requirements.txt (a path that starts with - can be written ./--no-binary=:all:)`,
				`layerctl.yaml:8:58: layers.p.python.index_url: "-i" starts with "-", so pip would read it as an option: give a URL, e.g. https://pypi.example.com/simple (a path that starts with - can be written ./-i)`,
				`layerctl.yaml:8:81: layers.p.python.extra_index_urls[0]: "--pre" starts with "-", so pip would read it as an option: give a URL or a folder, e.g. https://example.com/links or ./wheels (a path that starts with - can be written ./--pre)`,
				`layerctl.yaml:8:102: layers.p.python.find_links[0]: "-f" starts with "-", so pip would read it as an option: give a URL or a folder, e.g. https://example.com/links or ./wheels (a path that starts with - can be written ./-f)`,
				`layerctl.yaml:11:21: layers.n.node.package: "--prefix=/" starts with "-", so npm would read it as an option: give a folder, e.g. web or ./web (a path that starts with - can be written ./--prefix=/)`,
			},
		},
		{
			name: "files architecture and unpack",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [provided.al2023]\n    files:\n      - {from: x, to: bin/x, architecture: amd64}\n      - {from: y, to: bin/y, architecture: arm64}\n      - {from: z.txt, to: bin/z, unpack: true}\n",
			want: []string{
				`layerctl.yaml:6:44: layers.a.files[0].architecture: "amd64" is not a Lambda architecture; valid: arm64, x86_64 (did you mean "x86_64"?)`,
				"layerctl.yaml:7:9: layers.a.files[1].architecture: arm64 is not one of the layer's architectures (x86_64), so this entry is never used",
				"layerctl.yaml:8:42: layers.a.files[2].unpack: z.txt is not an archive layerctl unpacks (.tar.bz2, .tar.gz, .tar.xz, .tar.zst, .tgz, .zip)",
			},
		},
		{
			name: "split",
			src: "version: 1\ndefaults: {runtimes: [python3.12], architectures: [x86_64, arm64]}\nlayers:\n" +
				"  a: {files: [{from: a}], split_architectures: {x86_64: a-x86, arm64: b}}\n" +
				"  b: {files: [{from: b}]}\n" +
				"  c: {files: [{from: c}], split_architectures: {x86_64: c-x86}}\n" +
				"  d: {files: [{from: d}], architectures: [arm64], split_architectures: {arm64: d-arm}}\n" +
				"  e: {files: [{from: e}], split_architectures: {x86_64: e1, arm64: e1}}\n" +
				"  f: {files: [{from: f, architecture: x86_64}], split_architectures: {x86_64: f-x86, arm64: f-arm}}\n",
			want: []string{
				`layerctl.yaml:4:71: layers.a.split_architectures.arm64: "b" is already the name of layer b: layer names must be unique`,
				"layerctl.yaml:6:48: layers.c.split_architectures: no layer name for arm64: name one for every architecture of the layer, e.g. {x86_64: c-x86_64, arm64: c-arm64}",
				"layerctl.yaml:7:72: layers.d.split_architectures: the layer has one architecture (arm64): there is nothing to split",
				`layerctl.yaml:8:68: layers.e.split_architectures.arm64: "e1" names two architectures: give each its own layer name`,
				"layerctl.yaml:9:93: layers.f.split_architectures.arm64: layer f-arm would be empty: every files entry is for another architecture; add content for arm64",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, parseProblems(t, tt.src)); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
}

func TestCheckBuilderSources(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"requirements.txt": "x\n", "web/package.json": "{}", "nolock/package.json": "{}"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	src := `version: 1
layers:
  py:
    runtimes: [python3.12]
    python: {requirements: requirements.txt, find_links: [wheels, "https://example.com/links"]}
  web:
    runtimes: [nodejs22.x]
    node: {package: web}
  nolock:
    runtimes: [nodejs22.x]
    node: {package: nolock}
  missing:
    runtimes: [python3.12]
    python: {requirements: nope.txt}
`
	m, err := Parse(filepath.Join(dir, "layerctl.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = m.CheckSources(m.Layers)
	var got []string
	if e, ok := err.(*Error); ok {
		for _, p := range e.Problems {
			got = append(got, p.Field+": "+p.Msg)
		}
	}
	want := []string{
		"layers.py.python.find_links[0]: wheels does not exist (relative to " + dir + ")",
		"layers.web.node.package: web has no package-lock.json: layerctl installs exactly what the lock file pins (npm ci); run npm install in web and commit package-lock.json",
		"layers.nolock.node.package: nolock has no package-lock.json: layerctl installs exactly what the lock file pins (npm ci); run npm install in nolock and commit package-lock.json",
		"layers.missing.python.requirements: nope.txt does not exist (relative to " + dir + ")",
	}
	if d := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

func TestAllowSourceBuildsIsInherited(t *testing.T) {
	src := `version: 1
defaults:
  runtimes: [python3.12]
  python: {allow_source_builds: true}
layers:
  inherits: {python: {requirements: a.txt}}
  own: {python: {requirements: b.txt, allow_source_builds: false}}
  plain: {runtimes: [python3.12], python: {requirements: c.txt}, files: [{from: x}]}
`
	m, err := Parse("layerctl.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, l := range m.Layers {
		got[l.Name] = l.Python.AllowSourceBuilds
	}
	if d := cmp.Diff(map[string]bool{"inherits": true, "own": false, "plain": true}, got); d != "" {
		t.Errorf("allow_source_builds (-want +got):\n%s", d)
	}
	if _, err := Parse("layerctl.yaml", []byte("version: 1\nlayers:\n  a: {runtimes: [python3.12], python: {requirements: a.txt, allow_source_builds: maybe}}\n")); err == nil || !strings.Contains(err.Error(), "layers.a.python.allow_source_builds") {
		t.Errorf("allow_source_builds: maybe: %v", err)
	}
}
