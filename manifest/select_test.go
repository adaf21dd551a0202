package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	m := &Manifest{Path: "layerctl.yaml", Layers: []*Layer{{Name: "api"}, {Name: "web"}, {Name: "worker"}}}
	tests := []struct {
		name    string
		names   []string
		want    []string
		wantErr string
	}{
		{name: "all", names: nil, want: []string{"api", "web", "worker"}},
		{name: "manifest order", names: []string{"worker", "api"}, want: []string{"api", "worker"}},
		{name: "duplicates ignored", names: []string{"web", "web"}, want: []string{"web"}},
		{name: "unknown", names: []string{"api", "x", "x"}, wantErr: `no layer "x" in layerctl.yaml; layers: api, web, worker`},
		{name: "unknown with suggestion", names: []string{"wroker", "y"},
			wantErr: "no layer \"wroker\" in layerctl.yaml; layers: api, web, worker (did you mean \"worker\"?)\n" +
				`no layer "y" in layerctl.yaml; layers: api, web, worker`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Select(tt.names)
			if tt.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || err.Error() != tt.wantErr {
					t.Fatalf("Select error = %v, want *Error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, l := range got {
				names = append(names, l.Name)
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("Select mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckSources(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"src/common/a.py", "README.md"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	absMissing := filepath.ToSlash(filepath.Join(dir, "abs-missing"))
	src := `version: 1
defaults: {runtimes: [python3.12]}
layers:
  api:
    files:
      - {from: src/common, to: python/common}
      - {from: src/gone, to: python/gone}
      - {from: README.md}
      - {from: dangling}
  web:
    files:
      - {from: ` + filepath.ToSlash(filepath.Join(dir, "README.md")) + `}
      - {from: '` + absMissing + `'}
`
	path := filepath.Join(dir, "layerctl.yaml")
	m, err := Parse(path, []byte(src))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		layers []string
		want   []string
	}{
		{name: "all", want: []string{
			path + ":7:9: layers.api.files[1].from: src/gone does not exist (relative to " + dir + ")",
			path + ":9:9: layers.api.files[3].from: dangling is a symlink to something that does not exist (relative to " + dir + ")",
			path + ":13:9: layers.web.files[1].from: " + absMissing + " does not exist",
		}},
		{name: "only web", layers: []string{"web"}, want: []string{
			path + ":13:9: layers.web.files[1].from: " + absMissing + " does not exist",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			layers, err := m.Select(tt.layers)
			if err != nil {
				t.Fatal(err)
			}
			err = m.CheckSources(layers)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("CheckSources = %v, want an *Error", err)
			}
			if diff := cmp.Diff(tt.want, strs(e.Problems)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}

	ok := &Manifest{Dir: dir, Layers: []*Layer{{Name: "a", Files: []FileMap{{From: "src/common"}, {From: "README.md"}}}}}
	if err := ok.CheckSources(ok.Layers); err != nil {
		t.Errorf("CheckSources with existing sources = %v, want nil", err)
	}
}
