package verify

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
)

// A ZIP whose names would write outside the folder it is unpacked into is
// never unpacked: verify reports inspect's finding and stops there. It
// knows the finding by its kind, not by its words.
func TestVerifyNeverUnpacksUnsafeNames(t *testing.T) {
	zipPath := filepath.Join(t.TempDir(), "evil.zip")
	data := testenv.ZipBytes(t, []testenv.ZipEntry{{Name: "python/ok.py", Body: "X = 1\n"}, {Name: "../escape.py", Body: "pwned\n"}})
	if err := os.WriteFile(zipPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Verify(t.Context(), zipPath, Options{Runtimes: []string{"python3.12"}})
	if err != nil {
		t.Fatalf("verify unpacked it (or tried): %v", err)
	}
	if len(r.Checks) != 0 {
		t.Errorf("checks ran: %v", r.Checks)
	}
	unsafe := 0
	for _, f := range r.Findings {
		if f.Kind == layer.UnsafeName {
			unsafe++
		}
	}
	if unsafe != 1 || !r.Failed() {
		t.Errorf("findings %v: want the one unsafe name, failed", r.Findings)
	}
}
