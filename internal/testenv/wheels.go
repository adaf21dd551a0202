package testenv

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// WriteWheel writes a real wheel file (PEP 427: the files, METADATA, WHEEL
// with its tag, a RECORD with every file's hash) into dir and returns its
// SHA-256, as a requirements file's --hash takes it.
func WriteWheel(t testing.TB, dir, dist, version, tag string, files map[string][]byte) string {
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

// Wheelhouse makes the test wheels: purepkg (pure Python, with a console
// script) and natpkg, with a native extension for each CPython version
// and architecture asked for.
func Wheelhouse(t testing.TB, dir string, natpkg map[string][]string) (pureHash string) {
	t.Helper()
	pureHash = WriteWheel(t, dir, "purepkg", "1.0", "py3-none-any", map[string][]byte{
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
			WriteWheel(t, dir, "natpkg", "1.0", fmt.Sprintf("%s-%s-manylinux2014_%s", cp, cp, lambdafacts.Uname(arch)), map[string][]byte{
				"natpkg/__init__.py": []byte("# the extension loads lazily\n"),
				so:                   ELFHeader(m),
			})
		}
	}
	return pureHash
}

// WriteSdist writes a source distribution NAME-VERSION.tar.gz into dir
// whose in-tree build backend appends a line to marker whenever pip runs
// it, then builds a pure wheel with NAME/__init__.py.
func WriteSdist(t testing.TB, dir, name, version, marker string) string {
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
