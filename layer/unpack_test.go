package layer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dsnet/compress/bzip2"
	"github.com/google/go-cmp/cmp"
	kzip "github.com/klauspost/compress/zip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

// tarEntry is one entry of a test archive.
type tarEntry struct {
	name   string
	kind   byte // tar.TypeReg, TypeDir, TypeSymlink, TypeLink, TypeChar
	body   string
	mode   int64
	target string
}

func tarBytes(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.kind, Mode: e.mode, Linkname: e.target, Format: tar.FormatPAX}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.kind == tar.TypeXGlobalHeader {
			h = &tar.Header{Typeflag: e.kind, PAXRecords: map[string]string{"comment": "made by a test"}}
		}
		if e.kind == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compressTar wraps a tar in the compression its name's extension says.
func compressTar(t *testing.T, name string, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	var err error
	switch {
	case strings.HasSuffix(name, ".tar.gz"), strings.HasSuffix(name, ".tgz"):
		w = gzip.NewWriter(&buf)
	case strings.HasSuffix(name, ".tar.xz"):
		w, err = xz.NewWriter(&buf)
	case strings.HasSuffix(name, ".tar.bz2"):
		w, err = bzip2.NewWriter(&buf, nil)
	case strings.HasSuffix(name, ".tar.zst"):
		w, err = zstd.NewWriter(&buf)
	default:
		t.Fatalf("no compressor for %s", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zipEntry struct {
	name string
	body string
	mode fs.FileMode
}

func zipBytes(t *testing.T, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := kzip.NewWriter(&buf)
	for _, e := range entries {
		h := &kzip.FileHeader{Name: e.name, Method: kzip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// listTree describes what is under dir: "path" for files (with * when
// executable), "path/" for folders, "path -> target" for links.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		info, _ := d.Info()
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			rel += " -> " + target
		case d.IsDir():
			rel += "/"
		case info.Mode()&0o111 != 0:
			rel += "*"
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out
}

var goodTar = []tarEntry{
	{name: "./", kind: tar.TypeDir, mode: 0o755},
	{name: "pax_global_header", kind: tar.TypeXGlobalHeader},
	{name: "./jq-1.7/bin/jq", kind: tar.TypeReg, body: "#!/bin/sh\necho jq\n", mode: 0o755},
	{name: "./jq-1.7/bin/jq-copy", kind: tar.TypeLink, target: "./jq-1.7/bin/jq"},
	{name: "./jq-1.7/bin/jq-link", kind: tar.TypeSymlink, target: "jq"},
	{name: "./jq-1.7/README", kind: tar.TypeReg, body: "readme", mode: 0o600},
}

var goodTree = []string{"jq-1.7/", "jq-1.7/README", "jq-1.7/bin/", "jq-1.7/bin/jq*", "jq-1.7/bin/jq-copy*", "jq-1.7/bin/jq-link -> jq"}

func TestUnpackEveryFormat(t *testing.T) {
	for _, name := range []string{"jq.tar.gz", "jq.tgz", "jq.tar.xz", "jq.tar.bz2", "jq.tar.zst"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, name)
			os.WriteFile(src, compressTar(t, name, tarBytes(t, goodTar)), 0o644)
			dest := filepath.Join(dir, "out")
			os.Mkdir(dest, 0o755)
			if err := unpack(context.Background(), src, dest, name); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(goodTree, listTree(t, dest)); d != "" {
				t.Errorf("unpacked (-want +got):\n%s", d)
			}
		})
	}
	t.Run("zip", func(t *testing.T) {
		dir := t.TempDir()
		src := filepath.Join(dir, "sdk.zip")
		os.WriteFile(src, zipBytes(t, []zipEntry{
			{name: "sdk/"},
			{name: "sdk/bin/tool", body: "#!/bin/sh\n", mode: 0o755},
			{name: "sdk/bin/tool-link", body: "tool", mode: fs.ModeSymlink | 0o777},
			{name: "sdk/lib/libx.so", body: string(testenv.ELFHeader(62))},
		}), 0o644)
		dest := filepath.Join(dir, "out")
		os.Mkdir(dest, 0o755)
		if err := unpack(context.Background(), src, dest, "sdk.zip"); err != nil {
			t.Fatal(err)
		}
		want := []string{"sdk/", "sdk/bin/", "sdk/bin/tool*", "sdk/bin/tool-link -> tool", "sdk/lib/", "sdk/lib/libx.so"}
		if d := cmp.Diff(want, listTree(t, dest)); d != "" {
			t.Errorf("unpacked (-want +got):\n%s", d)
		}
	})
}

// Every way an archive can write outside its folder is refused, naming
// the entry, and nothing lands outside (the folder above dest holds a
// sentinel the attacks aim at).
func TestUnpackRefusesEntriesThatEscape(t *testing.T) {
	tarTests := []struct {
		name    string
		entries []tarEntry
		want    string
	}{
		{"dot dot", []tarEntry{{name: "ok.txt", kind: tar.TypeReg, body: "x"}, {name: "../evil.txt", kind: tar.TypeReg, body: "pwned"}}, `entry "../evil.txt" climbs out of its folder with ..`},
		{"dot dot inside", []tarEntry{{name: "a/../../evil.txt", kind: tar.TypeReg, body: "pwned"}}, `entry "a/../../evil.txt" climbs out of its folder with ..`},
		{"absolute", []tarEntry{{name: "/tmp/evil.txt", kind: tar.TypeReg, body: "pwned"}}, `entry "/tmp/evil.txt" is an absolute path`},
		{"symlink out", []tarEntry{{name: "lnk", kind: tar.TypeSymlink, target: "../../../../etc"}, {name: "lnk/passwd", kind: tar.TypeReg, body: "pwned"}}, `entry "lnk" is a symlink to "../../../../etc", which leaves the archive's folder`},
		{"absolute symlink", []tarEntry{{name: "lnk", kind: tar.TypeSymlink, target: "/etc/passwd"}}, `entry "lnk" is a symlink to the absolute path "/etc/passwd"`},
		// CVE-2024-0406: a link into the folder, then a file written through it.
		{"file through a link", []tarEntry{{name: "up", kind: tar.TypeSymlink, target: "."}, {name: "up/evil.txt", kind: tar.TypeReg, body: "pwned"}}, `entry "up" is a symlink, but the archive also has a file or folder of that name`},
		{"hard link out", []tarEntry{{name: "h", kind: tar.TypeLink, target: "../../sentinel"}}, `entry "h" is a hard link to "../../sentinel", which climbs out of its folder with ..`},
		{"hard link to nothing", []tarEntry{{name: "h", kind: tar.TypeLink, target: "missing"}}, `entry "h" is a hard link to "missing", which is not a file earlier in the archive`},
		{"device", []tarEntry{{name: "dev", kind: tar.TypeChar}}, `entry "dev" is a device or named pipe`},
		{"twice", []tarEntry{{name: "a", kind: tar.TypeReg, body: "1"}, {name: "./a", kind: tar.TypeReg, body: "2"}}, `entry "./a" appears twice`},
		{"backslash", []tarEntry{{name: `..\evil.txt`, kind: tar.TypeReg, body: "x"}}, `has a backslash`},
	}
	run := func(t *testing.T, name string, data []byte, want string) {
		root := t.TempDir()
		sentinel := filepath.Join(root, "sentinel")
		os.WriteFile(sentinel, []byte("safe"), 0o644)
		dest := filepath.Join(root, "a", "b", "out")
		os.MkdirAll(dest, 0o755)
		src := filepath.Join(root, name)
		os.WriteFile(src, data, 0o644)
		err := unpack(context.Background(), src, dest, name)
		var ue *UnpackError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "archive "+name+": ") {
			t.Fatalf("got %v, want an *UnpackError containing %q", err, want)
		}
		if b, _ := os.ReadFile(sentinel); string(b) != "safe" {
			t.Error("the sentinel was overwritten")
		}
		for _, p := range []string{filepath.Join(root, "evil.txt"), filepath.Join(root, "a", "evil.txt"), filepath.Join(root, "a", "b", "evil.txt")} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s was written", p)
			}
		}
	}
	for _, tc := range tarTests {
		t.Run(tc.name, func(t *testing.T) { run(t, "x.tar.gz", compressTar(t, "x.tar.gz", tarBytes(t, tc.entries)), tc.want) })
	}
	zipTests := []struct {
		name    string
		entries []zipEntry
		want    string
	}{
		{"zip slip", []zipEntry{{name: "../../evil.txt", body: "pwned"}}, `entry "../../evil.txt" climbs out of its folder with ..`},
		{"zip absolute", []zipEntry{{name: "/evil.txt", body: "pwned"}}, `entry "/evil.txt" is an absolute path`},
		{"zip symlink out", []zipEntry{{name: "l", body: "../../../sentinel", mode: fs.ModeSymlink | 0o777}}, `entry "l" is a symlink to "../../../sentinel", which leaves the archive's folder`},
		{"zip file through a link", []zipEntry{{name: "l", body: ".", mode: fs.ModeSymlink | 0o777}, {name: "l/evil.txt", body: "x"}}, `entry "l" is a symlink, but the archive also has a file or folder of that name`},
	}
	for _, tc := range zipTests {
		t.Run(tc.name, func(t *testing.T) { run(t, "x.zip", zipBytes(t, tc.entries), tc.want) })
	}
}

