package check

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

// findingsText is the findings one a line, "severity: message".
func findingsText(fs []layer.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

// What sits at the top of a layer (/opt) is judged by what Lambda does
// with it: an OS-only runtime runs bootstrap, a managed runtime starts
// through the wrapper AWS_LAMBDA_EXEC_WRAPPER names, code may read data by
// its path; a module there is lost.
func TestLayoutRootContent(t *testing.T) {
	tests := []struct {
		name     string
		runtimes []string
		files    []LayoutFile
		want     []string // each in the findings, in order of the list
		wantNone bool     // no findings at all
		errors   bool     // whether any finding is an error
	}{
		{
			name:     "an executable bootstrap for provided.al2023",
			runtimes: []string{"provided.al2023"},
			files:    []LayoutFile{{Name: "bootstrap", Exec: true}},
			wantNone: true,
		},
		{
			name:     "a bootstrap that is a link (to bin/runtime)",
			runtimes: []string{"provided.al2"},
			files:    []LayoutFile{{Name: "bootstrap", Link: true}, {Name: "bin/runtime", Exec: true}},
			wantNone: true,
		},
		{
			name:     "an executable bootstrap, runtimes not known (inspect)",
			files:    []LayoutFile{{Name: "bootstrap", Exec: true}},
			wantNone: true,
		},
		{
			name:     "a bootstrap that is not executable",
			runtimes: []string{"provided.al2023"},
			files:    []LayoutFile{{Name: "bootstrap", Source: "runtime/bootstrap"}},
			want:     []string{"error: bootstrap is not executable, but provided.al2023 runs /opt/bootstrap as the function's runtime: make it executable (chmod +x runtime/bootstrap) and build again"},
			errors:   true,
		},
		{
			name:     "a bootstrap that is not executable, in a ZIP",
			runtimes: []string{"provided.al2023"},
			files:    []LayoutFile{{Name: "bootstrap"}},
			want:     []string{"error: bootstrap is not executable", "give it an execute bit (mode 0755) in the ZIP"},
			errors:   true,
		},
		{
			name:     "a wrapper script for python3.12, alone",
			runtimes: []string{"python3.12"},
			files:    []LayoutFile{{Name: "otel-instrument", Exec: true}},
			want:     []string{"note: otel-instrument at the top of the layer runs as an exec wrapper for python3.12 when a function sets AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument; if it is a command for PATH instead: in the ZIP it belongs at bin/otel-instrument"},
		},
		{
			name:     "a wrapper script from a files entry",
			runtimes: []string{"python3.12"},
			files:    []LayoutFile{{Name: "otel-instrument", Exec: true, Entry: &Entry{Index: 3, Map: manifest.FileMap{From: "wrap/otel-instrument", To: "otel-instrument"}, File: true}}},
			want:     []string{"note: otel-instrument at the top of the layer runs as an exec wrapper for python3.12 when a function sets AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument; if it is a command for PATH instead: fix files[3] {from: wrap/otel-instrument, to: otel-instrument} → {from: wrap/otel-instrument, to: bin/otel-instrument}"},
		},
		{
			name:     "a Go command at the top",
			runtimes: []string{"java21"},
			files:    []LayoutFile{{Name: "wrap", Exec: true, Entry: &Entry{Index: 0, Go: &manifest.GoBuild{Package: "./cmd/wrap", To: "wrap"}, File: true}}},
			want:     []string{"note: wrap at the top of the layer runs as an exec wrapper for java21 when a function sets AWS_LAMBDA_EXEC_WRAPPER=/opt/wrap; if it is a command for PATH instead: fix go[0] {package: ./cmd/wrap, to: wrap} → {package: ./cmd/wrap, to: bin/wrap}"},
		},
		{
			name:     "a wrapper script without its execute bit",
			runtimes: []string{"nodejs22.x"},
			files:    []LayoutFile{{Name: "otel-instrument", Source: "wrap/otel-instrument"}, {Name: "nodejs/node_modules/a/index.js"}},
			want:     []string{"warning: otel-instrument is at the top of the layer (/opt/otel-instrument), where no runtime searches: only code that opens /opt/otel-instrument by that path will read it; if it is an exec wrapper script, make it executable (chmod +x wrap/otel-instrument) and build again"},
		},
		{
			name:     "a wrapper script beside Python packages",
			runtimes: []string{"python3.12", "nodejs22.x"},
			files:    []LayoutFile{{Name: "wrapper.sh", Exec: true}, {Name: "python/otel/__init__.py"}, {Name: "nodejs/node_modules/otel/index.js"}},
			want:     []string{"note: wrapper.sh at the top of the layer runs as an exec wrapper for python3.12, nodejs22.x when a function sets AWS_LAMBDA_EXEC_WRAPPER=/opt/wrapper.sh"},
		},
		{
			name:     "an executable beside bootstrap for provided.al2023",
			runtimes: []string{"provided.al2023"},
			files:    []LayoutFile{{Name: "bootstrap", Exec: true}, {Name: "jq", Exec: true}},
			want:     []string{"warning: jq at the top of the layer is executable, but provided.al2023 runs only /opt/bootstrap from there and takes no exec wrapper: name it bootstrap if it is the runtime; if it is a command: in the ZIP it belongs at bin/jq"},
		},
		{
			name:     "a data file for python3.12",
			runtimes: []string{"python3.12"},
			files:    []LayoutFile{{Name: "ca-bundle.pem"}},
			want:     []string{"warning: ca-bundle.pem is at the top of the layer (/opt/ca-bundle.pem), where no runtime searches: only code that opens /opt/ca-bundle.pem by that path will read it"},
		},
		{
			name:     "a folder of data for python3.12",
			runtimes: []string{"python3.12"},
			files:    []LayoutFile{{Name: "config/app.json"}, {Name: "config/db.yaml"}, {Name: "python/app.py"}},
			want:     []string{"warning: config/ (2 files) holds no code, in a folder no runtime searches"},
		},
		{
			name:     "a module at the top for python3.12",
			runtimes: []string{"python3.12"},
			files:    []LayoutFile{{Name: "util.py"}},
			want:     []string{"error: util.py will not be seen by python3.12"},
			errors:   true,
		},
		{
			name:     "an executable module at the top is still a module",
			runtimes: []string{"python3.12"},
			files:    []LayoutFile{{Name: "util.py", Exec: true}, {Name: "python/x.py"}},
			want:     []string{"error: util.py will not be seen by python3.12"},
			errors:   true,
		},
		{
			name:     "a shared library at the top",
			runtimes: []string{"provided.al2023"},
			files:    []LayoutFile{{Name: "bootstrap", Exec: true}, {Name: "libfoo.so.1"}},
			want:     []string{"error: libfoo.so.1 will not be seen by provided.al2023"},
			errors:   true,
		},
		{
			name:     "a folder holding code is still lost",
			runtimes: []string{"python3.12"},
			files:    []LayoutFile{{Name: "common/util.py"}, {Name: "common/data.json"}},
			want:     []string{"error: common/ (2 files) will not be seen by python3.12"},
			errors:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Layout(tt.files, tt.runtimes)
			got := findingsText(fs)
			if tt.wantNone && len(fs) > 0 {
				t.Fatalf("want no findings, got:\n%s", got)
			}
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("findings do not say %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			if errs := len(layer.Errors(fs)) > 0; errs != tt.errors {
				t.Errorf("errors: %v, want %v:\n%s", errs, tt.errors, got)
			}
		})
	}
}

