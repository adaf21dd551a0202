package layer

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

// elfHeader is the first 64 bytes of a 64-bit little-endian ELF shared
// object for machine: enough for every ELF reader to tell its machine.
func elfHeader(machine elf.Machine) []byte {
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

// writeWheel writes a real wheel file (PEP 427: the files, METADATA, WHEEL
// with its tag, a RECORD with every file's hash) into dir and returns its
// SHA-256, as a requirements file's --hash takes it.
func writeWheel(t *testing.T, dir, dist, version, tag string, files map[string][]byte) string {
	t.Helper()
	info := fmt.Sprintf("%s-%s.dist-info", dist, version)
	all := map[string][]byte{}
	for k, v := range files {
		all[k] = v
	}
	purelib := strings.HasSuffix(tag, "-none-any")
	all[info+"/METADATA"] = fmt.Appendf(nil, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", dist, version)
	all[info+"/WHEEL"] = fmt.Appendf(nil, "Wheel-Version: 1.0\nGenerator: layerctl-test\nRoot-Is-Purelib: %v\nTag: %s\n", purelib, tag)
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	slices.Sort(names)
	var record bytes.Buffer
	for _, n := range names {
		sum := sha256.Sum256(all[n])
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(all[n]))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", info)
	all[info+"/RECORD"] = record.Bytes()
	names = append(names, info+"/RECORD")

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(all[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s-%s-%s.whl", dist, version, tag)
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

// wheelhouse makes the test wheels: purepkg (pure Python, with a console
// script) and natpkg, with a native extension for each CPython version
// and architecture asked for.
func wheelhouse(t *testing.T, dir string, natpkg map[string][]string) (pureHash string) {
	t.Helper()
	pureHash = writeWheel(t, dir, "purepkg", "1.0", "py3-none-any", map[string][]byte{
		"purepkg/__init__.py":                    []byte("def main():\n    return 'pure'\n"),
		"purepkg-1.0.dist-info/entry_points.txt": []byte("[console_scripts]\npuretool = purepkg:main\n"),
	})
	for cp, archs := range natpkg { // cp312 -> [x86_64, arm64]
		for _, arch := range archs {
			m := elf.EM_X86_64
			if arch == "arm64" {
				m = elf.EM_AARCH64
			}
			so := fmt.Sprintf("natpkg/_native.cpython-%s-%s-linux-gnu.so", strings.TrimPrefix(cp, "cp"), lambdafacts.Uname(arch))
			writeWheel(t, dir, "natpkg", "1.0", fmt.Sprintf("%s-%s-manylinux2014_%s", cp, cp, lambdafacts.Uname(arch)), map[string][]byte{
				"natpkg/__init__.py": []byte("# the extension loads lazily\n"),
				so:                   elfHeader(m),
			})
		}
	}
	return pureHash
}

// needTools fails (never skips) when a tool the test drives is missing:
// .ci/run installs them.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
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

// testTools is one Tools for the whole test binary, so that python3, npm
// and go are asked about themselves once.
var testTools = sync.OnceValue(func() *Tools { return &Tools{} })

// buildLayer builds l from dir into out with the shared test Tools.
func buildLayer(t *testing.T, dir, out string, l *manifest.Layer, noCache bool) (*Artifact, error) {
	t.Helper()
	if l.Architectures == nil {
		l.Architectures = []string{"x86_64"}
	}
	l.DefaultExcludes = true
	m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
	return Build(context.Background(), m, l, BuildOptions{OutDir: out, Modified: DefaultModified, NoCache: noCache, Tools: testTools()})
}

// machines returns the ELF machine of every ELF entry of a ZIP.
func machines(t *testing.T, zipPath string) map[string]elf.Machine {
	t.Helper()
	_, data, _ := readZip(t, zipPath)
	out := map[string]elf.Machine{}
	for name, content := range data {
		if m, ok := lambdafacts.ELFMachine([]byte(content)); ok {
			out[name] = elf.Machine(m)
		}
	}
	return out
}

// cacheEntries lists the recorded builds in an output folder.
func cacheEntries(t *testing.T, out string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(out, CacheDirName, "builds"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func zipsIn(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	return m
}

// writeSdist writes a source distribution NAME-VERSION.tar.gz into dir
// whose in-tree build backend appends a line to marker whenever pip runs
// it, then builds a pure wheel with NAME/__init__.py.
func writeSdist(t *testing.T, dir, name, version, marker string) string {
	t.Helper()
	backend := fmt.Sprintf(`import base64, hashlib, os, zipfile
def _ran(what):
    with open(%q, "a") as f:
        f.write(what + "\n")
def get_requires_for_build_wheel(config_settings=None):
    _ran("get_requires_for_build_wheel")
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _ran("build_wheel")
    info = "%[2]s-%[3]s.dist-info"
    files = {"%[2]s/__init__.py": b"BUILT = True\n",
             info + "/METADATA": b"Metadata-Version: 2.1\nName: %[2]s\nVersion: %[3]s\n",
             info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = ["%%s,sha256=%%s,%%d" %% (n, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d)) for n, d in files.items()]
    files[info + "/RECORD"] = ("\n".join(record + [info + "/RECORD,,"]) + "\n").encode()
    wheel = "%[2]s-%[3]s-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        for n, d in files.items():
            z.writestr(n, d)
    return wheel
`, marker, name, version)
	top := fmt.Sprintf("%s-%s/", name, version)
	files := map[string]string{
		top + "pyproject.toml": fmt.Sprintf("[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n\n[project]\nname = %q\nversion = %q\n", name, version),
		top + "backend.py":     backend,
		top + "PKG-INFO":       fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version),
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%s.tar.gz", name, version))
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
