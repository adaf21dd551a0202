package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
)

// Archive links are resolved as Linux will once they are made: a chain
// of links each harmless alone is refused before any link is made.
func TestUnpackResolvesLinkChains(t *testing.T) {
	tests := []struct {
		name    string
		archive string
		data    func(t *testing.T) []byte
		want    string // "" when the archive unpacks
	}{
		{"chain leaves, tar.gz", "x.tar.gz", func(t *testing.T) []byte {
			return testenv.CompressTar(t, "x.tar.gz", testenv.TarBytes(t, []testenv.TarEntry{
				{Name: "d/e/", Kind: tar.TypeDir, Mode: 0o755},
				{Name: "d/e/s", Kind: tar.TypeSymlink, Target: ".."},
				{Name: "x", Kind: tar.TypeSymlink, Target: "d/e/s/../../.."},
			}))
		}, `entry "x" is a symlink to "d/e/s/../../..", which leaves the archive's folder: d/e/s is a link to .., so x resolves above the archive's folder: refused`},
		{"chain leaves, zip", "x.zip", func(t *testing.T) []byte {
			return testenv.ZipBytes(t, []testenv.ZipEntry{
				{Name: "d/e/s", Body: "..", Mode: fs.ModeSymlink | 0o777},
				{Name: "x", Body: "d/e/s/../../..", Mode: fs.ModeSymlink | 0o777},
			})
		}, `entry "x" is a symlink to "d/e/s/../../..", which leaves the archive's folder: d/e/s is a link to ..`},
		{"a link made through a link", "x.tar.gz", func(t *testing.T) []byte {
			return testenv.CompressTar(t, "x.tar.gz", testenv.TarBytes(t, []testenv.TarEntry{
				{Name: "f", Kind: tar.TypeReg, Body: "x"},
				{Name: "l", Kind: tar.TypeSymlink, Target: "."},
				{Name: "l/x", Kind: tar.TypeSymlink, Target: "../f"},
			}))
		}, `entry "l/x" is a symlink to "../f" that is inside l, which is not a folder`},
		{"loop", "x.tar.gz", func(t *testing.T) []byte {
			return testenv.CompressTar(t, "x.tar.gz", testenv.TarBytes(t, []testenv.TarEntry{
				{Name: "a", Kind: tar.TypeSymlink, Target: "b"},
				{Name: "b", Kind: tar.TypeSymlink, Target: "a"},
			}))
		}, `entry "a" is a symlink to "b" that never resolves: it loops or goes through more than 40 links (a -> b -> a): refused`},
		{"dangling", "x.tar.gz", func(t *testing.T) []byte {
			return testenv.CompressTar(t, "x.tar.gz", testenv.TarBytes(t, []testenv.TarEntry{{Name: "bin/jq", Kind: tar.TypeSymlink, Target: "jq-1.7"}}))
		}, `entry "bin/jq" is a symlink to "jq-1.7" that points to bin/jq-1.7, which is not in the archive: refused`},
		{"a target Linux would not store", "x.tar.gz", func(t *testing.T) []byte {
			return testenv.CompressTar(t, "x.tar.gz", testenv.TarBytes(t, []testenv.TarEntry{
				{Name: "f", Kind: tar.TypeReg, Body: "x"},
				{Name: "x", Kind: tar.TypeSymlink, Target: strings.Repeat("./", 3000) + "f"},
			}))
		}, `that has a target longer than the 4095 bytes Linux allows: refused`},
		{"up and back in, through a deeper link", "x.tar.gz", func(t *testing.T) []byte {
			return testenv.CompressTar(t, "x.tar.gz", testenv.TarBytes(t, []testenv.TarEntry{
				{Name: "d/e/f", Kind: tar.TypeReg, Body: "f"},
				{Name: "top", Kind: tar.TypeReg, Body: "t"},
				{Name: "l", Kind: tar.TypeSymlink, Target: "d/e"},
				{Name: "x", Kind: tar.TypeSymlink, Target: "l/../../top"},
			}))
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dest := filepath.Join(root, "a", "b", "out")
			os.MkdirAll(dest, 0o755)
			src := filepath.Join(root, tc.archive)
			os.WriteFile(src, tc.data(t), 0o644)
			err := Unpack(context.Background(), src, dest, tc.archive)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff([]string{"d/", "d/e/", "d/e/f", "l -> d/e", "top", "x -> l/../../top"}, testenv.ListTree(t, dest)); d != "" {
					t.Errorf("unpacked (-want +got):\n%s", d)
				}
				return
			}
			var ue *UnpackError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant an *UnpackError saying %s", err, tc.want)
			}
			// Refused before any link was made.
			for _, p := range testenv.ListTree(t, dest) {
				if strings.Contains(p, " -> ") {
					t.Errorf("made %s", p)
				}
			}
		})
	}
}

// A hard link is unpacked as a copy, so its bytes count against the limit
// before the copy is made: a small archive of one big file and many hard
// links to it is refused having written about the limit, not gigabytes.
func TestUnpackCountsHardLinksBeforeCopying(t *testing.T) {
	defer func(old int64) { maxUnpacked = old }(maxUnpacked)
	maxUnpacked = 10 << 20 // as if Lambda allowed 10 MB
	entries := []testenv.TarEntry{{Name: "big", Kind: tar.TypeReg, Body: strings.Repeat("\x00", 6<<20)}}
	for i := range 10 {
		entries = append(entries, testenv.TarEntry{Name: fmt.Sprintf("copy%d", i), Kind: tar.TypeLink, Target: "big"})
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "bomb.tar.gz")
	data := testenv.CompressTar(t, src, testenv.TarBytes(t, entries))
	if len(data) > 100<<10 {
		t.Fatalf("the bomb is %d bytes: not a bomb", len(data))
	}
	os.WriteFile(src, data, 0o644)
	dest := filepath.Join(dir, "out")
	os.Mkdir(dest, 0o755)
	err := Unpack(context.Background(), src, dest, "bomb.tar.gz")
	if err == nil || !strings.Contains(err.Error(), "archive bomb.tar.gz: unpacks to more than Lambda's limit of 10485759 bytes") {
		t.Fatalf("got %v", err)
	}
	var written int64
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			written += info.Size()
		}
		return nil
	})
	if written >= maxUnpacked {
		t.Errorf("wrote %d bytes before refusing, over the %d limit", written, maxUnpacked)
	}
}
