package python

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPipLineReading(t *testing.T) {
	lines := pySplitLines("a\r\nb\rc\vd\fe\x1cf\u2028g\u0085h\n\ni")
	if d := cmp.Diff([]string{"a", "b", "c", "d", "e", "f", "g", "h", "", "i"}, lines); d != "" {
		t.Errorf("pySplitLines (-want +got):\n%s", d)
	}
	for in, want := range map[string]string{
		"x # c":        "x",
		"x#c":          "x#c",
		"# c":          "",
		"x\u00a0# c":   "x",
		"url#frag # c": "url#frag",
	} {
		if got := stripRequirementComment(in); got != want {
			t.Errorf("stripRequirementComment(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string][]string{
		`--a "b c" 'd e'`: {"--a", "b c", "d e"},
		`--x=\:none\:`:    {"--x=:none:"},
		`"a\"b"`:          {`a"b`},
		`"a\b"`:           {`a\b`},
	} {
		got, err := shlexSplit(in)
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("shlexSplit(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
}
