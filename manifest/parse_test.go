package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

const validManifest = `version: 1
defaults:
  runtimes: [python3.12, python3.13]
  license: MIT
layers:
  worker:
    description: Worker dependencies
    architectures: [arm64, x86_64]
    files:
      - from: vendor/worker
        to: python/
    exclude: ["**/tests/**", "*.md"]
    default_excludes: false
  api:
    description: Shared code for the API
    runtimes: [python3.12]
    license: Apache-2.0
    files:
      - {from: src/common, to: python/common}
      - {from: README.md, to: .}
      - from: src/x
        to: python/../python/x
      - from: /abs/file.txt
`

func TestParseValid(t *testing.T) {
	got, err := Parse("conf/layerctl.yaml", []byte(validManifest))
	if err != nil {
		t.Fatal(err)
	}
	at := func(line, col int) Pos { return Pos{File: "conf/layerctl.yaml", Line: line, Column: col} }
	want := &Manifest{
		Path:    "conf/layerctl.yaml",
		Dir:     "conf",
		Version: 1,
		Layers: []*Layer{
			{
				Name:          "api",
				Description:   "Shared code for the API",
				License:       "Apache-2.0",
				Runtimes:      []string{"python3.12"},
				Architectures: []string{"x86_64"},
				Files: []FileMap{
					{From: "src/common", To: "python/common", Pos: at(19, 9)},
					{From: "README.md", To: "", Pos: at(20, 9)},
					{From: "src/x", To: "python/x", Pos: at(21, 9)},
					{From: "/abs/file.txt", To: "", Pos: at(23, 9)},
				},
				DefaultExcludes: true,
				Pos:             at(14, 3),
			},
			{
				Name:            "worker",
				Description:     "Worker dependencies",
				License:         "MIT",
				Runtimes:        []string{"python3.12", "python3.13"},
				Architectures:   []string{"arm64", "x86_64"},
				Files:           []FileMap{{From: "vendor/worker", To: "python", Pos: at(10, 9)}},
				Exclude:         []string{"**/tests/**", "*.md"},
				DefaultExcludes: false,
				Pos:             at(6, 3),
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func TestParseYAMLFeatures(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []*Layer
	}{
		{
			name: "anchors and merge keys",
			src: `version: 1
layers:
  a: &base
    runtimes: &rt [nodejs22.x]
    files: [{from: a}]
  b:
    <<: *base
    architectures: [arm64]
    description: b
`,
			want: []*Layer{
				{Name: "a", Runtimes: []string{"nodejs22.x"}, Architectures: []string{"x86_64"},
					Files: []FileMap{{From: "a", Pos: Pos{"m.yaml", 5, 13}}}, DefaultExcludes: true, Pos: Pos{"m.yaml", 3, 3}},
				{Name: "b", Description: "b", Runtimes: []string{"nodejs22.x"}, Architectures: []string{"arm64"},
					Files: []FileMap{{From: "a", Pos: Pos{"m.yaml", 5, 13}}}, DefaultExcludes: true, Pos: Pos{"m.yaml", 6, 3}},
			},
		},
		{
			name: "null values count as unset",
			src: `version: 1
defaults:
layers:
  a:
    runtimes: [java21]
    files: [{from: a, to: }]
    exclude:
    description:
    default_excludes:
`,
			want: []*Layer{
				{Name: "a", Runtimes: []string{"java21"}, Architectures: []string{"x86_64"},
					Files: []FileMap{{From: "a", Pos: Pos{"m.yaml", 6, 13}}}, DefaultExcludes: true, Pos: Pos{"m.yaml", 4, 3}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse("m.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, m.Layers); diff != "" {
				t.Errorf("layers mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	src := `version: 1
defaults: {runtimes: [python3.8, python3.12]}
layers:
  a: {runtimes: [nodejs16.x], files: [{from: a}]}
  b: {files: [{from: b}]}
`
	m, err := ParseAt("layerctl.yaml", []byte(src), testDay)
	if err != nil {
		t.Fatal(err)
	}
	src2 := " (dates from the AWS Lambda runtimes page, checked " + lambdafacts.LifecycleChecked + ")"
	want := []string{
		"layerctl.yaml:2:23: defaults.runtimes[0]: python3.8 is deprecated (since 2024-10-14): AWS has blocked creating functions with it since 2025-10-01 and blocks updating them from 2027-03-03" + src2,
		"layerctl.yaml:4:18: layers.a.runtimes[0]: nodejs16.x is deprecated (since 2024-06-12): AWS has blocked creating functions with it since 2025-10-01 and blocks updating them from 2027-03-03" + src2,
	}
	if diff := cmp.Diff(want, strs(m.Warnings)); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "layerctl.yaml")
	if err := os.WriteFile(path, []byte(validManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Path != path || m.Dir != dir || len(m.Layers) != 2 {
		t.Errorf("Load = {Path: %q, Dir: %q, %d layers}, want {%q, %q, 2 layers}", m.Path, m.Dir, len(m.Layers), path, dir)
	}

	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing", filepath.Join(dir, "nope.yaml"), filepath.Join(dir, "nope.yaml") + ": file not found; create it (see README: Manifest reference) or pass -f PATH"},
		{"folder", dir, dir + ": cannot read: it is a folder, not a file: pass -f the manifest's path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			var e *Error
			if !errors.As(err, &e) || err.Error() != tt.want {
				t.Errorf("Load = %v, want *Error %q", err, tt.want)
			}
		})
	}
}

func strs(problems []*Problem) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = p.String()
	}
	return out
}
