package manifest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// okLayer is a valid layer, for cases about something else.
const okLayer = "{runtimes: [python3.12], files: [{from: a}]}"

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // {python} stands for the supported python runtimes, {all} for all supported runtimes
	}{
		{
			name: "yaml syntax",
			src:  "version: 1\nlayers:\n  api: [\n",
			want: []string{"layerctl.yaml:3: invalid YAML: did not find expected node content"},
		},
		{
			name: "tab indentation",
			src:  "version: 1\nlayers:\n\tapi: {}\n",
			want: []string{"layerctl.yaml:3: invalid YAML: found character that cannot start any token (indent with spaces: YAML does not allow tabs)"},
		},
		{
			name: "empty file",
			src:  "",
			want: []string{"layerctl.yaml: the manifest is empty; start it with version: 1 and a layers mapping (see README: Manifest reference)"},
		},
		{
			name: "only comments",
			src:  "# layers to come\n",
			want: []string{"layerctl.yaml: the manifest is empty; start it with version: 1 and a layers mapping (see README: Manifest reference)"},
		},
		{
			name: "top level not a mapping",
			src:  "- version: 1\n",
			want: []string{"layerctl.yaml:1:1: the manifest must be a mapping with version and layers, got a list"},
		},
		{
			name: "two documents",
			src:  "version: 1\nlayers: {a: " + okLayer + "}\n---\nversion: 1\n",
			want: []string{"layerctl.yaml:3:1: found a second YAML document (after ---); a manifest is a single document"},
		},
		{
			name: "unknown top-level key",
			src:  "version: 1\nlayers: {a: " + okLayer + "}\nregion: eu-west-1\n",
			want: []string{`layerctl.yaml:3:1: unknown key "region"; valid keys: accounts, defaults, external_id, layers, lock, role_template, version`},
		},
		{
			name: "unknown layer key with suggestion",
			src:  "version: 1\nlayers:\n  api:\n    runtimes: [python3.12]\n    files: [{from: a}]\n    descripton: Shared code\n",
			want: []string{`layerctl.yaml:6:5: layers.api: unknown key "descripton"; valid keys: accounts, architectures, attach, default_excludes, description, exclude, files, go, license, node, python, regions, runtimes, s3, share, split_architectures (did you mean "description"?)`},
		},
		{
			name: "unknown defaults key",
			src:  "version: 1\ndefaults: {description: x}\nlayers: {a: " + okLayer + "}\n",
			want: []string{`layerctl.yaml:2:12: defaults: unknown key "description"; valid keys: architectures, license, python, regions, runtimes, s3, share`},
		},
		{
			name: "unknown files key",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files:\n      - {from: a, too: b}\n",
			want: []string{`layerctl.yaml:6:19: layers.a.files[0]: unknown key "too"; valid keys: allow_outside, architecture, from, to, unpack (did you mean "to"?)`},
		},
		{
			name: "duplicate keys",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: a}]\n    runtimes: [python3.13]\n  a: {}\n",
			want: []string{
				`layerctl.yaml:6:5: layers.a: duplicate key "runtimes"; first set at 4:5`,
				`layerctl.yaml:7:3: layers: duplicate key "a"; first set at 3:3`,
			},
		},
		{
			name: "key not a string",
			src:  "version: 1\nlayers: {a: " + okLayer + "}\n[x]: 1\n",
			want: []string{"layerctl.yaml:3:1: keys must be strings, got a list"},
		},
		{
			name: "string where a list is expected",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: python3.12\n    files: [{from: a}]\n",
			want: []string{"layerctl.yaml:4:15: layers.a.runtimes: must be a list of strings, got a string; write [python3.12]"},
		},
		{
			name: "mapping where a string is expected",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12, {x: 1}]\n    files: [{from: a}]\n    description: {text: hi}\n",
			want: []string{
				"layerctl.yaml:4:28: layers.a.runtimes[1]: must be a string, got a mapping",
				"layerctl.yaml:6:18: layers.a.description: must be a string, got a mapping",
			},
		},
		{
			name: "date where a string is expected",
			src:  "version: 1\ndefaults: {license: 2024-01-01}\nlayers: {a: " + okLayer + "}\n",
			want: []string{`layerctl.yaml:2:21: defaults.license: must be a string, got a date; quote it: "2024-01-01"`},
		},
		{
			name: "default_excludes not a bool",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: a}]\n    default_excludes: yes\n",
			want: []string{"layerctl.yaml:6:23: layers.a.default_excludes: must be true or false, got a string"},
		},
		{
			name: "files and entries of the wrong type",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [src, 7]\n  b:\n    runtimes: [python3.12]\n    files: {from: a}\n",
			want: []string{
				"layerctl.yaml:5:13: layers.a.files[0]: must be a mapping, got a string; write {from: src, to: PATH-IN-ZIP}",
				"layerctl.yaml:5:18: layers.a.files[1]: must be a mapping {from: PATH, to: PATH-IN-ZIP}, got a number",
				"layerctl.yaml:8:12: layers.b.files: must be a list of {from: PATH, to: PATH-IN-ZIP}, got a mapping",
			},
		},
		{
			name: "layers, defaults and a layer of the wrong type",
			src:  "version: 1\ndefaults: [python3.12]\nlayers: {a: python3.12}\n",
			want: []string{
				"layerctl.yaml:2:11: defaults: must be a mapping with keys architectures, license, python, regions, runtimes, s3, share, got a list",
				"layerctl.yaml:3:13: layers.a: must be a mapping with keys accounts, architectures, attach, default_excludes, description, exclude, files, go, license, node, python, regions, runtimes, s3, share, split_architectures, got a string",
			},
		},
		{
			name: "version not an int",
			src:  "version: \"1\"\nlayers: {a: " + okLayer + "}\n",
			want: []string{"layerctl.yaml:1:10: version: must be the integer 1, got a string"},
		},
		{
			name: "version missing",
			src:  "layers: {a: " + okLayer + "}\n",
			want: []string{"layerctl.yaml:1:1: version is required; add version: 1"},
		},
		{
			name: "version not 1",
			src:  "version: 2\nlayers: {a: " + okLayer + "}\n",
			want: []string{"layerctl.yaml:1:10: version: unsupported version 2; this layerctl reads version 1"},
		},
		{
			name: "layers missing",
			src:  "version: 1\n",
			want: []string{"layerctl.yaml:1:1: layers is required; add a layers mapping with at least one layer"},
		},
		{
			name: "layers empty",
			src:  "version: 1\nlayers: {}\n",
			want: []string{"layerctl.yaml:2:9: layers: must have at least one layer"},
		},
		{
			name: "layers null",
			src:  "version: 1\nlayers:\n",
			want: []string{"layerctl.yaml:2:1: layers: must have at least one layer"},
		},
		{
			name: "layer name with a space",
			src:  "version: 1\nlayers:\n  my layer: " + okLayer + "\n",
			want: []string{`layerctl.yaml:3:3: layers: layer name "my layer" is invalid: use 1 to 140 letters, digits, hyphens (-) or underscores (_)`},
		},
		{
			name: "layer name too long",
			src:  "version: 1\nlayers:\n  " + strings.Repeat("a", 141) + ": " + okLayer + "\n",
			want: []string{`layerctl.yaml:3:3: layers: layer name "` + strings.Repeat("a", 141) + `" is invalid: use 1 to 140 letters, digits, hyphens (-) or underscores (_)`},
		},
		{
			name: "description too long",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: a}]\n    description: " + strings.Repeat("é", MaxDescription+1) + "\n",
			want: []string{"layerctl.yaml:6:18: layers.a.description: is 176 characters; the maximum is 175, since Lambda allows 256 and layerctl appends the 81-character content digest tag"},
		},
		{
			name: "description with the digest tag",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: a}]\n    description: 'x layerctl-sha256:abc'\n",
			want: []string{`layerctl.yaml:6:18: layers.a.description: must not contain "layerctl-sha256:"; layerctl appends it with the content digest`},
		},
		{
			name: "control characters in paths, patterns and text",
			src: "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n" +
				"    files: [{from: \"src\\e[31m\", to: \"python/a\\0b\"}, {from: b, to: \"python/new\\nline\"}]\n" +
				"    exclude: [\"**/\\x9b*\"]\n" +
				"    description: \"bell\\a\"\n",
			want: []string{
				`layerctl.yaml:5:20: layers.a.files[0].from: "src\x1b[31m" has a control character (\x1b), which no path, name or pattern may hold; remove it`,
				`layerctl.yaml:5:37: layers.a.files[0].to: "python/a\x00b" has a control character (\x00), which no path, name or pattern may hold; remove it`,
				`layerctl.yaml:5:67: layers.a.files[1].to: "python/new\nline" has a control character (\n), which no path, name or pattern may hold; remove it`,
				`layerctl.yaml:6:15: layers.a.exclude[0]: "**/\u009b*" has a control character (\u009b), which no path, name or pattern may hold; remove it`,
				`layerctl.yaml:7:18: layers.a.description: "bell\a" has a control character (\a); only newlines and tabs may be in text`,
			},
		},
		{
			name: "control characters in builder inputs",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    python: {requirements: \"req\\x1b.txt\"}\n",
			want: []string{`layerctl.yaml:5:28: layers.a.python.requirements: "req\x1b.txt" has a control character (\x1b), which no path, name or pattern may hold; remove it`},
		},
		{
			name: "license too long",
			src:  "version: 1\ndefaults: {license: " + strings.Repeat("x", lambdafacts.MaxLicense+1) + "}\nlayers: {a: " + okLayer + "}\n",
			want: []string{"layerctl.yaml:2:21: defaults.license: is 513 characters; Lambda allows at most 512 (give an SPDX identifier or a URL)"},
		},
		{
			name: "no runtimes",
			src:  "version: 1\nlayers:\n  a: {files: [{from: a}]}\n",
			want: []string{"layerctl.yaml:3:3: layers.a: no runtimes: set runtimes under the layer or in defaults"},
		},
		{
			name: "empty runtimes",
			src:  "version: 1\ndefaults: {runtimes: [python3.12]}\nlayers:\n  a: {runtimes: [], files: [{from: a}]}\n",
			want: []string{"layerctl.yaml:4:17: layers.a.runtimes: must list at least one runtime"},
		},
		{
			name: "too many runtimes",
			src:  "version: 1\nlayers:\n  a:\n    files: [{from: a}]\n    runtimes: [java11, java17, java21, java25, nodejs18.x, nodejs20.x, nodejs22.x, nodejs24.x, python3.9, python3.10, python3.11, python3.12, python3.13, python3.14, ruby3.3, ruby3.4]\n",
			want: []string{"layerctl.yaml:5:15: layers.a.runtimes: lists 16 runtimes; Lambda allows at most 15 per layer"},
		},
		{
			name: "unknown runtime of a known family",
			src:  "version: 1\nlayers:\n  a:\n    files: [{from: a}]\n    runtimes: [python3.12, python3.99]\n",
			want: []string{`layerctl.yaml:5:28: layers.a.runtimes[1]: "python3.99" is not a Lambda runtime; valid: {python} (did you mean "python3.11"?)`},
		},
		{
			name: "unknown runtime of no family",
			src:  "version: 1\nlayers:\n  a:\n    files: [{from: a}]\n    runtimes: [pyhton3.12, cobol]\n",
			want: []string{
				`layerctl.yaml:5:16: layers.a.runtimes[0]: "pyhton3.12" is not a Lambda runtime; valid: {all} (did you mean "python3.12"?)`,
				`layerctl.yaml:5:28: layers.a.runtimes[1]: "cobol" is not a Lambda runtime; valid: {all}`,
			},
		},
		{
			name: "runtime in the wrong case",
			src:  "version: 1\nlayers:\n  a:\n    files: [{from: a}]\n    runtimes: [PYTHON3.12]\n",
			want: []string{`layerctl.yaml:5:16: layers.a.runtimes[0]: "PYTHON3.12" is not a Lambda runtime; valid: {python} (did you mean "python3.12"?)`},
		},
		{
			name: "duplicate runtime",
			src:  "version: 1\ndefaults:\n  runtimes:\n    - python3.12\n    - python3.12\nlayers: {a: {files: [{from: a}]}}\n",
			want: []string{`layerctl.yaml:5:7: defaults.runtimes[1]: "python3.12" is listed twice`},
		},
		{
			name: "bad architectures",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: a}]\n    architectures: [amd64, arm64, arm64, arm65]\n",
			want: []string{
				`layerctl.yaml:6:21: layers.a.architectures[0]: "amd64" is not a Lambda architecture; valid: arm64, x86_64 (did you mean "x86_64"?)`,
				`layerctl.yaml:6:35: layers.a.architectures[2]: "arm64" is listed twice`,
				`layerctl.yaml:6:42: layers.a.architectures[3]: "arm65" is not a Lambda architecture; valid: arm64, x86_64 (did you mean "arm64"?)`,
			},
		},
		{
			name: "empty architectures",
			src:  "version: 1\ndefaults: {architectures: []}\nlayers: {a: " + okLayer + "}\n",
			want: []string{"layerctl.yaml:2:27: defaults.architectures: must list at least one architecture; valid: arm64, x86_64"},
		},
		{
			name: "no content",
			src:  "version: 1\nlayers:\n  a: {runtimes: [python3.12]}\n  b: {runtimes: [python3.12], files: []}\n",
			want: []string{
				"layerctl.yaml:3:3: layers.a: no content: add files (a list of {from: PATH, to: PATH-IN-ZIP}), python, node or go",
				"layerctl.yaml:4:38: layers.b.files: must list at least one {from: PATH, to: PATH-IN-ZIP}",
			},
		},
		{
			name: "bad from",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files:\n      - {to: python}\n      - {from: ''}\n      - {from: 'src\\lib'}\n",
			want: []string{
				"layerctl.yaml:6:9: layers.a.files[0]: from is required: the file or folder to copy, relative to the manifest's folder",
				"layerctl.yaml:7:16: layers.a.files[1].from: must not be empty",
				`layerctl.yaml:8:16: layers.a.files[2].from: "src\\lib" uses backslashes; use forward slashes: "src/lib"`,
			},
		},
		{
			name: "bad to",
			src: "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files:\n" +
				"      - {from: a, to: /opt/python}\n" +
				"      - {from: a, to: 'C:/python'}\n" +
				"      - {from: a, to: python/../../x}\n" +
				"      - {from: a, to: '..'}\n" +
				"      - {from: a, to: 'python\\lib'}\n",
			want: []string{
				`layerctl.yaml:6:23: layers.a.files[0].to: "/opt/python" is absolute; give a path inside the ZIP, which Lambda extracts to /opt (did you mean "python"?)`,
				`layerctl.yaml:7:23: layers.a.files[1].to: "C:/python" is absolute; give a path inside the ZIP`,
				`layerctl.yaml:8:23: layers.a.files[2].to: "python/../../x" climbs out of the ZIP with ..; give a path inside the ZIP`,
				`layerctl.yaml:9:23: layers.a.files[3].to: ".." climbs out of the ZIP with ..; give a path inside the ZIP`,
				`layerctl.yaml:10:23: layers.a.files[4].to: "python\\lib" uses backslashes; use forward slashes: "python/lib"`,
			},
		},
		{
			name: "bad exclude",
			src:  "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: a}]\n    exclude: ['[a-', '', /tests/**, 3]\n",
			want: []string{
				`layerctl.yaml:6:15: layers.a.exclude[0]: "[a-" is not a valid glob pattern (see github.com/bmatcuk/doublestar)`,
				`layerctl.yaml:6:22: layers.a.exclude[1]: must not be empty`,
				`layerctl.yaml:6:26: layers.a.exclude[2]: "/tests/**" never matches: paths inside the ZIP do not start with /`,
				`layerctl.yaml:6:37: layers.a.exclude[3]: must be a string, got a number; quote it: "3"`,
			},
		},
		{
			name: "bad defaults runtimes are reported once",
			src:  "version: 1\ndefaults: {runtimes: [cobol]}\nlayers:\n  a: {files: [{from: a}]}\n",
			want: []string{`layerctl.yaml:2:23: defaults.runtimes[0]: "cobol" is not a Lambda runtime; valid: {all}`},
		},
		{
			name: "fields of an invalid layer name are quoted",
			src:  "version: 1\nlayers:\n  a.b: {runtimes: [python2], files: [{from: a}]}\n",
			want: []string{
				`layerctl.yaml:3:3: layers: layer name "a.b" is invalid: use 1 to 140 letters, digits, hyphens (-) or underscores (_)`,
				`layerctl.yaml:3:20: layers["a.b"].runtimes[0]: "python2" is not a Lambda runtime; valid: {python}`,
			},
		},
	}
	r := strings.NewReplacer("{python}", supported("python"), "{all}", supported(""))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = r.Replace(w)
			}
			if diff := cmp.Diff(want, parseProblems(t, tt.src)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseManyProblems checks that one Parse reports every problem, in file order.
func TestParseManyProblems(t *testing.T) {
	src := `version: 3
layers:
  zeta:
    runtimes: [python3.12]
    files: [{from: a, to: /x}]
  alpha:
    descripton: typo
    architectures: [arm64, arm64]
    files: [{from: a}]
extra: true
`
	want := []string{
		"layerctl.yaml:1:10: version: unsupported version 3; this layerctl reads version 1",
		`layerctl.yaml:5:27: layers.zeta.files[0].to: "/x" is absolute; give a path inside the ZIP, which Lambda extracts to /opt`,
		"layerctl.yaml:6:3: layers.alpha: no runtimes: set runtimes under the layer or in defaults",
		`layerctl.yaml:7:5: layers.alpha: unknown key "descripton"; valid keys: accounts, architectures, attach, default_excludes, description, exclude, files, go, license, node, python, regions, runtimes, s3, share, split_architectures (did you mean "description"?)`,
		`layerctl.yaml:8:28: layers.alpha.architectures[1]: "arm64" is listed twice`,
		`layerctl.yaml:10:1: unknown key "extra"; valid keys: accounts, defaults, external_id, layers, lock, role_template, version`,
	}
	if diff := cmp.Diff(want, parseProblems(t, src)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

// parseProblems parses src, which must be invalid, and returns its problems as strings.
// testDay is the day the tests' runtime warnings and suggestions speak of,
// so that they do not change as runtimes are deprecated.
var testDay = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func parseProblems(t *testing.T, src string) []string {
	t.Helper()
	m, err := ParseAt("layerctl.yaml", []byte(src), testDay)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse = %v, %v; want an *Error", m, err)
	}
	if err.Error() != strings.Join(strs(e.Problems), "\n") {
		t.Errorf("Error() = %q; want the problems joined by newlines", err.Error())
	}
	return strs(e.Problems)
}

// supported lists the non-deprecated runtimes starting with prefix, the way
// problems suggest them.
func supported(prefix string) string {
	var out []string
	for _, r := range lambdafacts.Runtimes() {
		if strings.HasPrefix(r, prefix) && !lambdafacts.DeprecatedAt(r, testDay) {
			out = append(out, r)
		}
	}
	return strings.Join(out, ", ")
}

// Free text may run over lines and hold tabs; only paths, names and
// patterns refuse every control character.
func TestParseAcceptsMultiLineText(t *testing.T) {
	src := "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: a, to: python/a}]\n    description: |\n      Shared code\n      \tfor payments\n"
	m, err := Parse("layerctl.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Layers[0].Description, "Shared code\n\tfor payments\n"; got != want {
		t.Errorf("description %q, want %q", got, want)
	}
}