// Hints for content that did not come from a files entry (inspect,
// publish --zip) say where it goes in the ZIP, and never name a folder the
// declared runtimes do not read.
func TestLayoutZipHints(t *testing.T) {
	tests := []struct {
		name     string
		runtimes []string
		files    []LayoutFile
		want     string
		not      []string
	}{
		{"a package at the top", []string{"python3.12"}, []LayoutFile{{Name: "mypkg/__init__.py"}, {Name: "mypkg/core.py"}},
			"mypkg/ (2 files) will not be seen by python3.12: mypkg/ is not a folder any Lambda runtime reads; in the ZIP it belongs at python/mypkg/", nil},
		{"a site-packages folder", []string{"python3.12"}, []LayoutFile{{Name: "site-packages/six.py"}, {Name: "site-packages/requests/__init__.py"}},
			"in the ZIP its content belongs in python/", nil},
		{"a module at the top", []string{"python3.12"}, []LayoutFile{{Name: "six.py"}},
			"six.py will not be seen by python3.12: files at the top of a layer are in /opt, which no runtime reads; in the ZIP it belongs at python/six.py", nil},
		{"a project folder holding node_modules", []string{"nodejs22.x"}, []LayoutFile{{Name: "app/node_modules/a/index.js"}, {Name: "app/package.json"}},
			"in the ZIP the content of app/node_modules/ belongs in nodejs/node_modules/", nil},
		{"packages beside node_modules' place", []string{"nodejs22.x"}, []LayoutFile{{Name: "nodejs/left-pad/package.json"}, {Name: "nodejs/left-pad/index.js"}},
			"nodejs/left-pad/ (2 files) will not be seen by nodejs22.x: Node.js reads only nodejs/node_modules/ and nodejs/nodeNN/node_modules/; in the ZIP it belongs at nodejs/node_modules/left-pad/", nil},
		{"a Node.js layer under a Python runtime", []string{"python3.12"}, []LayoutFile{{Name: "nodejs/node_modules/a/index.js"}},
			"nodejs/ (1 file) will not be seen by python3.12: the layer's runtimes (python3.12) do not read nodejs/; the Node.js runtimes do (nodejs22.x", []string{"to: python", "python/node", "belongs"}},
		{"Node.js code in a folder of its own, under a Python runtime", []string{"python3.12"}, []LayoutFile{{Name: "web/node_modules/a/index.js"}, {Name: "python/x.py"}},
			"web/ (1 file) will not be seen by python3.12: web/ is not a folder any Lambda runtime reads; it is Node.js code, which the layer's runtimes (python3.12) do not load; the Node.js runtimes do (nodejs22.x", []string{"to: python", "belongs"}},
		{"a JAR outside java/lib/", []string{"java21"}, []LayoutFile{{Name: "java/app.jar"}},
			"java/app.jar will not be seen by java21: Java reads only java/lib/; in the ZIP it belongs at java/lib/app.jar", nil},
		{"classes outside a JAR", []string{"java21"}, []LayoutFile{{Name: "java/com/x/A.class"}},
			"in the ZIP, Java loads classes only from JARs in java/lib/: package them into a JAR", nil},
		{"mixed content", []string{"python3.12"}, []LayoutFile{{Name: "stuff/a.py"}, {Name: "stuff/tool", Exec: true}},
			"in the ZIP, it holds Python code and executables, which belong in different folders", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findingsText(Layout(tt.files, tt.runtimes))
			if !strings.Contains(got, tt.want) {
				t.Errorf("findings do not say %q:\n%s", tt.want, got)
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("findings say %q:\n%s", n, got)
				}
			}
		})
	}
}

