package check_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/check"
)

func TestInspectBuiltLayer(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, sample)
	art := steptest.MustBuild(t, dir, sampleLayer(), build.Options{})
	r, err := check.Inspect(context.Background(), art.Path, check.InspectOptions{Runtimes: []string{"python3.12"}, Architectures: []string{"x86_64"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.SHA256 != art.SHA256 || r.CodeSHA256 != art.CodeSHA256 || r.Size != art.Size || r.UnzippedSize != art.UnzippedSize || r.Files != art.Files {
		t.Errorf("inspect disagrees with build:\n%+v\n%+v", r, art)
	}
	if len(r.Findings) != 0 {
		t.Errorf("findings on a good layer: %v", r.Findings)
	}
	if r.Largest[0].Path != "python/pkg/core.py" {
		t.Errorf("largest is %s", r.Largest[0].Path)
	}
}

func TestInspectFindsProblems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	elf := make([]byte, 64)
	copy(elf, "\x7fELF\x02\x01\x01")
	elf[18] = 183
	for name, content := range map[string][]byte{
		"../../etc/cron.d/x":     []byte("evil"),
		"/abs.txt":               []byte("abs"),
		"python/ok.py":           []byte("x"),
		"python/_native.so":      elf,
		"site-packages/lost.py":  []byte("y"),
		"nodejs/node_modules/a":  []byte("z"),
		"python/lib/python3.9/x": []byte("w"),
	} {
		w, _ := zw.Create(name)
		w.Write(content)
	}
	zw.Close()
	f.Close()

	r, err := check.Inspect(context.Background(), path, check.InspectOptions{Runtimes: []string{"python3.12"}, Architectures: []string{"x86_64"}})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, f := range r.Findings {
		all = append(all, f.String())
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{
		`entry "../../etc/cron.d/x" climbs out of the ZIP`,
		`entry "/abs.txt" is an absolute path`,
		"python/_native.so is native code for arm64 (aarch64), but the layer is for x86_64",
		"site-packages/ (1 file) will not be seen by python3.12",
		"nodejs/ (1 file) will not be seen by python3.12: the layer's runtimes (python3.12) do not read nodejs/; the Node.js runtimes do (nodejs22.x",
		"python/lib/python3.9/ (1 file) will not be seen by python3.12: only site-packages/ is read",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("findings do not say %q:\n%s", want, joined)
		}
	}
	if !r.HasErrors() {
		t.Error("HasErrors is false")
	}

	// Without runtimes or architectures, layout problems are only warnings.
	r, err = check.Inspect(context.Background(), path, check.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Severity == layer.SevError && !strings.Contains(f.Message, "entry") {
			t.Errorf("unexpected error without targets: %s", f)
		}
	}
}

func TestInspectRejectsNonZip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.zip")
	os.WriteFile(path, []byte("hello"), 0o644)
	if _, err := check.Inspect(context.Background(), path, check.InspectOptions{}); err == nil || !strings.Contains(err.Error(), "not a readable ZIP") {
		t.Fatalf("error %v", err)
	}
}

// A header may claim any size up to 2^64-1: claims past Lambda's limit are
// findings that name the entry, and the total never wraps round.
func TestInspectHugeClaimedSizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "claims.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, claim := range map[string]uint64{
		"python/a.py": math.MaxInt64,
		"python/b.py": math.MaxInt64,
		"python/c.py": math.MaxUint64,
		"python/d.py": 1,
	} {
		// CreateRaw writes the header's sizes as given, as a hostile ZIP
		// writer would.
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CompressedSize64: 1, UncompressedSize64: claim, CRC32: crc32.ChecksumIEEE([]byte("x"))})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, buf.Bytes(), 0o644)

	r, err := check.Inspect(context.Background(), path, check.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, f := range r.Findings {
		all = append(all, f.String())
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{
		`error: entry "python/a.py" claims 9223372036854775807 bytes unzipped, more than Lambda's limit of 262144000 bytes (250 MB)`,
		`error: entry "python/b.py" claims 9223372036854775807 bytes unzipped`,
		`error: entry "python/c.py" claims 18446744073709551615 bytes unzipped`,
		"unzipped is over Lambda's limit",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("findings do not say %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "python/d.py") {
		t.Errorf("a 1-byte entry is flagged:\n%s", joined)
	}
	if r.UnzippedSize != math.MaxInt64 {
		t.Errorf("unzipped size %d, want %d (the most an int64 holds)", r.UnzippedSize, int64(math.MaxInt64))
	}
	for _, e := range r.Entries {
		if e.Size < 0 || e.CompressedSize < 0 {
			t.Errorf("entry %s has a negative size: %+v", e.Path, e)
		}
	}
	js, _ := json.Marshal(r)
	if bytes.Contains(js, []byte(`:-`)) {
		t.Errorf("negative number in the JSON: %s", js)
	}
}

// sample and sampleLayer are build's tests' layer, built here to be
// inspected.
var sample, sampleLayer = testenv.Sample(), testenv.SampleLayer
