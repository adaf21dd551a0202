package build

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/manifest"
)

// sample and sampleLayer are these tests' layer, which check's tests
// inspect too.
var sample, sampleLayer = testenv.Sample(), testenv.SampleLayer

func TestBuildIsReproducible(t *testing.T) {
	// Two copies of the same tree, written in different orders, with
	// different mtimes and umask, built with different worker counts.
	a, b := t.TempDir(), t.TempDir()
	testenv.Tree(t, a, sample)
	old := syscall.Umask(0o077)
	names := make([]string, 0, len(sample))
	for n := range sample {
		names = append(names, n)
	}
	rand.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	for _, n := range names {
		testenv.Tree(t, b, map[string]string{n: sample[n]})
	}
	syscall.Umask(old)
	// Same execute bits, other permission bits differ.
	if err := os.Chmod(filepath.Join(b, "src/pkg/core.py"), 0o600); err != nil {
		t.Fatal(err)
	}
	testenv.TouchAll(t, a, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	testenv.TouchAll(t, b, time.Now())

	wd, _ := os.Getwd()
	art1 := mustBuild(t, a, sampleLayer(), Options{Workers: 1})
	if err := os.Chdir(b); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	art2 := mustBuild(t, b, sampleLayer(), Options{Workers: 7})
	if art1.SHA256 != art2.SHA256 {
		t.Fatalf("same sources gave different ZIPs: %s vs %s", art1.SHA256, art2.SHA256)
	}
	b1, _ := os.ReadFile(art1.Path)
	b2, _ := os.ReadFile(art2.Path)
	if !bytes.Equal(b1, b2) {
		t.Fatal("digests equal but bytes differ")
	}
	if want := "shared-" + art1.SHA256[:12] + ".zip"; filepath.Base(art1.Path) != want {
		t.Errorf("artifact name %s, want %s", filepath.Base(art1.Path), want)
	}
}

func TestBuildContent(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, sample)
	art := mustBuild(t, dir, sampleLayer(), Options{})
	heads, data, order := testenv.ReadZip(t, art.Path)

	wantOrder := []string{
		"bin/", "bin/tool",
		"python/", "python/pkg/", "python/pkg/__init__.py", "python/pkg/core.py",
		"python/pkg/data/", "python/pkg/data/table.json",
		"python/pkg/nested/", "python/pkg/nested/deeper/", "python/pkg/nested/deeper/module.py",
		"python/pkg/tests/", "python/pkg/tests/test_core.py",
	}
	if d := cmp.Diff(wantOrder, order); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if data["python/pkg/core.py"] != sample["src/pkg/core.py"] || data["bin/tool"] != sample["src/tool*"] {
		t.Error("content does not round-trip")
	}
	for name, h := range heads {
		want := os.FileMode(0o644)
		switch {
		case strings.HasSuffix(name, "/"):
			want = os.ModeDir | 0o755
		case name == "bin/tool":
			want = 0o755
		}
		if h.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, h.Mode(), want)
		}
		if !h.Modified.Equal(layer.DefaultModified) {
			t.Errorf("%s: modified %v, want %v", name, h.Modified, layer.DefaultModified)
		}
		if len(h.Extra) != 0 {
			t.Errorf("%s: has extra fields %x", name, h.Extra)
		}
	}
	if art.Files != 6 || art.UnzippedSize != int64(len(strings.Join(valuesWithout(sample, "__pycache__", ".DS_Store"), ""))) {
		t.Errorf("files %d unzipped %d", art.Files, art.UnzippedSize)
	}
	st, _ := os.Stat(art.Path)
	if st.Size() != art.Size {
		t.Errorf("size %d, file has %d", art.Size, st.Size())
	}
}

func valuesWithout(m map[string]string, skip ...string) []string {
	var out []string
next:
	for k, v := range m {
		for _, s := range skip {
			if strings.Contains(k, s) {
				continue next
			}
		}
		out = append(out, v)
	}
	return out
}

