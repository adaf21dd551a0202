package attach

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/versions"
)

const (
	arnPrefix = "arn:aws:lambda:us-east-1:123456789012:layer:"
	mb        = 1 << 20
)

func lv(name string, n int, runtimes, archs []string) *versions.Version {
	return &versions.Version{Layer: name, Number: int64(n), ARN: arnPrefix + name + ":" + itoa(int64(n)), Runtimes: runtimes, Architectures: archs, CodeSize: mb}
}

func want(explicit bool, cs ...*attachCandidate) *attachWant {
	return &attachWant{family: cs[0].version.Layer, candidates: cs, explicit: explicit}
}

func fn(runtime, arch string, layers ...string) fnConfig {
	f := fnConfig{Runtime: runtime, PackageType: "Zip", Architectures: []string{arch}, CodeSize: mb}
	for _, l := range layers {
		f.Layers = append(f.Layers, types.Layer{Arn: aws.String(arnPrefix + l), CodeSize: mb})
	}
	return f
}

// withSize sets the zipped CodeSize of the function's layer i.
func withSize(f fnConfig, i int, size int64) fnConfig {
	f.Layers[i].CodeSize = size
	return f
}

func arns(short ...string) []string {
	out := make([]string, len(short))
	for i, s := range short {
		out[i] = arnPrefix + s
	}
	return out
}

func TestPlanAttach(t *testing.T) {
	py := []string{"python3.12", "python3.13"}
	shared4 := &attachCandidate{version: lv("shared", 4, py, []string{"x86_64", "arm64"}), unzipped: 3 * mb}
	armHalf := &attachCandidate{version: lv("shared-arm64", 2, py, []string{"arm64"})}
	x86Half := &attachCandidate{version: lv("shared-x86_64", 3, py, []string{"x86_64"})}
	big := &attachCandidate{version: lv("shared", 4, py, nil), unzipped: 240 * mb}
	near := &attachCandidate{version: lv("shared", 4, py, nil), unzipped: 220 * mb}

	tests := []struct {
		name   string
		f      fnConfig
		wants  []*attachWant
		to     []string
		status layer.Status
		reason string // a part of it
		warn   string
	}{
		{"only layer", fn("python3.12", "x86_64", "shared:3"), []*attachWant{want(false, shared4)}, arns("shared:4"), layer.StatusWouldAttach, "", ""},
		{"first of three", fn("python3.12", "x86_64", "shared:1", "a:1", "b:7"), []*attachWant{want(false, shared4)}, arns("shared:4", "a:1", "b:7"), layer.StatusWouldAttach, "", ""},
		{"middle of three", fn("python3.12", "arm64", "a:1", "shared:2", "b:7"), []*attachWant{want(false, shared4)}, arns("a:1", "shared:4", "b:7"), layer.StatusWouldAttach, "", ""},
		{"last of three", fn("python3.13", "x86_64", "a:1", "b:7", "shared:3"), []*attachWant{want(false, shared4)}, arns("a:1", "b:7", "shared:4"), layer.StatusWouldAttach, "", ""},
		{"a newer version is replaced too (rollback)", fn("python3.12", "x86_64", "a:1", "shared:9"), []*attachWant{want(false, shared4)}, arns("a:1", "shared:4"), layer.StatusWouldAttach, "", ""},
		{"already on it", fn("python3.12", "x86_64", "a:1", "shared:4"), []*attachWant{want(true, shared4)}, arns("a:1", "shared:4"), layer.StatusUnchanged, "", ""},
		{"named, appended", fn("python3.12", "x86_64", "a:1", "b:2"), []*attachWant{want(true, shared4)}, arns("a:1", "b:2", "shared:4"), layer.StatusWouldAttach, "", ""},
		{"named, no layers yet", fn("python3.12", "x86_64"), []*attachWant{want(true, shared4)}, arns("shared:4"), layer.StatusWouldAttach, "", ""},
		{"found by use, no longer uses it", fn("python3.12", "x86_64", "a:1"), []*attachWant{want(false, shared4)}, arns("a:1"), layer.StatusSkipped, "no longer uses layer shared", ""},
		{"a sixth layer", fn("python3.12", "x86_64", "a:1", "b:1", "c:1", "d:1", "e:1"), []*attachWant{want(true, shared4)}, arns("a:1", "b:1", "c:1", "d:1", "e:1", "shared:4"), layer.StatusRefused, "it would use 6 layers; Lambda allows 5", ""},
		{"five, replaced in place", fn("python3.12", "x86_64", "a:1", "b:1", "shared:3", "d:1", "e:1"), []*attachWant{want(true, shared4)}, arns("a:1", "b:1", "shared:4", "d:1", "e:1"), layer.StatusWouldAttach, "", ""},
		{"runtime", fn("nodejs22.x", "x86_64", "shared:3"), []*attachWant{want(false, shared4)}, arns("shared:4"), layer.StatusRefused, "its runtime nodejs22.x is not among shared:4's compatible runtimes (python3.12, python3.13)", ""},
		{"runtime of the same language", fn("python3.14", "x86_64", "shared:3"), []*attachWant{want(false, shared4)}, arns("shared:4"), layer.StatusRefused, "its runtime python3.14 is not among shared:4's compatible runtimes (python3.12, python3.13): if its code works on python3.14, add python3.14 to the layer's runtimes in the manifest and publish (a new version with the same content)", ""},
		{"architecture", fn("python3.12", "arm64", "shared-x86_64:3"), []*attachWant{want(false, x86Half)}, arns("shared-x86_64:3"), layer.StatusUnchanged, "", ""},
		{"architecture refused", fn("python3.12", "arm64", "shared-x86_64:1"), []*attachWant{want(false, x86Half)}, arns("shared-x86_64:3"), layer.StatusRefused, "its architecture arm64 is not among shared-x86_64:3's (x86_64)", ""},
		{"container image", fnConfig{PackageType: "Image", Architectures: []string{"x86_64"}}, []*attachWant{want(true, shared4)}, nil, layer.StatusRefused, "a container image function cannot use layers", ""},
		{"over 250 MB, even at least", withSize(fn("python3.12", "x86_64", "a:1", "shared:3"), 0, 10*mb), []*attachWant{want(false, big)}, arns("a:1", "shared:4"), layer.StatusRefused, "function and layers would be at least 251.0 MB unzipped; Lambda allows 250.0 MB", ""},
		{"split layer: the half for the function", fn("python3.12", "arm64", "a:1", "shared-x86_64:1"), []*attachWant{{family: "shared", candidates: []*attachCandidate{armHalf, x86Half}}}, arns("a:1", "shared-arm64:2"), layer.StatusWouldAttach, "", ""},
		{"used twice", fn("python3.12", "x86_64", "shared:1", "shared:2"), []*attachWant{want(false, shared4)}, arns("shared:1", "shared:2"), layer.StatusRefused, "uses layer shared 2 times (shared:1, shared:2)", ""},
		{"near 250 MB: cannot be known", fn("python3.12", "x86_64", "shared:3"), []*attachWant{want(false, near)}, arns("shared:4"), layer.StatusWouldAttach, "", "the exact total cannot be known"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := planAttach(tc.f, tc.wants)
			if p.status != tc.status {
				t.Fatalf("status %s (%s), want %s", p.status, p.reason, tc.status)
			}
			if tc.to != nil {
				if d := cmp.Diff(tc.to, p.to); d != "" {
					t.Errorf("Layers (-want +got):\n%s", d)
				}
			}
			if !strings.Contains(p.reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", p.reason, tc.reason)
			}
			if got := strings.Join(p.warnings, "\n"); !strings.Contains(got, tc.warn) || (tc.warn == "" && got != "") {
				t.Errorf("warnings %q, want %q", got, tc.warn)
			}
		})
	}
}

