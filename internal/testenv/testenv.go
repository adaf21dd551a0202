// Package testenv holds the test helpers that tests of several packages
// share: writing trees and reading ZIPs, test wheels and sdists, the moto
// emulator, and Integration, the one place that says which tests the fast
// path (`go test -short ./...`) leaves out. Only tests import it; it
// imports no layerctl package but manifest and lambdafacts.
package testenv

import (
	"archive/zip"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

// Integration skips the test in -short mode: it needs moto, npm, pip,
// node, a go build of real modules or the network. `go test -short ./...`
// is the fast unit-only path; the full `go test ./...` (CI) runs them all.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs moto, a package tool or the network (run without -short)")
	}
}

// Tree writes files (path -> content) under dir; a path ending in "*" is
// made executable (the star is dropped).
func Tree(t testing.TB, dir string, files map[string]string) {
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

// TouchAll sets the times of every file under dir (links aside) to when.
func TouchAll(t testing.TB, dir string, when time.Time) {
	t.Helper()
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode()&os.ModeSymlink == 0 {
			os.Chtimes(p, when, when)
		}
		return nil
	})
}

// Sample is the sources of SampleLayer, build's tests' layer (inspected by
// check's): a Python package with data, its tests, bytecode and a Finder
// file (the last two dropped by the default excludes), and a tool whose
// name holds a '*'.
func Sample() map[string]string {
	return map[string]string{
		"src/pkg/__init__.py":             "",
		"src/pkg/core.py":                 strings.Repeat("def f(x):\n    return x * 2\n", 200),
		"src/pkg/data/table.json":         `{"a": 1}`,
		"src/pkg/tests/test_core.py":      "assert True\n",
		"src/pkg/__pycache__/core.pyc":    "bytecode",
		"src/pkg/.DS_Store":               "finder",
		"src/tool*":                       "#!/bin/sh\necho hi\n",
		"src/pkg/nested/deeper/module.py": "X = 1\n",
	}
}

// SampleLayer packs Sample's package as python/pkg and its tool as
// bin/tool.
func SampleLayer() *manifest.Layer {
	return PyLayer("shared",
		manifest.FileMap{From: "src/pkg", To: "python/pkg"},
		manifest.FileMap{From: "src/tool", To: "bin/tool"},
	)
}

// PyLayer is a python3.12 x86_64 layer of files, with the default excludes.
func PyLayer(name string, files ...manifest.FileMap) *manifest.Layer {
	return &manifest.Layer{
		Name:            name,
		Runtimes:        []string{"python3.12"},
		Architectures:   []string{"x86_64"},
		Files:           files,
		DefaultExcludes: true,
	}
}

// ReadZip returns name -> header and content of every entry, and the
// entries' order.
func ReadZip(t testing.TB, path string) (map[string]*zip.FileHeader, map[string]string, []string) {
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

// ZipsIn lists the ZIPs in dir.
func ZipsIn(t testing.TB, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	return m
}

// Machines returns the ELF machine of every ELF entry of a ZIP.
func Machines(t testing.TB, zipPath string) map[string]elf.Machine {
	t.Helper()
	_, data, _ := ReadZip(t, zipPath)
	out := map[string]elf.Machine{}
	for name, content := range data {
		if m, ok := lambdafacts.ELFMachine([]byte(content)); ok {
			out[name] = elf.Machine(m)
		}
	}
	return out
}

// ELFHeader is the first 64 bytes of a 64-bit little-endian ELF shared
// object for machine: enough for every ELF reader to tell its machine.
func ELFHeader(machine elf.Machine) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	h[16] = byte(elf.ET_DYN)
	h[18], h[19] = byte(machine), byte(machine>>8)
	h[20] = 1  // e_version
	h[52] = 64 // e_ehsize
	return h
}

// NeedTools is for tests that drive pip, npm, node or go: they are
// integration tests (skipped in -short mode), and otherwise fail (never
// skip) when a tool is missing: .ci/run installs them.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	Integration(t)
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for this test (install it; .ci/run does): %v", tool, err)
		}
	}
	if slices.Contains(tools, "python3") {
		if out, err := exec.Command("python3", "-m", "pip", "--version").CombinedOutput(); err != nil {
			t.Fatalf("python3 has no pip (install python3-pip; .ci/run does): %v: %s", err, out)
		}
	}
}