func TestUnpackStopsAtLambdasLimit(t *testing.T) {
	defer func(old int64) { maxUnpacked = old }(maxUnpacked)
	maxUnpacked = 1 << 20 // as if Lambda allowed 1 MB
	dir := t.TempDir()
	big := strings.Repeat("\x00", 600<<10)
	src := filepath.Join(dir, "bomb.tar.zst")
	os.WriteFile(src, compressTar(t, src, tarBytes(t, []tarEntry{{name: "a", kind: tar.TypeReg, body: big}, {name: "b", kind: tar.TypeReg, body: big}})), 0o644)
	dest := filepath.Join(dir, "out")
	os.Mkdir(dest, 0o755)
	err := unpack(context.Background(), src, dest, "bomb.tar.zst")
	if err == nil || !strings.Contains(err.Error(), "unpacks to more than Lambda's limit") {
		t.Fatalf("got %v", err)
	}
}

// An archive in files is unpacked into to, read in place like any folder.
func TestArchiveSourcesInALayer(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "jq.tar.gz"), compressTar(t, "jq.tar.gz", tarBytes(t, goodTar)), 0o644)
	os.WriteFile(filepath.Join(dir, "evil.tar.gz"), compressTar(t, "evil.tar.gz", tarBytes(t, []tarEntry{{name: "../x", kind: tar.TypeReg}})), 0o644)
	l := &manifest.Layer{Name: "tools", Runtimes: []string{"provided.al2023"}, Files: []manifest.FileMap{{From: "jq.tar.gz", To: "bin", Archive: true}}}
	a, err := buildLayer(t, dir, t.TempDir(), l, false)
	if err != nil {
		t.Fatal(err)
	}
	heads, _, names := testenv.ReadZip(t, a.Path)
	want := []string{"bin/", "bin/jq-1.7/", "bin/jq-1.7/README", "bin/jq-1.7/bin/", "bin/jq-1.7/bin/jq", "bin/jq-1.7/bin/jq-copy", "bin/jq-1.7/bin/jq-link"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if heads["bin/jq-1.7/bin/jq-link"].Mode()&fs.ModeSymlink == 0 || heads["bin/jq-1.7/bin/jq"].Mode().Perm() != 0o755 {
		t.Error("link or execute bit lost")
	}

	l.Files = []manifest.FileMap{{From: "evil.tar.gz", To: "bin", Archive: true}}
	out := t.TempDir()
	_, err = buildLayer(t, dir, out, l, false)
	if err == nil || !strings.Contains(err.Error(), `layer "tools": archive evil.tar.gz: entry "../x" climbs out of its folder with ..: refused`) {
		t.Fatalf("got %v", err)
	}
	if z := testenv.ZipsIn(t, out); len(z) != 0 {
		t.Errorf("left %v", z)
	}
}