// A folder named like a module file under python/ (what to:
// python/__init__.py made of a package) is flagged, wherever Python reads.
func TestLayoutModuleNamedFolder(t *testing.T) {
	for _, name := range []string{"python/__init__.py/__init__.py", "python/mylib.py/core.py", "python/lib/python3.12/site-packages/x.py/y.py", "python/a/b.py/c.txt"} {
		fs := Layout([]LayoutFile{{Name: name}}, []string{"python3.12"})
		if got := findingsText(fs); len(layer.Errors(fs)) == 0 || !strings.Contains(got, "a folder named like a module file is not a package") {
			t.Errorf("%s: %s", name, got)
		}
	}
	if fs := Layout([]LayoutFile{{Name: "python/pkg/mod.py"}, {Name: "python/pkg.pyi/x"}}, []string{"python3.12"}); len(fs) != 0 {
		t.Errorf("findings on a good layer: %v", fs)
	}
}

// Hints for files entries quote the entry as the manifest can hold it, and
// say plainly when no one edit fixes it.
func TestLayoutEntryHints(t *testing.T) {
	entry := func(i int, m manifest.FileMap, file bool) *Entry { return &Entry{Index: i, Map: m, File: file} }
	arm := entry(2, manifest.FileMap{From: "vendor/jq-arm64", To: "tools", Architecture: "arm64", AllowOutside: true}, false)
	tgz := entry(0, manifest.FileMap{From: "vendor/lib.tar.gz", To: "x", Archive: true}, false)
	kept := entry(1, manifest.FileMap{From: "vendor/keep.zip", To: "data.zip"}, true)
	mixed := entry(0, manifest.FileMap{From: "src"}, false)
	nodeOnly := entry(0, manifest.FileMap{From: "web", To: "web"}, false)
	odd := entry(0, manifest.FileMap{From: "my-lib", To: "my-lib"}, false)
	tests := []struct {
		name     string
		runtimes []string
		files    []LayoutFile
		want     string
	}{
		{"every key kept", []string{"python3.12"}, []LayoutFile{{Name: "tools/jq", Exec: true, Entry: arm}},
			"fix files[2] {from: vendor/jq-arm64, to: tools, architecture: arm64, allow_outside: true} → {from: vendor/jq-arm64, to: bin, architecture: arm64, allow_outside: true}"},
		{"an archive that nests its content", []string{"python3.12"}, []LayoutFile{{Name: "x/lib-1.0/src/lib/__init__.py", Entry: tgz}},
			"files[0] {from: vendor/lib.tar.gz, to: x}: the archive holds its Python code under lib-1.0/src/, which to: cannot take off: repack it with that folder's content at its top, then map it with to: python"},
		{"an archive kept as a file", []string{"python3.12"}, []LayoutFile{{Name: "data.zip", Entry: kept}, {Name: "python/x.py"}},
			"data.zip is at the top of the layer"},
		{"two kinds in one entry", []string{"python3.12"}, []LayoutFile{{Name: "a.py", Entry: mixed}, {Name: "tools/jq", Exec: true, Entry: mixed}},
			"files[0] {from: src}: it holds Python code and executables, which belong in different folders: give each its own files entry"},
		{"see the entry above", []string{"python3.12"}, []LayoutFile{{Name: "a.py", Entry: mixed}, {Name: "tools/b.py", Entry: mixed}},
			"tools/ (1 file) will not be seen by python3.12: tools/ is not a folder any Lambda runtime reads; see files[0] above"},
		{"code for runtimes the layer is not for", []string{"python3.12"}, []LayoutFile{{Name: "web/node_modules/a/index.js", Entry: nodeOnly}, {Name: "python/x.py"}},
			"files[0] {from: web, to: web}: it is Node.js code, which the layer's runtimes (python3.12) do not load; the Node.js runtimes do (nodejs22.x"},
		{"a package without a name Python can import", []string{"python3.12"}, []LayoutFile{{Name: "my-lib/__init__.py", Entry: odd}},
			"files[0] {from: my-lib, to: my-lib}: it is one package: map it with to: python/NAME, NAME the name it is imported by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findingsText(Layout(tt.files, tt.runtimes))
			if !strings.Contains(got, tt.want) {
				t.Errorf("findings do not say %q:\n%s", tt.want, got)
			}
		})
	}
}

