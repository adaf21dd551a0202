package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lock pull with a manifest that keeps the lock in layerctl.lock is a
// usage error that says so; the local file is untouched.
func TestLockPullNeedsAnS3Lock(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "layerctl.yaml"), []byte("version: 1\nlayers:\n  a: {runtimes: [python3.12], files: [{from: src}]}\n"), 0o644)
	code, _, errs := run(t, nil, "-f", filepath.Join(dir, "layerctl.yaml"), "lock", "pull")
	if code != ExitInvalid || !strings.Contains(errs, "the manifest keeps the lock in layerctl.lock (no lock: {s3: ...}): there is nothing to pull") {
		t.Errorf("exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "layerctl.lock")); err == nil {
		t.Error("a lock file was made")
	}
}
