package archive

import (
	"archive/tar"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
)

// Regression test (found while writing FuzzUnpack's "unpacked bytes within
// the limit" invariant): a hard link is unpacked as a copy of the file it
// names, after the walk, and the copies are not counted towards the limit.
// A 1.2 KB tar.gz of one 900 KB file and 20 hard links to it unpacks to
// 19 MB under a 1 MB limit; with Lambda's 250 MB limit, a tar.gz of a few
// hundred KB can fill a disk. Fails until the copies count (the hard-link
// rework of unpack.go, issue 8 "unpack").
func TestUnpackHardLinkCopiesCountTowardsTheLimit(t *testing.T) {
	defer func(old int64) { maxUnpacked = old }(maxUnpacked)
	maxUnpacked = 1 << 20 // as if Lambda allowed 1 MB
	entries := []testenv.TarEntry{{Name: "a", Kind: tar.TypeReg, Body: strings.Repeat("\x00", 900<<10)}}
	for _, n := range "bcdefghijklmnopqrstu" {
		entries = append(entries, testenv.TarEntry{Name: string(n), Kind: tar.TypeLink, Target: "a"})
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "links.tar.gz")
	os.WriteFile(src, testenv.CompressTar(t, src, testenv.TarBytes(t, entries)), 0o644)
	dest := filepath.Join(dir, "out")
	os.Mkdir(dest, 0o755)
	err := Unpack(context.Background(), src, dest, "links.tar.gz")

	var total int64
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			total += info.Size()
		}
		return err
	})
	if total > maxUnpacked+1 {
		t.Errorf("%d bytes unpacked under a limit of %d", total, maxUnpacked)
	}
	if err == nil || !strings.Contains(err.Error(), "unpacks to more than Lambda's limit") {
		t.Errorf("error %v, want the limit's", err)
	}
}
