package build

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

// gcLayer is a layer of one file, src/core.py, whose content a test edits
// between builds.
func gcLayer(name string) *manifest.Layer {
	return testenv.PyLayer(name, manifest.FileMap{From: "src", To: "python/" + name})
}

// edited builds the layer with src/core.py holding version v.
func edited(t *testing.T, dir, out string, l *manifest.Layer, v int, opts Options) *layer.Artifact {
	t.Helper()
	testenv.Tree(t, dir, map[string]string{"src/core.py": fmt.Sprintf("X = %d\n", v)})
	opts.OutDir = out
	a := mustBuild(t, dir, l, opts)
	time.Sleep(20 * time.Millisecond) // builds in a row have distinct times, as in life
	return a
}

// zipsIn lists the ZIPs in out, by name.
func zipsIn(t *testing.T, out string) []string {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join(out, "*.zip"))
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		ms[i] = filepath.Base(m)
	}
	return ms
}

// entriesIn lists the build cache's entries in out (not their indexes).
func entriesIn(t *testing.T, out string) []string {
	t.Helper()
	return slices.DeleteFunc(cacheEntries(t, out), func(n string) bool { return !strings.HasSuffix(n, ".json") })
}

func names(arts ...*layer.Artifact) []string {
	var out []string
	for _, a := range arts {
		out = append(out, filepath.Base(a.Path))
	}
	slices.Sort(out)
	return out
}

func notes(a *layer.Artifact) string {
	var out []string
	for _, f := range a.Findings {
		out = append(out, f.Message)
	}
	return strings.Join(out, "\n")
}

func TestOnlyTheNewestThreeBuildsStay(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	l := gcLayer("app")
	var arts []*layer.Artifact
	for v := range 5 {
		arts = append(arts, edited(t, dir, out, l, v, Options{}))
	}
	if got, want := zipsIn(t, out), names(arts[2:]...); !slices.Equal(got, want) {
		t.Errorf("ZIPs after 5 builds: %v, want the newest 3 %v", got, want)
	}
	if got := entriesIn(t, out); len(got) != 3 {
		t.Errorf("cache entries after 5 builds: %v, want 3", got)
	}
	idx, _ := filepath.Glob(filepath.Join(out, CacheDirName, "builds", "*.zidx"))
	if len(idx) > 3 {
		t.Errorf("ZIP indexes after 5 builds: %v, want at most 3", idx)
	}
	if n := notes(arts[3]); !strings.Contains(n, "removed 1 older build from "+out+"/ (") {
		t.Errorf("the 4th build's notes: %q, want one saying it removed 1 older build", n)
	}
	if n := notes(arts[2]); strings.Contains(n, "removed") {
		t.Errorf("the 3rd build removed something: %q", n)
	}
}

// A build served from the cache is used now: the oldest by use goes, not
// the oldest built.
func TestAServedBuildCountsAsNewest(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	l := gcLayer("app")
	v0 := edited(t, dir, out, l, 0, Options{})
	v1 := edited(t, dir, out, l, 1, Options{})
	v2 := edited(t, dir, out, l, 2, Options{})
	back := edited(t, dir, out, l, 0, Options{}) // the edit reverted
	if !back.Cached || back.Path != v0.Path {
		t.Fatalf("the reverted content was not served from the cache: cached=%v %s", back.Cached, back.Path)
	}
	v3 := edited(t, dir, out, l, 3, Options{})
	if got, want := zipsIn(t, out), names(v0, v2, v3); !slices.Equal(got, want) {
		t.Errorf("ZIPs: %v, want %v (v1, the least recently used, removed)", got, want)
	}
	_ = v1
}

