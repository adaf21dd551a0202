package layer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kzip "github.com/klauspost/compress/zip"
	"github.com/mholt/archiver/v3"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// The archive readers take bytes from anywhere: a ZIP passed to inspect or
// publish --zip, an archive named in a manifest. Their fuzz targets check
// what must hold whatever the bytes:
//
//	go test ./layer -run XXX -fuzz FuzzInspect -fuzztime 3m
//	go test ./layer -run XXX -fuzz FuzzUnpack -fuzztime 3m
//
// Both write every input to a file: with TMPDIR on a tmpfs (/dev/shm) they
// run 10 to 20 times faster than on a busy disk.

// archiveSeeds are small valid archives and the hostile cases inspect and
// unpack must see through, as ZIP and tar.gz bytes.
func archiveSeeds(t testing.TB) (zips, tgzs [][]byte) {
	zipOfEntries := func(entries ...zipEntry) []byte {
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
		zw.Close()
		return buf.Bytes()
	}
	claims := func(size uint64) []byte {
		var buf bytes.Buffer
		zw := kzip.NewWriter(&buf)
		for _, n := range []string{"python/a.py", "python/b.py"} {
			w, _ := zw.CreateRaw(&kzip.FileHeader{Name: n, Method: kzip.Store, CompressedSize64: 1, UncompressedSize64: size, CRC32: crc32.ChecksumIEEE([]byte("x"))})
			w.Write([]byte("x"))
		}
		zw.Close()
		return buf.Bytes()
	}
	elf := string(testenv.ELFHeader(183))
	zips = [][]byte{
		{},
		[]byte("PK\x05\x06" + strings.Repeat("\x00", 18)), // an empty ZIP
		zipOfEntries(zipEntry{name: "python/"}, zipEntry{name: "python/pkg/__init__.py", body: "x = 1\n"}, zipEntry{name: "lib/libx.so", body: elf}),
		zipOfEntries(zipEntry{name: "bin/tool", body: "#!/bin/sh\n", mode: 0o755}, zipEntry{name: "bin/tool-link", body: "tool", mode: fs.ModeSymlink | 0o777}),
		zipOfEntries(zipEntry{name: "python/a.py", body: "1"}, zipEntry{name: "python/./a.py", body: "2"}, zipEntry{name: "python//a.py", body: "3"}),
		zipOfEntries(zipEntry{name: "python/a\x00b.py", body: "1"}, zipEntry{name: "python/\x1b[31mred.py", body: "2"}, zipEntry{name: "python/c1\u0085.py", body: "3"}),
		zipOfEntries(zipEntry{name: "../../evil.txt", body: "x"}, zipEntry{name: "/abs.txt", body: "x"}, zipEntry{name: `a\b.txt`, body: "x"}, zipEntry{name: "", body: "x"}, zipEntry{name: "./", body: ""}),
		zipOfEntries(zipEntry{name: "l", body: "../../../etc", mode: fs.ModeSymlink | 0o777}, zipEntry{name: "l/passwd", body: "x"}),
		zipOfEntries(zipEntry{name: "up", body: ".", mode: fs.ModeSymlink | 0o777}, zipEntry{name: "up/evil.txt", body: "x"}),
		claims(math.MaxInt64),
		claims(math.MaxUint64),
	}
	tgz := func(entries ...tarEntry) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range entries {
			h := &tar.Header{Name: e.name, Typeflag: e.kind, Mode: 0o644, Linkname: e.target, Size: int64(len(e.body))}
			if e.kind != tar.TypeReg {
				h.Size = 0
			}
			tw.WriteHeader(h)
			tw.Write([]byte(e.body))
		}
		tw.Close()
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(buf.Bytes())
		zw.Close()
		return gz.Bytes()
	}
	tgzs = [][]byte{
		tgz(goodTar...),
		tgz(tarEntry{name: "../evil.txt", kind: tar.TypeReg, body: "x"}, tarEntry{name: "/abs", kind: tar.TypeReg, body: "x"}),
		tgz(tarEntry{name: "up", kind: tar.TypeSymlink, target: "."}, tarEntry{name: "up/evil.txt", kind: tar.TypeReg, body: "x"}),
		tgz(tarEntry{name: "lnk", kind: tar.TypeSymlink, target: "../../etc"}, tarEntry{name: "lnk/passwd", kind: tar.TypeReg, body: "x"}),
		tgz(tarEntry{name: "h", kind: tar.TypeLink, target: "../../sentinel"}, tarEntry{name: "dev", kind: tar.TypeChar}),
		tgz(tarEntry{name: "a", kind: tar.TypeReg, body: "1"}, tarEntry{name: "./a", kind: tar.TypeReg, body: "2"}, tarEntry{name: "a\x00b", kind: tar.TypeReg, body: "3"}),
		tgz(tarEntry{name: "big", kind: tar.TypeReg, body: strings.Repeat("\x00", 70<<10)}),
	}
	return zips, tgzs
}