func TestBuildOtherReadersAgree(t *testing.T) {
	// Big files are cut into chunks joined into one deflate stream with a
	// data descriptor: every common reader must take that.
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 3*archive.ChunkSize+12345)
	for i := range big {
		if i%3 == 0 {
			big[i] = byte(rng.IntN(256))
		} else {
			big[i] = byte(i / 7)
		}
	}
	files := map[string]string{"src/big.bin": string(big), "src/empty.txt": "", "src/small.py": "x = 1\n"}
	testenv.Tree(t, dir, files)
	art := mustBuild(t, dir, testenv.PyLayer("big", manifest.FileMap{From: "src", To: "python"}), Options{})
	_, data, _ := testenv.ReadZip(t, art.Path)
	if data["python/big.bin"] != string(big) {
		t.Fatal("archive/zip read back different bytes for the chunked file")
	}
	if out, err := exec.Command("unzip", "-t", art.Path).CombinedOutput(); err != nil {
		t.Fatalf("unzip -t: %v\n%s", err, out)
	}
	py := `import sys, zipfile, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(hashlib.sha256(z.read("python/big.bin")).hexdigest())`
	out, err := exec.Command("python3", "-c", py, art.Path).CombinedOutput()
	if err != nil {
		t.Fatalf("python zipfile: %v\n%s", err, out)
	}
	if len(strings.TrimSpace(string(out))) != 64 {
		t.Fatalf("python zipfile: %s", out)
	}
}

func TestSourceDateEpochChangesOnlyTimes(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, sample)
	when := time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)
	a1 := mustBuild(t, dir, sampleLayer(), Options{})
	a2 := mustBuild(t, dir, sampleLayer(), Options{Modified: when})
	if a1.SHA256 == a2.SHA256 {
		t.Fatal("a different SOURCE_DATE_EPOCH should give a different ZIP")
	}
	heads, _, _ := testenv.ReadZip(t, a2.Path)
	if got := heads["bin/tool"].Modified; !got.Equal(when) {
		t.Errorf("modified %v, want %v", got, when)
	}
}

func TestExcludes(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, sample)
	tests := []struct {
		name     string
		exclude  []string
		defaults bool
		present  []string
		absent   []string
	}{
		{"defaults on", nil, true, []string{"python/pkg/tests/test_core.py"}, []string{"python/pkg/__pycache__/core.pyc", "python/pkg/.DS_Store"}},
		{"defaults off", nil, false, []string{"python/pkg/__pycache__/core.pyc", "python/pkg/.DS_Store"}, nil},
		{"tests folder", []string{"**/tests/**"}, true, []string{"python/pkg/core.py"}, []string{"python/pkg/tests/test_core.py", "python/pkg/tests/"}},
		{"folder by name", []string{"**/nested"}, true, nil, []string{"python/pkg/nested/deeper/module.py"}},
		{"json files", []string{"**/*.json"}, true, nil, []string{"python/pkg/data/table.json", "python/pkg/data/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := sampleLayer()
			l.Exclude, l.DefaultExcludes = tc.exclude, tc.defaults
			_, data, _ := testenv.ReadZip(t, mustBuild(t, dir, l, Options{}).Path)
			for _, p := range tc.present {
				if _, ok := data[p]; !ok {
					t.Errorf("%s missing", p)
				}
			}
			for _, p := range tc.absent {
				if _, ok := data[p]; ok {
					t.Errorf("%s should be excluded", p)
				}
			}
		})
	}
}

