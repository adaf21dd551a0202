package lambdafacts

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

var runtimes = sync.OnceValue(func() []string {
	var out []string
	for _, r := range types.Runtime("").Values() {
		out = append(out, string(r))
	}
	slices.SortFunc(out, CompareNatural)
	return out
})

// Runtimes returns the Lambda runtime identifiers the SDK knows, sorted with
// version numbers in numeric order (python3.9 before python3.10).
func Runtimes() []string {
	return slices.Clone(runtimes())
}

// ValidRuntime reports whether r is a runtime identifier the SDK knows.
func ValidRuntime(r string) bool {
	return slices.Contains(runtimes(), r)
}

// Runtime families with layer paths of their own (see PathFamily).
const (
	Python = "python"
	NodeJS = "nodejs"
	Java   = "java"
	Ruby   = "ruby"
)

// RuntimeFamily is the lower-cased letters before the first digit or dot:
// "python" for python3.12, "nodejs" for nodejs22.x, "provided" for
// provided.al2023.
func RuntimeFamily(r string) string {
	r = strings.ToLower(r)
	if i := strings.IndexFunc(r, func(c rune) bool { return c < 'a' || c > 'z' }); i >= 0 {
		return r[:i]
	}
	return r
}

// runtimeVersion is the version right after a runtime's family: "3.12" of
// python3.12, "22.x"'s "22" is taken by NodeMajor.
var runtimeVersion = regexp.MustCompile(`^[0-9]+(?:\.[0-9]+)?`)

// PathFamily is the family whose layer paths (see Home) the runtime rt
// reads, with the version those paths name: python and "3.12", nodejs and
// "22", java and "21", ruby and "3.3"; or "" for runtimes that read only
// the paths every runtime reads (bin/, lib/, extensions/), and for names
// with no version.
func PathFamily(rt string) (family, version string) {
	lower := strings.ToLower(rt) // RuntimeFamily's length is the lower-cased one's
	family = RuntimeFamily(lower)
	version = runtimeVersion.FindString(lower[len(family):])
	if version == "" {
		return "", ""
	}
	switch family {
	case Python, Java, Ruby:
		return family, version
	case NodeJS:
		return family, strings.SplitN(version, ".", 2)[0]
	}
	return "", ""
}

// PythonVersion returns "3.12" for python3.12, or "" for other runtimes.
func PythonVersion(runtime string) string {
	if RuntimeFamily(runtime) != Python {
		return ""
	}
	return strings.TrimPrefix(runtime, "python")
}

// NodeMajor returns "22" for nodejs22.x, or "" for other runtimes.
func NodeMajor(runtime string) string {
	if RuntimeFamily(runtime) != NodeJS {
		return ""
	}
	v := strings.TrimPrefix(runtime, "nodejs")
	v, _, _ = strings.Cut(v, ".")
	return v
}

// CompareNatural orders strings by runs of digits numerically and by
// everything else bytewise, falling back to bytewise for ties like "01"/"1".
func CompareNatural(a, b string) int {
	return cmp.Or(naturalOrder(a, b), strings.Compare(a, b))
}

func naturalOrder(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da != db {
			return strings.Compare(a, b)
		}
		var ra, rb string
		ra, a = splitRun(a, da)
		rb, b = splitRun(b, db)
		if da {
			na, nb := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			ra, rb = na, nb
		}
		if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// splitRun splits s after its leading run of digits (digits true) or non-digits.
func splitRun(s string, digits bool) (run, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i], s[i:]
}
