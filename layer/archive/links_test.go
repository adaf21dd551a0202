package archive

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/testenv"
)

// treeSpec is a tree for the resolver: "name" a file, "name/" a folder,
// "name -> target" a symlink.
func treeOf(spec []string) *LinkTree {
	t := NewLinkTree()
	for _, s := range spec {
		name, target, isLink := strings.Cut(s, " -> ")
		switch {
		case isLink:
			t.Add(name, KindSymlink, target)
		case strings.HasSuffix(name, "/"):
			t.Add(name, KindDir, "")
		default:
			t.Add(name, KindFile, "")
		}
	}
	return t
}

func linkChain(n int, last string) []string {
	var spec []string
	for i := 1; i < n; i++ {
		spec = append(spec, fmt.Sprintf("l%d -> l%d", i, i+1))
	}
	return append(spec, fmt.Sprintf("l%d -> %s", n, last), "f")
}

func TestLinkResolver(t *testing.T) {
	tests := []struct {
		name string
		tree []string
		link string
		want string // "" when the link resolves inside the tree
	}{
		{"sibling", []string{"lib/libfoo.so.1", "lib/libfoo.so -> libfoo.so.1"}, "lib/libfoo.so", ""},
		{"into a folder", []string{"lib/v1/x", "lib/current -> v1"}, "lib/current", ""},
		{"up one level inside", []string{"a/x -> ../f", "f"}, "a/x", ""},
		{"to the root", []string{"a/up -> ..", "f"}, "a/up", ""},
		{"the issue's chain", []string{"d/e/s -> ..", "x -> d/e/s/../../.."}, "x",
			"points outside the layer: d/e/s is a link to .., so x resolves above /opt"},
		{"lexically outside, physically inside", []string{"d/e/", "l -> d/e", "f", "x -> l/../../f"}, "x", ""},
		{"dot dot at the root", []string{"x -> .."}, "x", "points outside the layer: it resolves above /opt"},
		{"dot dot deep", []string{"a/b/x -> ../../../etc/passwd"}, "a/b/x", "points outside the layer: it resolves above /opt"},
		{"through a linked folder", []string{"d/f", "l -> d", "x -> l/f"}, "x", ""},
		{"a link to a folder that is itself a link", []string{"d/f", "b -> d", "a -> b", "x -> a/f"}, "x", ""},
		{"through a linked folder, then out", []string{"d/e/f", "l -> d/e", "x -> l/../../.."}, "x",
			"points outside the layer: l is a link to d/e, so x resolves above /opt"},
		{"a link to a link that leaves", []string{"a -> ..", "x -> a"}, "x", "points outside the layer: a is a link to .., so x resolves above /opt"},
		{"absolute", []string{"x -> /etc/passwd"}, "x", "is absolute, so it points outside the layer"},
		{"absolute in the middle", []string{"l -> /opt/python", "x -> l/y"}, "x", "points outside the layer: l is a link to the absolute path /opt/python"},
		{"dangling", []string{"x -> missing.so"}, "x", "points to missing.so, which is not in the layer"},
		{"dangling through a link", []string{"d/", "l -> d", "x -> l/missing"}, "x", "points to d/missing, which is not in the layer (after following l -> d)"},
		{"empty target", []string{"x -> "}, "x", "points to nothing: its target is empty"},
		{"a file used as a folder", []string{"f", "x -> f/y"}, "x", "goes through f, which is a file, not a folder"},
		{"a file with a trailing slash", []string{"f", "x -> f/"}, "x", "goes through f, which is a file, not a folder"},
		{"loop of two", []string{"a -> b", "b -> a"}, "a", "never resolves: it loops or goes through more than 40 links (a -> b -> a)"},
		{"itself", []string{"s -> s"}, "s", "never resolves: it loops or goes through more than 40 links (s -> s)"},
		{"into a loop", []string{"a -> b", "b -> a", "x -> a/f"}, "x", "never resolves: it loops or goes through more than 40 links (x -> a -> b -> a)"},
		{"itself as a folder", []string{"s -> s/x"}, "s", "never resolves"},
		{"a link inside a linked folder", []string{"l -> .", "l/x -> ../f", "f"}, "l/x", "is inside l, which is not a folder"},
		{"a target longer than Linux allows", []string{"f", "x -> " + strings.Repeat("./", 2048) + "f"}, "x", "has a target longer than the 4095 bytes Linux allows"},
		{"the longest target Linux allows", []string{"f", "x -> " + strings.Repeat("./", 2046) + "./f"}, "x", ""},
		{"40 links in a row", linkChain(40, "f"), "l1", ""},
		{"41 links in a row", linkChain(41, "f"), "l1", "never resolves: it loops or goes through more than 40 links (l1 -> l2)"},
		{"40 links after another", append(linkChain(40, "f"), "x -> l1"), "x", "never resolves: it loops or goes through more than 40 links (x -> l1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if p := treeOf(tc.tree).resolve(tc.link); p != nil {
				got = p.Explain(LayerScope)
			}
			switch {
			case tc.want == "" && got != "":
				t.Fatalf("refused: %s", got)
			case tc.want != "" && !strings.HasPrefix(got, tc.want):
				t.Fatalf("got %q, want it to start with %q", got, tc.want)
			}
			agreeWithKernel(t, tc.tree, tc.link, got == "")
		})
	}
}

