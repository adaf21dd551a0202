package build

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/manifest"
)

// aged sets every file's times an hour back, as files are when a build
// runs in real life. Their change times cannot be set back, so the racy
// window is closed for the test: files it just wrote count as settled.
// (Not for parallel tests.)
func aged(t *testing.T, dir string) {
	t.Helper()
	testenv.TouchAll(t, dir, time.Now().Add(-time.Hour))
	old := racyWindow
	racyWindow = 0
	t.Cleanup(func() { racyWindow = old })
}

func cacheLayer() *manifest.Layer {
	return testenv.PyLayer("app",
		manifest.FileMap{From: "src", To: "python/app"},
		manifest.FileMap{From: "tool", To: "bin/tool"},
	)
}

func TestRebuildWithNothingChangedIsSkipped(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "src/core.py": "X = 1\n", "tool*": "#!/bin/sh\n"})
	aged(t, dir)
	first, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	second, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || !second.Cached {
		t.Fatalf("cached: first %v, second %v; want false, true", first.Cached, second.Cached)
	}
	first.Cached = false
	second.Cached = false
	if d := cmp.Diff(first, second); d != "" {
		t.Errorf("the cached artifact differs from the built one (-built +cached):\n%s", d)
	}
	// The memo vouched for every input: nothing was read the second time.
	m := newHashMemo(filepath.Join(out, CacheDirName, "files.memo"), false)
	m.load()
	for _, f := range []string{"src/__init__.py", "src/core.py", "tool"} {
		if _, ok := m.entries[filepath.Join(dir, f)]; !ok {
			t.Errorf("%s has no remembered digest", f)
		}
	}
}

func TestChangedInputAlwaysRebuilds(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, dir string, l *manifest.Layer, opts *Options)
		sameZIP bool // the setting decides the ZIP in general, not this one
	}{
		{"content, same size and mtime", func(t *testing.T, dir string, _ *manifest.Layer, _ *Options) {
			p := filepath.Join(dir, "src/core.py")
			info, _ := os.Stat(p)
			os.WriteFile(p, []byte("X = 2\n"), 0o644)
			os.Chtimes(p, info.ModTime(), info.ModTime()) // only the ctime tells
		}, false},
		{"a new file", func(t *testing.T, dir string, _ *manifest.Layer, _ *Options) {
			os.WriteFile(filepath.Join(dir, "src/new.py"), nil, 0o644)
		}, false},
		{"a removed file", func(t *testing.T, dir string, _ *manifest.Layer, _ *Options) {
			os.Remove(filepath.Join(dir, "src/core.py"))
		}, false},
		{"an execute bit", func(t *testing.T, dir string, _ *manifest.Layer, _ *Options) {
			os.Chmod(filepath.Join(dir, "tool"), 0o644)
		}, false},
		{"a file swapped for another of the same size and times", func(t *testing.T, dir string, _ *manifest.Layer, _ *Options) {
			p := filepath.Join(dir, "src/core.py")
			info, _ := os.Stat(p)
			os.WriteFile(p+".new", []byte("X = 3\n"), 0o644)
			os.Chtimes(p+".new", info.ModTime(), info.ModTime())
			os.Rename(p+".new", p)
		}, false},
		{"a symlink's target", func(t *testing.T, dir string, _ *manifest.Layer, _ *Options) {
			os.Remove(filepath.Join(dir, "src/link.py"))
			os.Symlink("core.py", filepath.Join(dir, "src/link.py"))
		}, false},
		{"the manifest's exclude", func(t *testing.T, _ string, l *manifest.Layer, _ *Options) {
			l.Exclude = []string{"**/core.py"}
		}, false},
		{"a files entry's to", func(t *testing.T, _ string, l *manifest.Layer, _ *Options) {
			l.Files[0].To = "python/app2"
		}, false},
		{"SOURCE_DATE_EPOCH", func(t *testing.T, _ string, _ *manifest.Layer, opts *Options) {
			opts.Modified = time.Unix(1700000000, 0)
		}, false},
		{"the runtimes", func(t *testing.T, _ string, l *manifest.Layer, _ *Options) {
			l.Runtimes = []string{"python3.13"}
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, out := t.TempDir(), t.TempDir()
			testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "src/core.py": "X = 1\n", "tool*": "#!/bin/sh\n"})
			os.Symlink("__init__.py", filepath.Join(dir, "src/link.py"))
			aged(t, dir)
			l := cacheLayer()
			l.Architectures, l.DefaultExcludes = []string{"x86_64"}, true
			m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
			opts := Options{OutDir: out, Modified: layer.DefaultModified}
			first, err := Build(t.Context(), m, l, opts)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := Build(t.Context(), m, l, opts); again == nil || !again.Cached {
				t.Fatal("the unchanged rebuild was not skipped")
			}
			tc.change(t, dir, l, &opts)
			second, err := Build(t.Context(), m, l, opts)
			if err != nil {
				t.Fatal(err)
			}
			if second.Cached {
				t.Fatalf("%s changed, but the build cache answered", tc.name)
			}
			if (second.SHA256 == first.SHA256) != tc.sameZIP {
				t.Errorf("%s changed: same ZIP %v, want %v", tc.name, second.SHA256 == first.SHA256, tc.sameZIP)
			}
		})
	}
}

