package archive

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mholt/archiver/v3"

	"github.com/layerctl/layerctl/internal/testenv"
)

func FuzzUnpack(f *testing.F) {
	zips, tgzs := testenv.ArchiveSeeds(f)
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
	err := UnpackWith(context.Background(), w, src, dest, name)
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