// A value in a hint reads back from YAML as the same string.
func TestYAMLScalarRoundTrip(t *testing.T) {
	for _, s := range []string{"src/mylib", "python", "null", "True", "1.10", "3", "0x1f", "~", "-x", "a: b", "a #b", "[x]", "{y}", "*alias", "&a", "!tag", "@scope/pkg", "it's", `q"uote`, "tab\there", "ünï", " lead", "trail ", ".inf", "yes", "2024-01-01"} {
		var got map[string]string
		text := "{from: " + yamlScalar(s) + "}"
		if err := yaml.Unmarshal([]byte(text), &got); err != nil || got["from"] != s {
			t.Errorf("%q written %s reads back as %q (%v)", s, text, got["from"], err)
		}
	}
}

// Names come from ZIPs made by anyone: a hint costs what the names'
// length does, however deep they go (each of these 6,000 files has up to
// 2,000 folders above it, each holding a package.json and an __init__.py;
// walking each file's folders one name at a time would take minutes).
func TestLayoutHintsOnDeepNames(t *testing.T) {
	var files []LayoutFile
	for i := range 2000 {
		dir := "x/" + strings.Repeat("a/", i)
		files = append(files, LayoutFile{Name: dir + "package.json"}, LayoutFile{Name: dir + "__init__.py"}, LayoutFile{Name: dir + "i.js"})
	}
	start := time.Now()
	got := findingsText(Layout(files, []string{"python3.12"}))
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the layout check took %v", took)
	}
	if !strings.Contains(got, "x/ (6000 files) will not be seen by python3.12") {
		t.Errorf("findings:\n%.1000s", got)
	}
}