func TestNoCacheRebuildsAndRehashes(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "src/core.py": "X = 1\n", "tool*": "#!/bin/sh\n"})
	aged(t, dir)
	if _, err := buildLayer(t, dir, out, cacheLayer(), false); err != nil {
		t.Fatal(err)
	}
	// Corrupt the memo: core.py's new stat maps to its old digest, so the
	// cache answers with the old ZIP although the file changed...
	p := filepath.Join(dir, "src/core.py")
	os.WriteFile(p, []byte("X = 9\n"), 0o644)
	aged(t, dir)
	info, _ := os.Lstat(p)
	m := newHashMemo(filepath.Join(out, CacheDirName, "files.memo"), false)
	m.load()
	e := m.entries[p]
	e.Stat, _ = archive.StatOf(info)
	m.entries[p] = e
	m.dirty = true
	if err := m.save(); err != nil {
		t.Fatal(err)
	}
	stale, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil || !stale.Cached {
		t.Fatalf("setup: the corrupted memo should have fooled the cache: %v %v", stale, err)
	}
	// ...and --no-cache trusts nothing: it reads every input and rebuilds.
	fresh, err := buildLayer(t, dir, out, cacheLayer(), true)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Cached || fresh.SHA256 == stale.SHA256 {
		t.Errorf("--no-cache: cached %v, same digest %v", fresh.Cached, fresh.SHA256 == stale.SHA256)
	}
	// The rebuilt result is recorded, with correct digests.
	again, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil || !again.Cached || again.SHA256 != fresh.SHA256 {
		t.Errorf("after --no-cache: %+v %v", again, err)
	}
}

func TestCachedArtifactMustStillBeThere(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "tool*": "#!/bin/sh\n"})
	aged(t, dir)
	first, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	// Tampered with: rebuilt.
	data, _ := os.ReadFile(first.Path)
	data[len(data)-30] ^= 0xff
	os.WriteFile(first.Path, data, 0o644)
	a, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil || a.Cached {
		t.Fatalf("a tampered ZIP was served from the cache: %v %v", a, err)
	}
	if b, _ := os.ReadFile(first.Path); bytes.Equal(b, data) {
		t.Error("the tampered ZIP is still there")
	}
	// Deleted: rebuilt.
	os.Remove(first.Path)
	a, err = buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil || a.Cached {
		t.Fatalf("a deleted ZIP was served from the cache: %v %v", a, err)
	}
	// Copied back with new times but the same bytes: served.
	b, _ := os.ReadFile(first.Path)
	os.Remove(first.Path)
	os.WriteFile(first.Path, b, 0o644)
	a, err = buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil || !a.Cached {
		t.Fatalf("the same bytes, touched: %v %v", a, err)
	}
}

