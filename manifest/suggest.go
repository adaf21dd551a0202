package manifest

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to name
// within edit distance 2, or "" if there is none.
func didYouMean(name string, candidates []string) string {
	best, bestDist := "", 3
	n := utf8.RuneCountInString(name)
	for _, c := range candidates {
		// Lengths that differ by bestDist or more are at least that far
		// apart: no need to compare (a long value would cost its length
		// times the candidate's).
		if abs(n-utf8.RuneCountInString(c)) >= bestDist {
			continue
		}
		// A short candidate is within 2 edits of nearly anything.
		if d := editDistance(name, c); d < bestDist && d < len(c) && c != name {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// runtimeHint lists the supported runtimes worth suggesting in place of the
// unknown runtime r: those of its family (python, nodejs, ...) if there are
// any, else all. Deprecated runtimes are valid but never suggested.
func runtimeHint(r string, now time.Time) string {
	family := lambdafacts.RuntimeFamily(r)
	var same, all []string
	for _, v := range lambdafacts.Runtimes() {
		if lambdafacts.DeprecatedAt(v, now) {
			continue
		}
		all = append(all, v)
		if lambdafacts.RuntimeFamily(v) == family {
			same = append(same, v)
		}
	}
	if len(same) == 0 {
		same = all
	}
	hint := "valid: " + strings.Join(same, ", ")
	if lower := strings.ToLower(r); lower != r && lambdafacts.ValidRuntime(lower) {
		return hint + fmt.Sprintf(" (did you mean %q?)", lower)
	}
	return hint + didYouMean(r, all)
}
