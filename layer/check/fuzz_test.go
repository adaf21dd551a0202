package check

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// The archive readers take bytes from anywhere: a ZIP passed to inspect or
// publish --zip, an archive named in a manifest. Their fuzz targets check
// what must hold whatever the bytes:
//
//	go test ./layer/check -run XXX -fuzz FuzzInspect -fuzztime 3m
//	go test ./layer/archive -run XXX -fuzz FuzzUnpack -fuzztime 3m
//
// Both write every input to a file: with TMPDIR on a tmpfs (/dev/shm) they
// run 10 to 20 times faster than on a busy disk.

func FuzzInspect(f *testing.F) {
	zips, tgzs := testenv.ArchiveSeeds(f)
	for _, s := range append(zips, tgzs...) {
		f.Add(s)
	}
	// One file, rewritten for each input: a folder per input costs more
	// than the inspect.
	path := filepath.Join(f.TempDir(), "fuzz.zip")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Inspect(context.Background(), path, InspectOptions{})
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("an error without a message: %#v", err)
			}
			return
		}
		checkReport(t, r, int64(len(data)))
	})
}

// checkReport asserts what any inspect report must hold.
func checkReport(t *testing.T, r *Report, size int64) {
	t.Helper()
	if r.Size != size {
		t.Errorf("size %d, the file has %d", r.Size, size)
	}
	if r.UnzippedSize < 0 || r.Files < 0 || r.Files > len(r.Entries) || len(r.Largest) > 10 {
		t.Errorf("unzipped %d, %d files of %d entries, %d largest", r.UnzippedSize, r.Files, len(r.Entries), len(r.Largest))
	}
	errorsFor := map[string]bool{}
	for _, f := range r.Findings {
		if f.Message == "" || (f.Severity != layer.SevError && f.Severity != layer.SevWarning && f.Severity != layer.SevNote) {
			t.Errorf("finding without a message or severity: %#v", f)
		}
		if f.Severity == layer.SevError {
			errorsFor[f.Path] = true
		}
	}
	keys := map[string]int{}
	var sum int64
	for _, e := range r.Entries {
		if e.Size < 0 || e.CompressedSize < 0 {
			t.Errorf("entry %q has a negative size: %+v", e.Path, e)
		}
		if _, bad := safetext.Control(e.Path); bad && !errorsFor[e.Path] {
			t.Errorf("entry %q has a control character and no error finding", e.Path)
		}
		if e.Size > lambdafacts.MaxUnzipped && !errorsFor[e.Path] {
			t.Errorf("entry %q claims %d bytes and has no error finding", e.Path, e.Size)
		}
		keys[entryKey(e.Path)]++
		if e.Type == "file" {
			sum = addSize(sum, e.Size)
		}
	}
	if sum != r.UnzippedSize {
		t.Errorf("unzipped size %d, the files sum to %d", r.UnzippedSize, sum)
	}
	if r.UnzippedSize > lambdafacts.MaxUnzipped && !r.HasErrors() {
		t.Errorf("%d bytes unzipped without an error", r.UnzippedSize)
	}
	for k, n := range keys {
		if n > 1 && !r.HasErrors() {
			t.Errorf("%q is %d entries without an error", k, n)
		}
	}
}