func TestSymlinks(t *testing.T) {
	tests := []struct {
		name    string
		link    string // inside src/lib
		target  string
		wantErr string
	}{
		{"sibling", "libfoo.so", "libfoo.so.1", ""},
		{"into a folder", "current", "v1", ""},
		{"escapes", "evil", "../../../etc/passwd", "points outside the layer"},
		{"absolute", "abs", "/etc/passwd", "is absolute"},
		{"dangling", "gone", "missing.so", "not in the layer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.Tree(t, dir, map[string]string{"src/lib/libfoo.so.1": "\x00lib", "src/lib/v1/x.txt": "x"})
			if err := os.Symlink(tc.target, filepath.Join(dir, "src/lib", tc.link)); err != nil {
				t.Fatal(err)
			}
			l := &manifest.Layer{Name: "native", Runtimes: []string{"provided.al2023"}, Architectures: []string{"x86_64"}, Files: []manifest.FileMap{{From: "src/lib", To: "lib"}}}
			out := filepath.Join(t.TempDir(), "dist")
			art, err := build(t, dir, l, Options{OutDir: out})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to say %q", err, tc.wantErr)
				}
				assertEmptyDir(t, out)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			heads, data, _ := testenv.ReadZip(t, art.Path)
			h := heads["lib/"+tc.link]
			if h == nil || h.Mode()&os.ModeSymlink == 0 || data["lib/"+tc.link] != tc.target {
				t.Fatalf("lib/%s not stored as a symlink to %s", tc.link, tc.target)
			}
		})
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("%s should be empty, holds %v", dir, names)
	}
}

func TestBuildRefuses(t *testing.T) {
	elfHeader := func(machine byte) string {
		h := make([]byte, 64)
		copy(h, "\x7fELF\x02\x01\x01")
		h[18] = machine
		return string(h)
	}
	tests := []struct {
		name    string
		files   map[string]string
		layer   *manifest.Layer
		link    [2]string // a symlink to make: path, target
		wantErr []string
	}{
		{
			name:    "python content outside python/",
			files:   map[string]string{"src/common/util.py": "x = 1"},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src/common", To: "common"}),
			wantErr: []string{"common/ (1 file) will not be seen by python3.12", "fix files[0] {from: src/common, to: common} → {from: src/common, to: python}", "python3.12 layer has nothing under python/"},
		},
		{
			name:    "site-packages of another python",
			files:   map[string]string{"src/x.py": "x = 1"},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python/lib/python3.11/site-packages"}),
			wantErr: []string{"python/lib/python3.11/site-packages/ (1 file) will not be seen by python3.12: it is read only by the python3.11 runtime"},
		},
		{
			name:    "arm64 library in an x86_64 layer",
			files:   map[string]string{"src/pkg/_native.so": elfHeader(183), "src/pkg/__init__.py": ""},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"}),
			wantErr: []string{"python/pkg/_native.so is native code for arm64 (aarch64), but the layer is for x86_64"},
		},
		{
			name:    "32-bit arm binary",
			files:   map[string]string{"src/tool*": elfHeader(40)},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src/tool", To: "bin/tool"}),
			wantErr: []string{"bin/tool is native code for arm (32-bit), which Lambda does not run"},
		},
		{
			name:    "non-executable extension",
			files:   map[string]string{"src/ext": "#!/bin/sh"},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src/ext", To: "extensions/ext"}),
			wantErr: []string{"extensions/ext is not executable"},
		},
		{
			name:    "two sources, one path",
			files:   map[string]string{"a/x.py": "1", "b/x.py": "2"},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "a", To: "python"}, manifest.FileMap{From: "b", To: "python"}),
			wantErr: []string{"python/x.py comes from both a/x.py and b/x.py"},
		},
		{
			name:    "a file named with an escape sequence",
			files:   map[string]string{"src/\x1b[31mred.py": "x", "src/ok.py": "y"},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"}),
			wantErr: []string{`"src/\x1b[31mred.py" has a control character (\x1b) in its name: unzippers disagree on such names`, "rename it, or exclude it"},
		},
		{
			name:    "a file named with a newline",
			files:   map[string]string{"src/pkg/new\nline.py": "x"},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"}),
			wantErr: []string{`"src/pkg/new\nline.py" has a control character (\n) in its name`},
		},
		{
			name:    "a symlink whose target holds an escape sequence",
			files:   map[string]string{"src/ok.py": "y"},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"}),
			link:    [2]string{"src/link", "\x1b[2Jgone.py"},
			wantErr: []string{`symlink src/link -> "\x1b[2Jgone.py" points to "python/\x1b[2Jgone.py", which is not in the layer`},
		},
		{
			name:    "a single file named with a control character",
			files:   map[string]string{"src/bell\a.py": "x"},
			layer:   testenv.PyLayer("l", manifest.FileMap{From: "src/bell\a.py", To: ""}),
			wantErr: []string{`"src/bell\a.py" has a control character (\a) in its name`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.Tree(t, dir, tc.files)
			if tc.link[0] != "" {
				if err := os.Symlink(tc.link[1], filepath.Join(dir, tc.link[0])); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(t.TempDir(), "dist")
			_, err := build(t, dir, tc.layer, Options{OutDir: out})
			if err == nil {
				t.Fatal("build succeeded")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if c, ok := safetext.Control(strings.ReplaceAll(err.Error(), "\n", "")); ok {
				t.Errorf("error holds %s raw: %q", c, err)
			}
			assertEmptyDir(t, out)
		})
	}
}