// agreeWithKernel makes the tree on disk, under a folder with a decoy
// above it, and checks that Linux resolves the link inside the tree
// exactly when the resolver says it does.
func agreeWithKernel(t *testing.T, spec []string, link string, inside bool) {
	t.Helper()
	top := t.TempDir()
	root := filepath.Join(top, "a", "b", "opt")
	testenv.Tree(t, top, map[string]string{"etc/passwd": "decoy", "f": "decoy", "a/f": "decoy", "a/b/f": "decoy"})
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range spec {
		name, target, isLink := strings.Cut(s, " -> ")
		p := filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(name, "/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case isLink && target == "":
			continue // Linux makes no link to nothing: nothing to compare
		case isLink:
			err := os.Symlink(target, p)
			if errors.Is(err, syscall.ENAMETOOLONG) {
				if inside {
					t.Errorf("Linux refuses to make %s, the resolver takes it", name)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		case strings.HasSuffix(name, "/"):
			os.MkdirAll(p, 0o755)
		default:
			os.WriteFile(p, []byte("x"), 0o644)
		}
	}
	lp := filepath.Join(root, filepath.FromSlash(link))
	if _, err := os.Lstat(lp); err != nil {
		return
	}
	// open(2) follows every link with the kernel's own rules and limit.
	var st syscall.Stat_t
	err := syscall.Stat(lp, &st)
	kernelInside := false
	if err == nil {
		real, err := filepath.EvalSymlinks(lp)
		kernelInside = err == nil && (real == root || strings.HasPrefix(real, root+string(filepath.Separator)))
	} else if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ELOOP) && !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("stat: %v", err)
	}
	if kernelInside != inside {
		t.Errorf("Linux resolves %s inside the tree: %v (stat: %v); the resolver says %v", link, kernelInside, err, inside)
	}
}

func TestLinkTreeCheckSortsAndSkipsGoodLinks(t *testing.T) {
	tr := treeOf([]string{"f", "z -> ..", "a -> f", "m -> missing"})
	var got []string
	for _, p := range tr.Check() {
		got = append(got, p.Link)
	}
	if strings.Join(got, ",") != "m,z" {
		t.Errorf("problems for %v, want m and z", got)
	}
}

// Hostile trees: every link resolved once, so thousands of links chained
// through long targets cost about their size, not links × hops × parts.
func TestLinkResolverWorkIsBounded(t *testing.T) {
	const n = 5000
	pad := strings.Repeat("./", 1900) // each target near Linux's 4095 bytes
	tr := NewLinkTree()
	tr.Add("d/f", KindFile, "")
	for i := range n {
		// Chains of 39 links, each ending in a folder...
		next := fmt.Sprintf("l%d", i+1)
		if i%39 == 38 || i == n-1 {
			next = "d"
		}
		tr.Add(fmt.Sprintf("l%d", i), KindSymlink, pad+next)
		// ...and n links that go through the start of it.
		tr.Add(fmt.Sprintf("x%d", i), KindSymlink, pad+"l0/f")
	}
	start := time.Now()
	problems := tr.Check()
	took := time.Since(start)
	if len(problems) != 0 {
		t.Fatalf("%d problems, first: %s", len(problems), problems[0].Explain(LayerScope))
	}
	t.Logf("%d links with %d-byte targets resolved in %v", 2*n, len(pad)+5, took)
	if took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

// A chain longer than the resolver goes deep at once: exactly the links
// more than 40 from its end are refused, and the stack stays small.
func TestLinkResolverLongChains(t *testing.T) {
	for _, n := range []int{maxResolveDepth - 1, maxResolveDepth + 1, 3*maxResolveDepth + 17, 200_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tr := NewLinkTree()
			tr.Add("f", KindFile, "")
			for i := range n {
				next := fmt.Sprintf("l%d", i+1)
				if i == n-1 {
					next = "f"
				}
				tr.Add(fmt.Sprintf("l%d", i), KindSymlink, next)
			}
			start := time.Now()
			problems := tr.Check()
			took := time.Since(start)
			refused := map[string]bool{}
			for _, p := range problems {
				if p.kind != linkLoops {
					t.Fatalf("%s: %s", p.Link, p.Explain(LayerScope))
				}
				refused[p.Link] = true
			}
			for i := range n {
				if want := n-i > maxLinkHops; refused[fmt.Sprintf("l%d", i)] != want {
					t.Fatalf("l%d of %d: refused %v, want %v", i, n, !want, want)
				}
			}
			t.Logf("%d links in %v", n, took)
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}