func FuzzInspect(f *testing.F) {
	zips, tgzs := archiveSeeds(f)
	for _, s := range append(zips, tgzs...) {
		f.Add(s)
	}
	// One file, rewritten for each input: a folder per input costs more
	// than the inspect.
	path := filepath.Join(f.TempDir(), "fuzz.zip")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Inspect(context.Background(), path, InspectOptions{})
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("an error without a message: %#v", err)
			}
			return
		}
		checkReport(t, r, int64(len(data)))
	})
}

// checkReport asserts what any inspect report must hold.
func checkReport(t *testing.T, r *Report, size int64) {
	t.Helper()
	if r.Size != size {
		t.Errorf("size %d, the file has %d", r.Size, size)
	}
	if r.UnzippedSize < 0 || r.Files < 0 || r.Files > len(r.Entries) || len(r.Largest) > 10 {
		t.Errorf("unzipped %d, %d files of %d entries, %d largest", r.UnzippedSize, r.Files, len(r.Entries), len(r.Largest))
	}
	errorsFor := map[string]bool{}
	for _, f := range r.Findings {
		if f.Message == "" || (f.Severity != SevError && f.Severity != SevWarning && f.Severity != SevNote) {
			t.Errorf("finding without a message or severity: %#v", f)
		}
		if f.Severity == SevError {
			errorsFor[f.Path] = true
		}
	}
	keys := map[string]int{}
	var sum int64
	for _, e := range r.Entries {
		if e.Size < 0 || e.CompressedSize < 0 {
			t.Errorf("entry %q has a negative size: %+v", e.Path, e)
		}
		if _, bad := safetext.Control(e.Path); bad && !errorsFor[e.Path] {
			t.Errorf("entry %q has a control character and no error finding", e.Path)
		}
		if e.Size > lambdafacts.MaxUnzipped && !errorsFor[e.Path] {
			t.Errorf("entry %q claims %d bytes and has no error finding", e.Path, e.Size)
		}
		keys[entryKey(e.Path)]++
		if e.Type == "file" {
			sum = addSize(sum, e.Size)
		}
	}
	if sum != r.UnzippedSize {
		t.Errorf("unzipped size %d, the files sum to %d", r.UnzippedSize, sum)
	}
	if r.UnzippedSize > lambdafacts.MaxUnzipped && !r.HasErrors() {
		t.Errorf("%d bytes unzipped without an error", r.UnzippedSize)
	}
	for k, n := range keys {
		if n > 1 && !r.HasErrors() {
			t.Errorf("%q is %d entries without an error", k, n)
		}
	}
}

func FuzzUnpack(f *testing.F) {
	zips, tgzs := archiveSeeds(f)
	for _, s := range append(zips, tgzs...) {
		f.Add(s)
	}
	// One folder for every input, emptied before each: a new temporary
	// folder per input costs more than the unpack.
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		// A small limit, so that a small input can reach it.
		defer func(old int64) { maxUnpacked = old }(maxUnpacked)
		maxUnpacked = 64 << 10
		for _, w := range []struct {
			name   string
			walker archiver.Walker
		}{{"fuzz.zip", archiver.NewZip()}, {"fuzz.tar.gz", archiver.NewTarGz()}} {
			unpackInSandbox(t, root, w.walker, w.name, data)
		}
	})
}

// unpackInSandbox unpacks data into root/sandbox/dest and checks that
// nothing landed beside dest, that nothing inside it leads out, and that no
// more than the limit was written.
func unpackInSandbox(t *testing.T, root string, w archiver.Walker, name string, data []byte) {
	sandbox := filepath.Join(root, "sandbox")
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(sandbox, "dest")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, name)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	err := unpackWith(context.Background(), w, src, dest, name)
	if err != nil && err.Error() == "" {
		t.Fatalf("%s: an error without a message: %#v", name, err)
	}
	for dir, want := range map[string]int{root: 2, sandbox: 1} {
		if ents, _ := os.ReadDir(dir); len(ents) != want {
			t.Fatalf("%s: %s holds %d entries, want %d: something was written outside dest", name, dir, len(ents), want)
		}
	}
	var total int64
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch typ := d.Type(); {
		case typ.IsRegular():
			info, _ := d.Info()
			total += info.Size()
		case typ&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			rel, rerr := filepath.Rel(dest, filepath.Join(filepath.Dir(p), target))
			if filepath.IsAbs(target) || rerr != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				t.Errorf("%s: symlink %s -> %s leads out of dest", name, p, target)
			}
		case !typ.IsDir():
			t.Errorf("%s: %s is a %v", name, p, typ)
		}
		return nil
	})
	// Unpack reads one byte past the limit to learn that it is crossed.
	if total > maxUnpacked+1 {
		t.Errorf("%s: %d bytes unpacked, over the limit of %d (error: %v)", name, total, maxUnpacked, err)
	}
}