func TestPlanRevert(t *testing.T) {
	shared := want(false, &attachCandidate{version: lv("shared", 4, nil, nil)})
	tests := []struct {
		name          string
		cur, from, to []string
		want          []string
		changed       bool
	}{
		{"back in place", arns("a:1", "shared:4", "b:1"), arns("a:1", "shared:3", "b:1"), arns("a:1", "shared:4", "b:1"), arns("a:1", "shared:3", "b:1"), true},
		{"appended, removed", arns("a:1", "shared:4"), arns("a:1"), arns("a:1", "shared:4"), arns("a:1"), true},
		{"the only layer, removed", arns("shared:4"), []string{}, arns("shared:4"), []string{}, true},
		{"someone's change since is kept", arns("x:9", "a:1", "shared:4"), arns("a:1", "shared:3"), arns("a:1", "shared:4"), arns("x:9", "a:1", "shared:3"), true},
		{"already back", arns("a:1", "shared:3"), arns("a:1", "shared:3"), arns("a:1", "shared:4"), arns("a:1", "shared:3"), false},
		{"moved on since: left alone", arns("a:1", "shared:5"), arns("a:1", "shared:3"), arns("a:1", "shared:4"), arns("a:1", "shared:5"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := planRevert(tc.cur, tc.from, tc.to, []*attachWant{shared})
			if d := cmp.Diff(tc.want, got); d != "" || changed != tc.changed {
				t.Errorf("changed %v, want %v; Layers (-want +got):\n%s", changed, tc.changed, d)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
