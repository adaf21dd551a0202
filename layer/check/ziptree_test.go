package check_test

import (
	"bytes"
	"context"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	kzip "github.com/klauspost/compress/zip"

	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/check"
	"github.com/layerctl/layerctl/manifest"
)

// rawZipEntry is a ZIP entry with its attributes set by hand, as odd
// archivers write them.
type rawZipEntry struct {
	name    string
	body    string
	creator uint16 // 0 FAT, 3 Unix
	attrs   uint32 // external attributes
}

func rawZip(t *testing.T, entries []rawZipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := kzip.NewWriter(&buf)
	for _, e := range entries {
		h := &kzip.FileHeader{Name: e.name, Method: kzip.Store, CreatorVersion: e.creator << 8, ExternalAttrs: e.attrs,
			CRC32: crc32.ChecksumIEEE([]byte(e.body)), CompressedSize64: uint64(len(e.body)), UncompressedSize64: uint64(len(e.body))}
		// CreateRaw: CreateHeader refuses data in an entry named like a folder.
		w, err := zw.CreateRaw(h)
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

const (
	dosDir  = 0x10
	unixDir = (0o040755 << 16) | 0x10
)

var oddZip = []rawZipEntry{
	{name: "pkg/", creator: 3, attrs: unixDir},
	{name: "pkg/dosdir-data", body: "hello dos", creator: 0, attrs: dosDir},
	{name: "pkg/unixdir-data", body: "hello unix", creator: 3, attrs: unixDir},
	{name: "pkg/dosdir-empty", creator: 0, attrs: dosDir},
	{name: "pkg/plain.txt", body: "plain", creator: 3, attrs: 0o100644 << 16},
}

// Entries whose attributes say folder but whose name does not end in "/"
// are extracted as files with their bytes, as unzip and Python do.
func TestZipEntriesAreWhatUnzipMakesOfThem(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "odd.zip")
	os.WriteFile(src, rawZip(t, oddZip), 0o644)
	dest := filepath.Join(dir, "out")
	os.Mkdir(dest, 0o755)
	if err := archive.Unpack(context.Background(), src, dest, "odd.zip"); err != nil {
		t.Fatal(err)
	}
	want := []string{"pkg/", "pkg/dosdir-data*", "pkg/dosdir-empty*", "pkg/plain.txt", "pkg/unixdir-data*"}
	if d := cmp.Diff(want, testenv.ListTree(t, dest)); d != "" {
		t.Errorf("unpacked (-want +got):\n%s", d)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "pkg/dosdir-data")); string(b) != "hello dos" {
		t.Errorf("pkg/dosdir-data holds %q", b)
	}

	// The same names and kinds as Info-ZIP's unzip and Python's zipfile.
	byUnzip := filepath.Join(dir, "unzip")
	if out, err := exec.Command("unzip", "-q", src, "-d", byUnzip).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v\n%s", err, out)
	}
	byPython := filepath.Join(dir, "python")
	if out, err := exec.Command("python3", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", src, byPython).CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	kinds := func(tree []string) []string {
		var out []string
		for _, p := range tree {
			out = append(out, strings.TrimSuffix(p, "*"))
		}
		return out
	}
	for name, other := range map[string]string{"unzip": byUnzip, "zipfile": byPython} {
		if d := cmp.Diff(kinds(testenv.ListTree(t, dest)), kinds(testenv.ListTree(t, other))); d != "" {
			t.Errorf("%s extracts differently (-layerctl +%s):\n%s", name, name, d)
		}
	}
}

// A folder entry that holds bytes would lose them: refused, named.
func TestZipFolderWithDataIsRefused(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "odd.zip")
	os.WriteFile(src, rawZip(t, []rawZipEntry{{name: "pkg/", creator: 3, attrs: unixDir}, {name: "pkg/lost/", body: "data", creator: 3, attrs: unixDir}}), 0o644)
	dest := filepath.Join(dir, "out")
	os.Mkdir(dest, 0o755)
	err := archive.Unpack(context.Background(), src, dest, "odd.zip")
	want := `archive odd.zip: entry "pkg/lost/" is a folder (its name ends in /) but holds 4 bytes, which unzip and Python's zipfile drop: refused`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// In a layer, and in inspect, such an entry is the same file.
func TestZipDirAttributeFileInALayer(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "odd.zip"), rawZip(t, oddZip), 0o644)
	l := &manifest.Layer{Name: "odd", Runtimes: []string{"provided.al2023"}, Files: []manifest.FileMap{{From: "odd.zip", To: "lib", Archive: true}}}
	a := steptest.MustBuild(t, dir, l, build.Options{})
	heads, data, _ := testenv.ReadZip(t, a.Path)
	if h := heads["lib/pkg/unixdir-data"]; h == nil || !h.Mode().IsRegular() || data["lib/pkg/unixdir-data"] != "hello unix" {
		t.Fatalf("lib/pkg/unixdir-data is not the file: %v", h)
	}
	if a.Files != 4 {
		t.Errorf("%d files, want 4", a.Files)
	}

	r, err := check.Inspect(context.Background(), filepath.Join(dir, "odd.zip"), check.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, e := range r.Entries {
		types[e.Path] = e.Type
	}
	want := map[string]string{"pkg/": "dir", "pkg/dosdir-data": "file", "pkg/unixdir-data": "file", "pkg/dosdir-empty": "file", "pkg/plain.txt": "file"}
	if d := cmp.Diff(want, types); d != "" {
		t.Errorf("inspect types (-want +got):\n%s", d)
	}
	if r.Files != 4 || r.UnzippedSize != int64(len("hello dos")+len("hello unix")+len("plain")) {
		t.Errorf("inspect counts %d files, %d bytes", r.Files, r.UnzippedSize)
	}
}

// inspect follows link chains as Linux will in /opt, and flags a folder
// entry holding bytes.
func TestInspectResolvesLinkChains(t *testing.T) {
	path := filepath.Join(t.TempDir(), "links.zip")
	os.WriteFile(path, testenv.ZipBytes(t, []testenv.ZipEntry{
		{Name: "lib/d/e/s", Body: "..", Mode: fs.ModeSymlink | 0o777},
		{Name: "lib/x", Body: "d/e/s/../../../..", Mode: fs.ModeSymlink | 0o777},
		{Name: "lib/ok", Body: "d/e/s/f", Mode: fs.ModeSymlink | 0o777},
		{Name: "lib/d/f", Body: "f"},
		{Name: "lib/loop", Body: "loop", Mode: fs.ModeSymlink | 0o777},
	}), 0o644)
	r, err := check.Inspect(context.Background(), path, check.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		if f.Severity == layer.SevError {
			got = append(got, f.Path+": "+f.Message)
		}
	}
	want := []string{
		"lib/loop: symlink lib/loop -> loop never resolves: it loops or goes through more than 40 links (lib/loop -> lib/loop)",
		"lib/x: symlink lib/x -> d/e/s/../../../.. points outside the layer: lib/d/e/s is a link to .., so lib/x resolves above /opt",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	if !r.HasErrors() {
		t.Error("HasErrors is false")
	}

	folder := filepath.Join(t.TempDir(), "folder.zip")
	os.WriteFile(folder, rawZip(t, []rawZipEntry{{name: "lib/lost/", body: "data", creator: 3, attrs: unixDir}}), 0o644)
	r, err = check.Inspect(context.Background(), folder, check.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || r.Findings[0].Message != `entry "lib/lost/" is a folder (its name ends in /) but holds 4 bytes, which unzip and Python's zipfile drop` {
		t.Errorf("findings %v", r.Findings)
	}
}
