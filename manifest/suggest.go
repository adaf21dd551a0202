package manifest

import (
	"fmt"
	"unicode/utf8"
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