// Files written just now may change again within their timestamp's tick:
// their digests are used but not remembered, and the build is still
// cached, by content.
func TestRacyFilesAreNotRemembered(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "tool*": "#!/bin/sh\n"})
	if _, err := buildLayer(t, dir, out, cacheLayer(), false); err != nil {
		t.Fatal(err)
	}
	m := newHashMemo(filepath.Join(out, CacheDirName, "files.memo"), false)
	m.load()
	if _, ok := m.entries[filepath.Join(dir, "tool")]; ok {
		t.Error("a file written a moment ago was remembered by its stat")
	}
	a, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil || !a.Cached {
		t.Fatalf("rebuild: %v %v", a, err)
	}
}

func TestMemoFileRoundTrip(t *testing.T) {
	in := map[string]memoEntry{
		"/a/b":      {Stat: archive.FileStat{Dev: 1, Ino: 2, Size: 3, Mode: 0o644, Mtime: -5, Ctime: 1 << 62}, Sum: [32]byte{1, 2, 3}},
		"/ünïcode ": {Stat: archive.FileStat{Size: 1 << 40}, Sum: [32]byte{31: 9}},
	}
	var buf bytes.Buffer
	if err := encodeMemo(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := decodeMemo(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Errorf("round trip (-in +out):\n%s", d)
	}
	for _, bad := range [][]byte{nil, []byte("junk"), buf.Bytes()[:buf.Len()-1]} {
		if _, err := decodeMemo(bad); err == nil {
			t.Errorf("decoded %q", bad)
		}
	}
}

func TestCacheLivesInTheOutputFolder(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "tool*": "#!/bin/sh\n"})
	aged(t, dir)
	if _, err := buildLayer(t, dir, out, cacheLayer(), false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"CACHEDIR.TAG", ".gitignore", "files.memo"} {
		if _, err := os.Stat(filepath.Join(out, CacheDirName, f)); err != nil {
			t.Error(err)
		}
	}
	// The build's entry, and beside it its ZIP's index (zipindex.go).
	if c := cacheEntries(t, out); len(c) != 2 || !strings.HasPrefix(c[0], "app-") || strings.TrimSuffix(c[0], ".json")+".zidx" != c[1] {
		t.Errorf("cache entries: %v", c)
	}
}

func TestStanzaCoversWhatDecidesTheZIP(t *testing.T) {
	base := func() *manifest.Layer {
		return &manifest.Layer{Name: "l", Runtimes: []string{"python3.12"}, Architectures: []string{"arm64"},
			Files: []manifest.FileMap{{From: "a", To: "python/a", Pos: manifest.Pos{Line: 3}}}, DefaultExcludes: true,
			Python: &manifest.Python{Requirements: "r.txt", Installer: "pip"}}
	}
	stanza := func(l *manifest.Layer) string {
		s, err := layerStanza(l)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := stanza(base())
	same := map[string]func(*manifest.Layer){
		"description": func(l *manifest.Layer) { l.Description = "new words" },
		"license":     func(l *manifest.Layer) { l.License = "MIT" },
		"regions":     func(l *manifest.Layer) { l.Regions = []string{"eu-west-1"} },
		"attach":      func(l *manifest.Layer) { l.Attach.Functions = []string{"f"} },
		"positions":   func(l *manifest.Layer) { l.Pos.Line = 9; l.Files[0].Pos.Line = 10 },
	}
	for name, change := range same {
		l := base()
		change(l)
		if stanza(l) != want {
			t.Errorf("%s changed the stanza, but it does not decide the ZIP", name)
		}
	}
	differs := map[string]func(*manifest.Layer){
		"to":            func(l *manifest.Layer) { l.Files[0].To = "python/b" },
		"architecture":  func(l *manifest.Layer) { l.Architectures = []string{"x86_64"} },
		"exclude":       func(l *manifest.Layer) { l.Exclude = []string{"**/x"} },
		"index url":     func(l *manifest.Layer) { l.Python.IndexURL = "https://example.com/simple" },
		"per version":   func(l *manifest.Layer) { l.Python.PerVersion = true },
		"node scripts":  func(l *manifest.Layer) { l.Node = &manifest.Node{Package: "fn", Scripts: true} },
		"default excl.": func(l *manifest.Layer) { l.DefaultExcludes = false },
	}
	for name, change := range differs {
		l := base()
		change(l)
		if stanza(l) == want {
			t.Errorf("%s did not change the stanza", name)
		}
	}
}