// Only ZIPs the layer's cache entries name are removed: a user's ZIP, one
// named like the layer's that no entry names, and another layer's builds
// stay.
func TestOldBuildsLeaveWhatIsNotTheLayers(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	others := map[string]string{"mine.zip": "a user's", "app-0123456789ab.zip": "not built", "app.zip": "x"}
	for name, content := range others {
		if err := os.WriteFile(filepath.Join(out, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Tree(t, dir, map[string]string{"lib/x.py": "Y = 1\n"})
	lib := testenv.PyLayer("app-lib", manifest.FileMap{From: "lib", To: "python/lib"})
	libZip := mustBuild(t, dir, lib, Options{OutDir: out})
	l := gcLayer("app")
	var arts []*layer.Artifact
	for v := range 5 {
		arts = append(arts, edited(t, dir, out, l, v, Options{}))
	}
	want := append(names(append(arts[2:], libZip)...), "app-0123456789ab.zip", "app.zip", "mine.zip")
	slices.Sort(want)
	if got := zipsIn(t, out); !slices.Equal(got, want) {
		t.Errorf("ZIPs: %v, want %v", got, want)
	}
	if n := len(entriesIn(t, out)); n != 4 {
		t.Errorf("%d cache entries, want the 3 of app and app-lib's", n)
	}
}

// useInAnotherProcess holds path as a run using it does (inuse.Use), from
// a child process, until release.
func useInAnotherProcess(t *testing.T, path string) (release func()) {
	t.Helper()
	return lockInAnotherProcess(t, path, "LAYERCTL_TEST_USE_LOCK=1")
}

// A ZIP another run uses (a publish uploading it) is not removed, nor its
// entry; once it is released, the next build removes it.
func TestAZipAnotherRunUsesIsLeft(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	l := gcLayer("app")
	v0 := edited(t, dir, out, l, 0, Options{})
	release := useInAnotherProcess(t, v0.Path)
	var arts []*layer.Artifact
	for v := 1; v <= 3; v++ {
		arts = append(arts, edited(t, dir, out, l, v, Options{}))
	}
	if !exists(v0.Path) || len(entriesIn(t, out)) != 4 {
		t.Fatalf("a ZIP in use was removed, or its entry: %v, %v", zipsIn(t, out), entriesIn(t, out))
	}
	if n := notes(arts[2]); strings.Contains(n, "removed") {
		t.Errorf("notes: %q, want nothing removed", n)
	}
	release()
	again := edited(t, dir, out, l, 3, Options{}) // served: the cleanup runs again
	if exists(v0.Path) {
		t.Errorf("%s stays once no run uses it", v0.Path)
	}
	if n := notes(again); !strings.Contains(n, "removed 1 older build") {
		t.Errorf("notes: %q", n)
	}
}

// Build's own hold (Options.Holds), as publish and verify keep it while
// they upload or unpack the ZIP: another build's cleanup skips it.
func TestAZipAStepHoldsIsLeft(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	l := gcLayer("app")
	holds := &Holds{}
	v0 := edited(t, dir, out, l, 0, Options{Holds: holds})
	done := make(chan struct{})
	go func() { // another build beside the run that holds v0
		defer close(done)
		for v := 1; v <= 4; v++ {
			edited(t, dir, out, l, v, Options{})
		}
	}()
	<-done
	if !exists(v0.Path) {
		t.Fatalf("the ZIP a step holds was removed")
	}
	holds.Release()
	edited(t, dir, out, l, 4, Options{})
	if exists(v0.Path) || len(zipsIn(t, out)) != 3 {
		t.Errorf("ZIPs once released: %v, want the newest 3", zipsIn(t, out))
	}
}

// A damaged entry, or one naming a file that is not the layer's ZIP in
// the output folder, points at nothing that is removed; the entry itself
// goes once it is older than the builds kept.
func TestADamagedEntryIsIgnored(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside.zip")
	if err := os.WriteFile(outside, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "other-0123456789ab.zip"), []byte("another layer's"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := gcLayer("app")
	v0 := edited(t, dir, out, l, 0, Options{})
	builds := filepath.Join(out, CacheDirName, "builds")
	sum := strings.Repeat("ab", 32)
	damaged := map[string]string{
		"app-" + strings.Repeat("1", 64) + ".json": "{not json",
		"app-" + strings.Repeat("2", 64) + ".json": fmt.Sprintf(`{"Layer": "app", "File": %q, "SHA256": %q}`, "../"+filepath.Base(outside), sum),
		"app-" + strings.Repeat("3", 64) + ".json": fmt.Sprintf(`{"Layer": "app", "File": "other-0123456789ab.zip", "SHA256": "0123456789ab%s"}`, strings.Repeat("0", 52)),
		"app-" + strings.Repeat("4", 64) + ".json": fmt.Sprintf(`{"Layer": "app", "File": "..", "SHA256": %q}`, sum),
	}
	old := time.Now().Add(-time.Hour)
	for name, content := range damaged {
		p := filepath.Join(builds, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	fresh := filepath.Join(builds, "app-"+strings.Repeat("5", 64)+".json") // newer than what is kept
	os.WriteFile(fresh, []byte("{"), 0o644)
	os.Chtimes(fresh, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	var last *layer.Artifact
	for v := 1; v <= 3; v++ {
		last = edited(t, dir, out, l, v, Options{})
	}
	if exists(v0.Path) {
		t.Errorf("%s, the oldest valid build, stays", v0.Path)
	}
	for name := range damaged {
		if exists(filepath.Join(builds, name)) {
			t.Errorf("the old damaged entry %s stays", name)
		}
	}
	if !exists(fresh) {
		t.Errorf("a damaged entry newer than the builds kept was removed")
	}
	for _, p := range []string{outside, filepath.Join(out, "other-0123456789ab.zip")} {
		if data, err := os.ReadFile(p); err != nil || len(data) == 0 {
			t.Errorf("%s was touched: %v", p, err)
		}
	}
	if n := notes(last); !strings.Contains(n, "removed 5 older builds") {
		t.Errorf("notes: %q, want v0 and the 4 old damaged entries removed", n)
	}
}

// An old build's ZIP replaced by a symlink (to a file outside the output
// folder) is not followed: the link and its target stay.
func TestOldBuildsNeverFollowASymlink(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	target := filepath.Join(t.TempDir(), "elsewhere.zip")
	l := gcLayer("app")
	v0 := edited(t, dir, out, l, 0, Options{})
	data, err := os.ReadFile(v0.Path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(target, data, 0o644) // the very bytes recorded
	os.Remove(v0.Path)
	if err := os.Symlink(target, v0.Path); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 3; v++ {
		edited(t, dir, out, l, v, Options{})
	}
	if info, err := os.Lstat(v0.Path); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was removed or replaced: %v", err)
	}
	if !exists(target) {
		t.Errorf("the symlink's target was removed")
	}
}

// Options.Keep: how many stay; negative keeps every build.
func TestKeepSaysHowManyBuildsStay(t *testing.T) {
	for _, tt := range []struct{ keep, want int }{{1, 1}, {2, 2}, {-1, 4}} {
		t.Run(fmt.Sprint(tt.keep), func(t *testing.T) {
			dir, out := t.TempDir(), t.TempDir()
			l := gcLayer("app")
			var last *layer.Artifact
			for v := range 4 {
				last = edited(t, dir, out, l, v, Options{Keep: tt.keep})
			}
			got := zipsIn(t, out)
			if len(got) != tt.want || !slices.Contains(got, filepath.Base(last.Path)) {
				t.Errorf("ZIPs with Keep %d: %v, want %d, the last one among them", tt.keep, got, tt.want)
			}
		})
	}
}
