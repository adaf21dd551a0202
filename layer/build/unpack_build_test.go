package build

import (
	"archive/tar"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

// An archive in files is unpacked into to, read in place like any folder.
func TestArchiveSourcesInALayer(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "jq.tar.gz"), testenv.CompressTar(t, "jq.tar.gz", testenv.TarBytes(t, testenv.GoodTar)), 0o644)
	os.WriteFile(filepath.Join(dir, "evil.tar.gz"), testenv.CompressTar(t, "evil.tar.gz", testenv.TarBytes(t, []testenv.TarEntry{{Name: "../x", Kind: tar.TypeReg}})), 0o644)
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
