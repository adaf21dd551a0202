package versions

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

func TestMetaChanged(t *testing.T) {
	base := Meta{Description: "d", License: "MIT", Runtimes: []string{"python3.12", "python3.13"}, Architectures: []string{"x86_64"}}
	tests := []struct {
		name string
		want func(*Meta)
		diff []string
	}{
		{"the same", func(*Meta) {}, nil},
		{"runtimes in another order, one twice", func(m *Meta) { m.Runtimes = []string{"python3.13", "python3.12", "python3.13"} }, nil},
		{"a runtime added", func(m *Meta) { m.Runtimes = append(m.Runtimes, "python3.14") }, []string{"runtimes"}},
		{"a runtime removed", func(m *Meta) { m.Runtimes = m.Runtimes[:1] }, []string{"runtimes"}},
		{"no runtimes", func(m *Meta) { m.Runtimes = nil }, []string{"runtimes"}},
		{"an architecture added", func(m *Meta) { m.Architectures = []string{"arm64", "x86_64"} }, []string{"architectures"}},
		{"an architecture swapped", func(m *Meta) { m.Architectures = []string{"arm64"} }, []string{"architectures"}},
		{"the license", func(m *Meta) { m.License = "Apache-2.0" }, []string{"license"}},
		{"no license", func(m *Meta) { m.License = "" }, []string{"license"}},
		{"the description", func(m *Meta) { m.Description = "d2" }, []string{"description"}},
		{"everything", func(m *Meta) { *m = Meta{Description: "x", Runtimes: []string{"nodejs22.x"}} }, []string{"runtimes", "architectures", "license", "description"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := base
			want.Runtimes, want.Architectures = slices.Clone(base.Runtimes), slices.Clone(base.Architectures)
			tc.want(&want)
			if got := base.Changed(want); !slices.Equal(got, tc.diff) {
				t.Errorf("Changed = %v, want %v", got, tc.diff)
			}
		})
	}
}

// published is content in the double: its ZIP bytes and digests.
type published struct {
	sha256Hex, codeSHA256 string
	zip                   []byte
}

func content(b string) published {
	sum := sha256.Sum256([]byte(b))
	return published{hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), []byte(b)}
}

func publishTo(t *testing.T, lc *lambda.Client, c published, m Meta) int64 {
	t.Helper()
	in := &lambda.PublishLayerVersionInput{LayerName: aws.String("l"), Content: &types.LayerVersionContentInput{ZipFile: c.zip},
		Description: aws.String(m.Description)}
	if m.License != "" {
		in.LicenseInfo = aws.String(m.License)
	}
	for _, r := range m.Runtimes {
		in.CompatibleRuntimes = append(in.CompatibleRuntimes, types.Runtime(r))
	}
	for _, a := range m.Architectures {
		in.CompatibleArchitectures = append(in.CompatibleArchitectures, types.Architecture(a))
	}
	out, err := lc.PublishLayerVersion(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Version
}

func number(v *Version) int64 {
	if v == nil {
		return 0
	}
	return v.Number
}

// FindExact takes only a version with the content and the metadata asked
// for, wherever it is listed, and names the newest one with the content
// and other metadata when none has both.
func TestFindExact(t *testing.T) {
	fake := fakelambda.New()
	t.Cleanup(fake.Close)
	fake.PageSize = 2
	lc := testenv.LambdaAt(fake.URL, "us-east-1")
	ctx := context.Background()
	a, b := content("a"), content("b")
	meta := func(c published, runtimes ...string) Meta {
		return Meta{Description: "shared" + manifest.DigestTag(c.sha256Hex), Runtimes: runtimes, Architectures: []string{"x86_64"}}
	}
	publishTo(t, lc, a, meta(a, "python3.12"))                                          // 1
	publishTo(t, lc, a, meta(a, "python3.12", "python3.13"))                            // 2
	publishTo(t, lc, b, meta(b, "python3.12"))                                          // 3
	publishTo(t, lc, b, Meta{Description: meta(a).Description})                         // 4: a's tag, other bytes
	publishTo(t, lc, a, Meta{Description: "by hand", Runtimes: []string{"python3.12"}}) // 5: no tag

	tests := []struct {
		name         string
		c            published
		want         Meta
		hint         int64
		exact, other int64
	}{
		{"the first version, on the last page", a, meta(a, "python3.12"), 0, 1, 0},
		{"runtimes in another order", a, meta(a, "python3.13", "python3.12"), 0, 2, 0},
		{"the hint", a, meta(a, "python3.12", "python3.13"), 2, 2, 0},
		{"a hint with other metadata", a, meta(a, "python3.12"), 2, 1, 0},
		{"a runtime no version has", a, meta(a, "python3.14"), 0, 0, 2},
		{"an architecture no version has", a, Meta{Description: meta(a).Description, Runtimes: []string{"python3.12"}, Architectures: []string{"arm64"}}, 1, 0, 2},
		{"a license no version has", a, Meta{Description: meta(a).Description, License: "MIT", Runtimes: []string{"python3.12"}, Architectures: []string{"x86_64"}}, 0, 0, 2},
		{"another description", b, Meta{Description: "new" + manifest.DigestTag(b.sha256Hex), Runtimes: []string{"python3.12"}, Architectures: []string{"x86_64"}}, 0, 0, 3},
		{"content never published", content("c"), meta(content("c"), "python3.12"), 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var warnings []string
			warnf := func(f string, args ...any) { warnings = append(warnings, f) }
			exact, other, err := FindExact(ctx, lc, "l", tc.c.sha256Hex, tc.c.codeSHA256, tc.want, tc.hint, warnf)
			if err != nil {
				t.Fatal(err)
			}
			if number(exact) != tc.exact || number(other) != tc.other {
				t.Errorf("FindExact = %d, other %d; want %d, other %d", number(exact), number(other), tc.exact, tc.other)
			}
			if tc.c.sha256Hex == a.sha256Hex && tc.exact == 0 && len(warnings) != 1 {
				t.Errorf("version 4 (a's tag, b's bytes) not warned of: %v", warnings)
			}
		})
	}

	// Find, for content alone, takes the first version listed that holds it.
	v, err := Find(ctx, lc, "l", a.sha256Hex, a.codeSHA256, 0, nil)
	if err != nil || number(v) != 2 {
		t.Errorf("Find = %d, %v; want version 2, the newest holding a", number(v), err)
	}
	if v.License != "" || v.Description != meta(a).Description || !slices.Equal(v.Runtimes, []string{"python3.12", "python3.13"}) {
		t.Errorf("version 2 read as %+v", v)
	}
}
