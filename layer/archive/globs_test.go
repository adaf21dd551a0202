package archive

import (
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

// The prefilter never changes what a pattern matches.
func TestGlobsMatchAsDoublestarDoes(t *testing.T) {
	patterns := append([]string{
		"**/tests/**", "python/**/tests/**", "**/*.md", "*.txt", "python/a?c/**", "**/x/*/y",
		"**/{a,b}/**", "**/[ab]c", `**/\*lit`, "**", "python", "python/", "**/", "a**b",
	}, DefaultExcludes...)
	names := []string{
		"python/tests", "python/tests/x.py", "python/pkg/tests/a/b.py", "tests", "README.md", "docs/x.md", "x.txt",
		"a/x.txt", "python/abc/z", "python/axc", "q/x/m/y", "x/m/y", "a/b/c", "a", "b", "ac", "bc", "*lit", "x/*lit",
		"python", "python/", "ab", "aXb", "__pycache__", "python/__pycache__", "python/__pycache__/m.pyc", "m.pyc",
		".git", "a/.git/HEAD", ".DS_Store", "a/.DS_Store", "a.pycx", "",
	}
	for _, p := range patterns {
		g := compileGlobs([]string{p})
		for _, n := range names {
			want, _ := doublestar.Match(p, n)
			if got := g.match(n); got != want {
				t.Errorf("%q against %q: %v, doublestar says %v", p, n, got, want)
			}
		}
	}
}
