package build

import (
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

// Content at the top of the layer that Lambda uses builds: a custom
// runtime's bootstrap, a wrapper script, data read by its path. What the
// checks say of it stays with the artifact.
func TestBuildRootContent(t *testing.T) {
	tests := []struct {
		name     string
		runtimes []string
		files    map[string]string
		entries  []manifest.FileMap
		wantErr  string
		want     string // in the artifact's findings; "" for none at all
		wantSev  layer.Severity
		wantMode map[string]string // ZIP entry -> mode
	}{
		{
			name:     "a custom runtime's bootstrap",
			runtimes: []string{"provided.al2023"},
			files:    map[string]string{"runtime/bootstrap*": "#!/bin/sh\nexec /opt/bin/handler\n", "runtime/handler*": "#!/bin/sh\n"},
			entries:  []manifest.FileMap{{From: "runtime/bootstrap", To: "bootstrap"}, {From: "runtime/handler", To: "bin/handler"}},
			wantMode: map[string]string{"bootstrap": "-rwxr-xr-x", "bin/handler": "-rwxr-xr-x"},
		},
		{
			name:     "a bootstrap alone, from a folder mapped to the top",
			runtimes: []string{"provided.al2", "provided.al2023"},
			files:    map[string]string{"runtime/bootstrap*": "#!/bin/sh\n"},
			entries:  []manifest.FileMap{{From: "runtime"}},
			wantMode: map[string]string{"bootstrap": "-rwxr-xr-x"},
		},
		{
			name:     "a bootstrap that is not executable",
			runtimes: []string{"provided.al2023"},
			files:    map[string]string{"runtime/bootstrap": "#!/bin/sh\n"},
			entries:  []manifest.FileMap{{From: "runtime"}},
			wantErr:  "bootstrap is not executable, but provided.al2023 runs /opt/bootstrap as the function's runtime: make it executable (chmod +x runtime/bootstrap) and build again",
		},
		{
			name:     "a wrapper script for python3.12",
			runtimes: []string{"python3.12"},
			files:    map[string]string{"wrap/otel-instrument*": "#!/bin/sh\nexec \"$@\"\n", "src/otel_setup.py": ""},
			entries:  []manifest.FileMap{{From: "wrap/otel-instrument", To: "otel-instrument"}, {From: "src", To: "python"}},
			want:     "otel-instrument at the top of the layer runs as an exec wrapper for python3.12 when a function sets AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-instrument",
			wantSev:  layer.SevNote,
			wantMode: map[string]string{"otel-instrument": "-rwxr-xr-x"},
		},
		{
			name:     "a data file read by its path",
			runtimes: []string{"python3.12"},
			files:    map[string]string{"certs/ca.pem": "---"},
			entries:  []manifest.FileMap{{From: "certs/ca.pem", To: "ca.pem"}},
			want:     "ca.pem is at the top of the layer (/opt/ca.pem), where no runtime searches",
			wantSev:  layer.SevWarning,
			wantMode: map[string]string{"ca.pem": "-rw-r--r--"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.Tree(t, dir, tt.files)
			l := &manifest.Layer{Name: "l", Runtimes: tt.runtimes, Architectures: []string{"x86_64"}, Files: tt.entries, DefaultExcludes: true}
			a, err := build(t, dir, l, Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to say %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, f := range a.Findings {
				if tt.want == "" {
					t.Errorf("unexpected finding %s", f)
				}
				if tt.want != "" && strings.Contains(f.Message, tt.want) {
					found = true
					if f.Severity != tt.wantSev {
						t.Errorf("%q is a %s, want a %s", f.Message, f.Severity, tt.wantSev)
					}
				}
			}
			if tt.want != "" && !found {
				t.Errorf("no finding says %q: %v", tt.want, a.Findings)
			}
			heads, _, _ := testenv.ReadZip(t, a.Path)
			for name, mode := range tt.wantMode {
				if h := heads[name]; h == nil || h.Mode().String() != mode {
					t.Errorf("%s: %v, want mode %s", name, h, mode)
				}
			}
		})
	}
}
