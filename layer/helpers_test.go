package layer

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/layerctl/layerctl/manifest"
)

// tree writes files (path -> content) under dir; a path ending in "*" is
// made executable (the star is dropped).
func tree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name[len(name)-1] == '*' {
			name, mode = name[:len(name)-1], 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}

func pyLayer(name string, files ...manifest.FileMap) *manifest.Layer {
	return &manifest.Layer{
		Name:            name,
		Runtimes:        []string{"python3.12"},
		Architectures:   []string{"x86_64"},
		Files:           files,
		DefaultExcludes: true,
	}
}

func build(t *testing.T, dir string, l *manifest.Layer, opts BuildOptions) (*Artifact, error) {
	t.Helper()
	if opts.OutDir == "" {
		opts.OutDir = filepath.Join(t.TempDir(), "dist")
	}
	if opts.Modified.IsZero() {
		opts.Modified = DefaultModified
	}
	return Build(context.Background(), &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}, l, opts)
}

func mustBuild(t *testing.T, dir string, l *manifest.Layer, opts BuildOptions) *Artifact {
	t.Helper()
	a, err := build(t, dir, l, opts)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return a
}

// readZip returns name -> header and content of every entry.
func readZip(t *testing.T, path string) (map[string]*zip.FileHeader, map[string]string, []string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("archive/zip cannot read %s: %v", path, err)
	}
	defer zr.Close()
	heads := map[string]*zip.FileHeader{}
	data := map[string]string{}
	var order []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 0, f.UncompressedSize64)
		buf := make([]byte, 32<<10)
		for {
			n, err := rc.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				break
			}
		}
		rc.Close()
		if int64(len(b)) != int64(f.UncompressedSize64) {
			t.Fatalf("%s: read %d bytes, header says %d", f.Name, len(b), f.UncompressedSize64)
		}
		h := f.FileHeader
		heads[f.Name] = &h
		data[f.Name] = string(b)
		order = append(order, f.Name)
	}
	return heads, data, order
}

func touchAll(t *testing.T, dir string, when time.Time) {
	t.Helper()
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode()&os.ModeSymlink == 0 {
			os.Chtimes(p, when, when)
		}
		return nil
	})
}
