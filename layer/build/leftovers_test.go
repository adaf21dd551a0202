package build

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/layerctl/layerctl/internal/inuse"
	"github.com/layerctl/layerctl/internal/testenv"
)

// holdInAnotherProcess holds the lock on path from a child process until
// the test ends: a concurrent build, as far as the lock can tell.
func holdInAnotherProcess(t *testing.T, path string) {
	t.Helper()
	lockInAnotherProcess(t, path)
}

// lockInAnotherProcess runs TestHelperHoldLock in a child process, with
// env added, until release or the test's end, whichever comes first;
// it returns once the child holds the lock.
func lockInAnotherProcess(t *testing.T, path string, env ...string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(append(os.Environ(), "LAYERCTL_TEST_HOLD_LOCK="+path), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { stdin.Close(); cmd.Wait() }) }
	t.Cleanup(release)
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "held\n" {
		t.Fatalf("helper: %q %v", line, err)
	}
	return release
}

// TestHelperHoldLock is the child of holdInAnotherProcess: it holds the
// lock until its stdin closes. Run as a test, it does nothing.
func TestHelperHoldLock(t *testing.T) {
	p := os.Getenv("LAYERCTL_TEST_HOLD_LOCK")
	if p == "" {
		return
	}
	hold := inuse.Hold
	if os.Getenv("LAYERCTL_TEST_USE_LOCK") != "" {
		hold = inuse.Use // a run using a ZIP it built or took
	}
	h, err := hold(p)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("held")
	io.Copy(io.Discard, os.Stdin)
	h.Release()
	os.Exit(0)
}

// leftover writes a file of size bytes at p, folders included.
func leftover(t *testing.T, p string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// What a killed build leaves (its locks die with it) is removed by the next
// build, with a note; what a live build holds, or another tool made, is not.
func TestLeftoversOfKilledBuildsAreRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "tool*": "#!/bin/sh\n"})
	aged(t, dir)
	if _, err := buildLayer(t, dir, out, cacheLayer(), false); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(out, CacheDirName)

	// Exactly as a killed build leaves them: no lock held.
	dead := []string{
		filepath.Join(out, ".app-1234567.zip.tmp"),
		filepath.Join(cache, ".files.memo.99.tmp"),
		filepath.Join(cache, "builds", ".app-"+strings.Repeat("0", 64)+".json.98.tmp"),
		filepath.Join(tmp, "layerctl-app-555"),
	}
	leftover(t, dead[0], 3<<20)
	leftover(t, dead[1], 1000)
	leftover(t, dead[2], 1000)
	leftover(t, filepath.Join(dead[3], "archive-0", "big.bin"), 2<<20)
	leftover(t, filepath.Join(dead[3], workMarker), 0)

	// Live: held by another process, and by this one.
	liveZip := filepath.Join(out, ".app-7654321.zip.tmp")
	leftover(t, liveZip, 1000)
	holdInAnotherProcess(t, liveZip)
	liveWork := filepath.Join(tmp, "layerctl-app-777")
	leftover(t, filepath.Join(liveWork, workMarker), 0)
	h, err := inuse.Hold(filepath.Join(liveWork, workMarker))
	if err != nil {
		t.Fatal(err)
	}
	liveMemo := filepath.Join(cache, ".files.memo.11.tmp")
	leftover(t, liveMemo, 10)
	holdInAnotherProcess(t, liveMemo)
	// Not a build's: no marker, or not a folder.
	others := []string{filepath.Join(tmp, "layerctl-verify-1"), filepath.Join(tmp, "layerctl-link"), filepath.Join(out, "app.zip.tmp")}
	leftover(t, filepath.Join(others[0], "python", "x.py"), 10)
	os.Symlink(liveWork, others[1])
	leftover(t, others[2], 10)

	a, err := buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range dead {
		if exists(p) {
			t.Errorf("%s is still there", p)
		}
	}
	for _, p := range append([]string{liveZip, liveWork, liveMemo}, others...) {
		if !exists(p) {
			t.Errorf("%s was removed", p)
		}
	}
	if n := findingsText(a); !strings.Contains(n, "note: removed 4 temporary file(s) or folder(s) left by builds that were killed, 5.2 MB") {
		t.Errorf("findings %q", n)
	}

	// Once its build has ended, the next build removes it.
	h.Release()
	a, err = buildLayer(t, dir, out, cacheLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	if exists(liveWork) || !strings.Contains(findingsText(a), "removed 1 temporary") {
		t.Errorf("after release: %v, %q", exists(liveWork), findingsText(a))
	}
	if a, _ := buildLayer(t, dir, out, cacheLayer(), false); strings.Contains(findingsText(a), "removed") {
		t.Errorf("nothing left, yet %q", findingsText(a))
	}
}

// A build's own temporary files are locked while it runs and gone after.
func TestBuildHoldsItsTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	w := &workDir{layer: "app"}
	d, err := w.dir("arm64", "python3.12")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d, filepath.Join(tmp, "layerctl-app-")) {
		t.Fatalf("work folder %s", d)
	}
	if r := removeLeftovers(t.TempDir(), t.TempDir(), tmp); r.items != 0 || !exists(d) {
		t.Fatalf("a live work folder was taken for a leftover: %+v", r)
	}
	w.remove()
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}

	out := t.TempDir()
	f, held, err := createHeld(out, ".app-*.zip.tmp")
	if err != nil {
		t.Fatal(err)
	}
	if r := removeLeftovers(out, t.TempDir(), tmp); r.items != 0 || !exists(f.Name()) {
		t.Fatalf("a live temporary ZIP was taken for a leftover: %+v", r)
	}
	f.Close()
	held.Release()
	if r := removeLeftovers(out, t.TempDir(), tmp); r.items != 1 || exists(f.Name()) {
		t.Fatalf("a released temporary ZIP was kept: %+v", r)
	}
}

// TestTempFilesSurviveAConcurrentCleanup: a build removing leftovers while
// another creates its temporary files never removes one in use, and the
// creator never fails because its file went in the instant before the lock
// (seen as "creating the ZIP: open dist/.x.zip.tmp: no such file" in
// concurrent publishes).
func TestTempFilesSurviveAConcurrentCleanup(t *testing.T) {
	dir := t.TempDir()
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		removed := 0
		for {
			select {
			case <-stop:
				done <- removed
				return
			default:
				removed += removeTemps(dir, func(n string) bool { return strings.HasSuffix(n, ".zip.tmp") }).items
			}
		}
	}()
	for i := range 2000 {
		f, held, err := createHeld(dir, ".l-*.zip.tmp")
		if err != nil {
			close(stop)
			<-done
			t.Fatalf("create %d: %v", i, err)
		}
		if _, err := os.Stat(f.Name()); err != nil {
			t.Errorf("create %d: the file in use was removed: %v", i, err)
		}
		f.Close()
		os.Remove(f.Name())
		held.Release()
	}
	close(stop)
	t.Logf("the cleanup removed %d files taken before their lock (each made again)", <-done)
}
