package archive

import (
	"archive/tar"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
)

func TestUnpackEveryFormat(t *testing.T) {
	for _, name := range []string{"jq.tar.gz", "jq.tgz", "jq.tar.xz", "jq.tar.bz2", "jq.tar.zst"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, name)
			os.WriteFile(src, testenv.CompressTar(t, name, testenv.TarBytes(t, testenv.GoodTar)), 0o644)
			dest := filepath.Join(dir, "out")
			os.Mkdir(dest, 0o755)
			if err := Unpack(context.Background(), src, dest, name); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(testenv.GoodTree, testenv.ListTree(t, dest)); d != "" {
				t.Errorf("unpacked (-want +got):\n%s", d)
			}
		})
	}
	t.Run("zip", func(t *testing.T) {
		dir := t.TempDir()
		src := filepath.Join(dir, "sdk.zip")
		os.WriteFile(src, testenv.ZipBytes(t, []testenv.ZipEntry{
			{Name: "sdk/"},
			{Name: "sdk/bin/tool", Body: "#!/bin/sh\n", Mode: 0o755},
			{Name: "sdk/bin/tool-link", Body: "tool", Mode: fs.ModeSymlink | 0o777},
			{Name: "sdk/lib/libx.so", Body: string(testenv.ELFHeader(62))},
		}), 0o644)
		dest := filepath.Join(dir, "out")
		os.Mkdir(dest, 0o755)
		if err := Unpack(context.Background(), src, dest, "sdk.zip"); err != nil {
			t.Fatal(err)
		}
		want := []string{"sdk/", "sdk/bin/", "sdk/bin/tool*", "sdk/bin/tool-link -> tool", "sdk/lib/", "sdk/lib/libx.so"}
		if d := cmp.Diff(want, testenv.ListTree(t, dest)); d != "" {
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
		entries []testenv.TarEntry
		want    string
	}{
		{"dot dot", []testenv.TarEntry{{Name: "ok.txt", Kind: tar.TypeReg, Body: "x"}, {Name: "../evil.txt", Kind: tar.TypeReg, Body: "pwned"}}, `entry "../evil.txt" climbs out of its folder with ..`},
		{"dot dot inside", []testenv.TarEntry{{Name: "a/../../evil.txt", Kind: tar.TypeReg, Body: "pwned"}}, `entry "a/../../evil.txt" climbs out of its folder with ..`},
		{"absolute", []testenv.TarEntry{{Name: "/tmp/evil.txt", Kind: tar.TypeReg, Body: "pwned"}}, `entry "/tmp/evil.txt" is an absolute path`},
		{"symlink out", []testenv.TarEntry{{Name: "lnk", Kind: tar.TypeSymlink, Target: "../../../../etc"}, {Name: "lnk/passwd", Kind: tar.TypeReg, Body: "pwned"}}, `entry "lnk" is a symlink to "../../../../etc", which leaves the archive's folder`},
		{"absolute symlink", []testenv.TarEntry{{Name: "lnk", Kind: tar.TypeSymlink, Target: "/etc/passwd"}}, `entry "lnk" is a symlink to the absolute path "/etc/passwd"`},
		// CVE-2024-0406: a link into the folder, then a file written through it.
		{"file through a link", []testenv.TarEntry{{Name: "up", Kind: tar.TypeSymlink, Target: "."}, {Name: "up/evil.txt", Kind: tar.TypeReg, Body: "pwned"}}, `entry "up" is a symlink, but the archive also has a file or folder of that name`},
		{"hard link out", []testenv.TarEntry{{Name: "h", Kind: tar.TypeLink, Target: "../../sentinel"}}, `entry "h" is a hard link to "../../sentinel", which climbs out of its folder with ..`},
		{"hard link to nothing", []testenv.TarEntry{{Name: "h", Kind: tar.TypeLink, Target: "missing"}}, `entry "h" is a hard link to "missing", which is not a file earlier in the archive`},
		{"device", []testenv.TarEntry{{Name: "dev", Kind: tar.TypeChar}}, `entry "dev" is a device or named pipe`},
		{"twice", []testenv.TarEntry{{Name: "a", Kind: tar.TypeReg, Body: "1"}, {Name: "./a", Kind: tar.TypeReg, Body: "2"}}, `entry "./a" appears twice`},
		{"backslash", []testenv.TarEntry{{Name: `..\evil.txt`, Kind: tar.TypeReg, Body: "x"}}, `has a backslash`},
	}
	run := func(t *testing.T, name string, data []byte, want string) {
		root := t.TempDir()
		sentinel := filepath.Join(root, "sentinel")
		os.WriteFile(sentinel, []byte("safe"), 0o644)
		dest := filepath.Join(root, "a", "b", "out")
		os.MkdirAll(dest, 0o755)
		src := filepath.Join(root, name)
		os.WriteFile(src, data, 0o644)
		err := Unpack(context.Background(), src, dest, name)
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
		t.Run(tc.name, func(t *testing.T) {
			run(t, "x.tar.gz", testenv.CompressTar(t, "x.tar.gz", testenv.TarBytes(t, tc.entries)), tc.want)
		})
	}
	zipTests := []struct {
		name    string
		entries []testenv.ZipEntry
		want    string
	}{
		{"zip slip", []testenv.ZipEntry{{Name: "../../evil.txt", Body: "pwned"}}, `entry "../../evil.txt" climbs out of its folder with ..`},
		{"zip absolute", []testenv.ZipEntry{{Name: "/evil.txt", Body: "pwned"}}, `entry "/evil.txt" is an absolute path`},
		{"zip symlink out", []testenv.ZipEntry{{Name: "l", Body: "../../../sentinel", Mode: fs.ModeSymlink | 0o777}}, `entry "l" is a symlink to "../../../sentinel", which leaves the archive's folder`},
		{"zip file through a link", []testenv.ZipEntry{{Name: "l", Body: ".", Mode: fs.ModeSymlink | 0o777}, {Name: "l/evil.txt", Body: "x"}}, `entry "l" is a symlink, but the archive also has a file or folder of that name`},
	}
	for _, tc := range zipTests {
		t.Run(tc.name, func(t *testing.T) { run(t, "x.zip", testenv.ZipBytes(t, tc.entries), tc.want) })
	}
}

func TestUnpackStopsAtLambdasLimit(t *testing.T) {
	defer func(old int64) { maxUnpacked = old }(maxUnpacked)
	maxUnpacked = 1 << 20 // as if Lambda allowed 1 MB
	dir := t.TempDir()
	big := strings.Repeat("\x00", 600<<10)
	src := filepath.Join(dir, "bomb.tar.zst")
	os.WriteFile(src, testenv.CompressTar(t, src, testenv.TarBytes(t, []testenv.TarEntry{{Name: "a", Kind: tar.TypeReg, Body: big}, {Name: "b", Kind: tar.TypeReg, Body: big}})), 0o644)
	dest := filepath.Join(dir, "out")
	os.Mkdir(dest, 0o755)
	err := Unpack(context.Background(), src, dest, "bomb.tar.zst")
	if err == nil || !strings.Contains(err.Error(), "unpacks to more than Lambda's limit") {
		t.Fatalf("got %v", err)
	}
}
