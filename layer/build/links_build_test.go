package build

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

// symlinks makes links (name -> target) under dir.
func symlinks(t *testing.T, dir string, links map[string]string) {
	t.Helper()
	for name, target := range links {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
}

// Two links that each stay inside on their own, chained, climb above /opt:
// the build follows the chain as Linux will and refuses it.
func TestBuildRefusesALinkChainThatLeaves(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/ok.txt": "x", "src/d/e/f.txt": "y"})
	symlinks(t, dir, map[string]string{"src/d/e/s": "..", "src/x": "d/e/s/../../.."})
	l := &manifest.Layer{Name: "native", Runtimes: []string{"provided.al2023"}, Architectures: []string{"x86_64"}, Files: []manifest.FileMap{{From: "src", To: "lib"}}}
	out := filepath.Join(t.TempDir(), "dist")
	_, err := build(t, dir, l, Options{OutDir: out})
	want := `layer "native": symlink src/x -> d/e/s/../../.. points outside the layer: lib/d/e/s is a link to .., so lib/x resolves above /opt: replace it with what it points to, or exclude it`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	assertEmptyDir(t, out)
}

// A target that path.Join would put above the layer but that Linux
// resolves inside it, through a link to a deeper folder, is kept.
func TestBuildKeepsALinkThatResolvesInside(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/d/e/f.txt": "y", "src/top.txt": "z"})
	symlinks(t, dir, map[string]string{"src/l": "d/e", "src/x": "l/../../top.txt"})
	l := &manifest.Layer{Name: "native", Runtimes: []string{"provided.al2023"}, Architectures: []string{"x86_64"}, Files: []manifest.FileMap{{From: "src", To: "lib"}}}
	a := mustBuild(t, dir, l, Options{})
	heads, data, _ := testenv.ReadZip(t, a.Path)
	if h := heads["lib/x"]; h == nil || h.Mode()&os.ModeSymlink == 0 || data["lib/x"] != "l/../../top.txt" {
		t.Fatalf("lib/x not stored as a link: %v", heads["lib/x"])
	}
	if !strings.Contains(strings.Join(keys(data), ","), "lib/l") {
		t.Error("lib/l missing")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A from: that is a symlink to a folder is followed: its files go into
// the layer, not nothing with exit 0. One to a file works as before.
func TestBuildFollowsAFromThatIsALink(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"real/pkg/__init__.py": "", "real/pkg/core.py": "X = 1\n", "real/tool*": "#!/bin/sh\n"})
	symlinks(t, dir, map[string]string{"src": "real/pkg", "tool-link": "real/tool", "real/pkg/alias.py": "core.py"})
	l := testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python/pkg"}, manifest.FileMap{From: "tool-link", To: "bin/tool"})
	a := mustBuild(t, dir, l, Options{})
	heads, data, names := testenv.ReadZip(t, a.Path)
	want := "bin/,bin/tool,python/,python/pkg/,python/pkg/__init__.py,python/pkg/alias.py,python/pkg/core.py"
	if got := strings.Join(names, ","); got != want {
		t.Fatalf("entries %s\nwant    %s", got, want)
	}
	if data["python/pkg/core.py"] != "X = 1\n" || heads["bin/tool"].Mode().Perm() != 0o755 {
		t.Error("content or execute bit lost")
	}
	if heads["python/pkg/alias.py"].Mode()&os.ModeSymlink == 0 {
		t.Error("a link inside the source was not kept as a link")
	}
}

// An output folder that is a source (here through a symlink) or holds one
// is refused before anything is written; one inside a source reached
// through a symlink is left out of the walk, cache path included.
func TestBuildOutputFolderNeverPacksItself(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/a.py": "a"})
	symlinks(t, dir, map[string]string{"srclink": "src"})
	l := testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"})
	for _, tc := range []struct{ out, want string }{
		{filepath.Join(dir, "srclink"), "the output folder " + filepath.Join(dir, "srclink") + " is the source folder of layers.l.files[0] (src): pick a folder outside it"},
		{dir, "the output folder " + dir + " holds the source of layers.l.files[0] (src): pick a folder outside it"},
	} {
		_, err := build(t, dir, l, Options{OutDir: tc.out})
		var oe *OutputError
		if !errors.As(err, &oe) || err.Error() != tc.want {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "src", CacheDirName)); err == nil {
		t.Error("a cache was made in the source")
	}

	out := filepath.Join(dir, "srclink", "dist")
	var digests []string
	for range 3 {
		a := mustBuild(t, dir, l, Options{OutDir: out})
		digests = append(digests, a.SHA256)
		if a.Files != 1 {
			t.Fatalf("%d files: the output folder was packed", a.Files)
		}
	}
	if digests[0] != digests[1] || digests[1] != digests[2] {
		t.Errorf("three builds, digests %v", digests)
	}
}
