//go:build unix

package build

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
)

// A cache file replaced by a FIFO would block a plain read for ever.
func TestCacheFileThatIsAFIFOIsIgnored(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "tool*": "#!/bin/sh\n"})
	aged(t, dir)
	first, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(memoPath(out))
	if err := syscall.Mkfifo(memoPath(out), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil || a.SHA256 != first.SHA256 {
		t.Fatalf("%+v %v", a, err)
	}
	if n := findingsText(a); !strings.Contains(n, "files.memo was unreadable and was rebuilt") || !strings.Contains(n, "not a regular file") {
		t.Errorf("findings %q", n)
	}
}