func TestMatchingNativeCodeBuilds(t *testing.T) {
	dir := t.TempDir()
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	h[18] = 183
	testenv.Tree(t, dir, map[string]string{"src/pkg/_native.so": string(h)})
	l := testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"})
	l.Architectures = []string{"arm64"}
	mustBuild(t, dir, l, Options{})
}

func TestTooBigUnzipped(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/small.py": "x"})
	// A sparse file: 251 MB on paper, nothing on disk.
	f, err := os.Create(filepath.Join(dir, "src/huge.bin"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(251 << 20)
	f.Close()
	out := filepath.Join(t.TempDir(), "dist")
	_, err = build(t, dir, testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"}), Options{OutDir: out})
	var ce *layer.CheckError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "251.0 MB unzipped is over Lambda's limit of 250.0 MB") {
		t.Fatalf("error %v", err)
	}
	assertEmptyDir(t, out)
}

func TestCanceledBuildLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("layer content "), 2<<20)
	testenv.Tree(t, dir, map[string]string{"src/a.bin": string(big), "src/b.bin": string(big)})
	out := filepath.Join(t.TempDir(), "dist")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"})
	_, err := Build(ctx, &manifest.Manifest{Dir: dir}, l, Options{OutDir: out, Modified: layer.DefaultModified})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	assertEmptyDir(t, out)
}

func TestOutputInsideSourceIsNotPacked(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"python/a.py": "a"})
	out := filepath.Join(dir, "python", "dist")
	l := testenv.PyLayer("l", manifest.FileMap{From: "python", To: "python"})
	first := mustBuild(t, dir, l, Options{OutDir: out})
	second := mustBuild(t, dir, l, Options{OutDir: out})
	if first.SHA256 != second.SHA256 {
		t.Fatal("the first ZIP was packed into the second")
	}
}

// cancelAfter cancels the build once n bytes of ZIP have been written, the
// way Ctrl-C lands in the middle of a real build.
type cancelAfter struct {
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.n -= len(p)
	if c.n <= 0 {
		c.cancel()
	}
	return len(p), nil
}

func TestWriteZipStopsMidway(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 40 {
		files[filepath.Join("src", strings.Repeat("d", i%5+1), "f"+string(rune('a'+i%26))+strings.Repeat("x", i))] = strings.Repeat("content ", 40000)
	}
	testenv.Tree(t, dir, files)
	l := testenv.PyLayer("l", manifest.FileMap{From: "src", To: "python"})
	var srcs []archive.Source
	for _, fm := range l.Files {
		srcs = append(srcs, archive.Source{Path: archive.AbsPath(dir, fm.From), To: fm.To, Label: fm.From})
	}
	entries, err := archive.Collect(l.Name, srcs, archive.LayerExcludes(l), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = archive.WriteZip(ctx, &cancelAfter{n: 1000, cancel: cancel}, entries, layer.DefaultModified, 2)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}
