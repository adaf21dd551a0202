package check

import (
	"strings"
	"testing"

	"github.com/layerctl/layerctl/layer"
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
			want:     []string{"note: otel-instrument at the top of the layer runs as an exec wrapper for python3.12 when a function sets AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument"},
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
			want:     []string{"warning: jq at the top of the layer is executable, but provided.al2023 runs only /opt/bootstrap from there and takes no exec wrapper"},
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
