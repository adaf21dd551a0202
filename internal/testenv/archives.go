package testenv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	kzip "github.com/klauspost/compress/zip"

	"github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// TarEntry is one entry of a test archive.
type TarEntry struct {
	Name   string
	Kind   byte // tar.TypeReg, TypeDir, TypeSymlink, TypeLink, TypeChar
	Body   string
	Mode   int64
	Target string
}

func TarBytes(t testing.TB, entries []TarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Kind, Mode: e.Mode, Linkname: e.Target, Format: tar.FormatPAX}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.Kind == tar.TypeXGlobalHeader {
			h = &tar.Header{Typeflag: e.Kind, PAXRecords: map[string]string{"comment": "made by a test"}}
		}
		if e.Kind == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.Body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// CompressTar wraps a tar in the compression its name's extension says.
func CompressTar(t testing.TB, name string, raw []byte) []byte {
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

type ZipEntry struct {
	Name string
	Body string
	Mode fs.FileMode
}

func ZipBytes(t testing.TB, entries []ZipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := kzip.NewWriter(&buf)
	for _, e := range entries {
		h := &kzip.FileHeader{Name: e.Name, Method: kzip.Deflate}
		if e.Mode != 0 {
			h.SetMode(e.Mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.Body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ListTree describes what is under dir: "path" for files (with * when
// executable), "path/" for folders, "path -> target" for links.
func ListTree(t testing.TB, dir string) []string {
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

// GoodTar is a small tar of a jq release: a folder, files, an executable, a hard link and a symlink.
var GoodTar = []TarEntry{
	{Name: "./", Kind: tar.TypeDir, Mode: 0o755},
	{Name: "pax_global_header", Kind: tar.TypeXGlobalHeader},
	{Name: "./jq-1.7/bin/jq", Kind: tar.TypeReg, Body: "#!/bin/sh\necho jq\n", Mode: 0o755},
	{Name: "./jq-1.7/bin/jq-copy", Kind: tar.TypeLink, Target: "./jq-1.7/bin/jq"},
	{Name: "./jq-1.7/bin/jq-link", Kind: tar.TypeSymlink, Target: "jq"},
	{Name: "./jq-1.7/README", Kind: tar.TypeReg, Body: "readme", Mode: 0o600},
}

// GoodTree is what GoodTar unpacks to, as ListTree says it.
var GoodTree = []string{"jq-1.7/", "jq-1.7/README", "jq-1.7/bin/", "jq-1.7/bin/jq*", "jq-1.7/bin/jq-copy*", "jq-1.7/bin/jq-link -> jq"}

// ArchiveSeeds are small valid archives and the hostile cases inspect and
// unpack must see through, as ZIP and tar.gz bytes.
func ArchiveSeeds(t testing.TB) (zips, tgzs [][]byte) {
	zipOfEntries := func(entries ...ZipEntry) []byte { return ZipBytes(t, entries) }
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
	elf := string(ELFHeader(183))
	zips = [][]byte{
		{},
		[]byte("PK\x05\x06" + strings.Repeat("\x00", 18)), // an empty ZIP
		zipOfEntries(ZipEntry{Name: "python/"}, ZipEntry{Name: "python/pkg/__init__.py", Body: "x = 1\n"}, ZipEntry{Name: "lib/libx.so", Body: elf}),
		zipOfEntries(ZipEntry{Name: "bin/tool", Body: "#!/bin/sh\n", Mode: 0o755}, ZipEntry{Name: "bin/tool-link", Body: "tool", Mode: fs.ModeSymlink | 0o777}),
		zipOfEntries(ZipEntry{Name: "python/a.py", Body: "1"}, ZipEntry{Name: "python/./a.py", Body: "2"}, ZipEntry{Name: "python//a.py", Body: "3"}),
		zipOfEntries(ZipEntry{Name: "python/a\x00b.py", Body: "1"}, ZipEntry{Name: "python/\x1b[31mred.py", Body: "2"}, ZipEntry{Name: "python/c1\u0085.py", Body: "3"}),
		zipOfEntries(ZipEntry{Name: "../../evil.txt", Body: "x"}, ZipEntry{Name: "/abs.txt", Body: "x"}, ZipEntry{Name: `a\b.txt`, Body: "x"}, ZipEntry{Name: "", Body: "x"}, ZipEntry{Name: "./", Body: ""}),
		zipOfEntries(ZipEntry{Name: "l", Body: "../../../etc", Mode: fs.ModeSymlink | 0o777}, ZipEntry{Name: "l/passwd", Body: "x"}),
		zipOfEntries(ZipEntry{Name: "up", Body: ".", Mode: fs.ModeSymlink | 0o777}, ZipEntry{Name: "up/evil.txt", Body: "x"}),
		claims(math.MaxInt64),
		claims(math.MaxUint64),
	}
	tgz := func(entries ...TarEntry) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range entries {
			h := &tar.Header{Name: e.Name, Typeflag: e.Kind, Mode: 0o644, Linkname: e.Target, Size: int64(len(e.Body))}
			if e.Kind != tar.TypeReg {
				h.Size = 0
			}
			tw.WriteHeader(h)
			tw.Write([]byte(e.Body))
		}
		tw.Close()
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(buf.Bytes())
		zw.Close()
		return gz.Bytes()
	}
	tgzs = [][]byte{
		tgz(GoodTar...),
		tgz(TarEntry{Name: "../evil.txt", Kind: tar.TypeReg, Body: "x"}, TarEntry{Name: "/abs", Kind: tar.TypeReg, Body: "x"}),
		tgz(TarEntry{Name: "up", Kind: tar.TypeSymlink, Target: "."}, TarEntry{Name: "up/evil.txt", Kind: tar.TypeReg, Body: "x"}),
		tgz(TarEntry{Name: "lnk", Kind: tar.TypeSymlink, Target: "../../etc"}, TarEntry{Name: "lnk/passwd", Kind: tar.TypeReg, Body: "x"}),
		tgz(TarEntry{Name: "h", Kind: tar.TypeLink, Target: "../../sentinel"}, TarEntry{Name: "dev", Kind: tar.TypeChar}),
		tgz(TarEntry{Name: "a", Kind: tar.TypeReg, Body: "1"}, TarEntry{Name: "./a", Kind: tar.TypeReg, Body: "2"}, TarEntry{Name: "a\x00b", Kind: tar.TypeReg, Body: "3"}),
		tgz(TarEntry{Name: "big", Kind: tar.TypeReg, Body: strings.Repeat("\x00", 70<<10)}),
	}
	return zips, tgzs
}
