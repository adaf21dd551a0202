package build

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/manifest"
)

// words is text deflate shrinks, n bytes of it.
func words(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 7))
	vocab := strings.Fields("import def class return self layer lambda zip cache entry build value None True")
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(vocab[r.IntN(len(vocab))])
		b.WriteByte(" \n"[r.IntN(2)])
	}
	return b.String()[:n]
}

// noise is bytes deflate cannot shrink.
func noise(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 9))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// reuseLayer packs src (files) and an archive (vendor.tar.gz: unpacked,
// so its files are digested by the writer's caller, not the fingerprint).
func reuseLayer() *manifest.Layer {
	return testenv.PyLayer("app",
		manifest.FileMap{From: "src", To: "python"},
		manifest.FileMap{From: "vendor.tar.gz", To: "python/vendor", Archive: true},
	)
}

func reuseTarGz(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	var entries []testenv.TarEntry
	for name, body := range files {
		entries = append(entries, testenv.TarEntry{Name: name, Kind: tar.TypeReg, Body: body})
	}
	raw := testenv.TarBytes(t, entries)
	if err := os.WriteFile(filepath.Join(dir, "vendor.tar.gz"), testenv.CompressTar(t, "vendor.tar.gz", raw), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fromScratch builds l from dir with --no-cache into a new folder and
// returns the ZIP's bytes.
func fromScratch(t *testing.T, dir string, l *manifest.Layer) []byte {
	t.Helper()
	a, err := buildLayer(t, dir, t.TempDir(), l, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A rebuild after a change copies the compressed bytes of every file that
// did not change from the layer's last ZIP, and its ZIP is byte for byte
// the one a build from scratch makes: files added, removed, renamed,
// changed (in one chunk or many), an execute bit flipped, files from an
// archive, round after round.
func TestRebuildReusesUnchangedFilesByteForByte(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	big := words(1, archive.ChunkSize+archive.ChunkSize/2) + noise(2, archive.ChunkSize) // three chunks: a data descriptor
	testenv.Tree(t, dir, map[string]string{
		"src/app/__init__.py":   "",
		"src/app/core.py":       words(3, 5000),
		"src/app/data.bin":      noise(4, 3000), // stored
		"src/app/_native.so":    big,
		"src/app/big_change.so": words(5, 2*archive.ChunkSize+10),
		"src/app/old.py":        words(6, 800),
		"src/app/moved.py":      words(7, 900),
		"src/bin/tool*":         "#!/bin/sh\necho tool\n",
	})
	os.Symlink("core.py", filepath.Join(dir, "src/app/link.py"))
	reuseTarGz(t, dir, map[string]string{"pkg/__init__.py": words(8, 2000), "pkg/mod.py": words(9, 4000)})
	aged(t, dir)
	first, err := buildLayer(t, dir, out, reuseLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Reused != 0 {
		t.Fatalf("a first build reused %d files", first.Reused)
	}

	rounds := []struct {
		name   string
		change func()
		reused int // of the files after the change
	}{
		{"added, removed, renamed, changed", func() {
			testenv.Tree(t, dir, map[string]string{
				"src/app/new.py":        words(10, 1200),                               // added
				"src/app/core.py":       words(3, 5000) + "\n",                         // changed, one chunk
				"src/app/big_change.so": words(5, archive.ChunkSize) + noise(11, 2000), // changed, many chunks
			})
			os.Remove(filepath.Join(dir, "src/app/old.py"))
			os.Rename(filepath.Join(dir, "src/app/moved.py"), filepath.Join(dir, "src/app/renamed.py"))
			os.Chmod(filepath.Join(dir, "src/bin/tool"), 0o644) // the same bytes, another header
		}, 7}, // __init__, data.bin, _native.so, renamed.py, tool, both archive files
		{"the archive changed and a file came back", func() {
			reuseTarGz(t, dir, map[string]string{"pkg/__init__.py": words(8, 2000), "pkg/mod.py": words(12, 4000)})
			testenv.Tree(t, dir, map[string]string{"src/app/old.py": words(6, 800)}) // the first build had it
		}, 9}, // all but pkg/mod.py and old.py, which only the ZIP before the last held
	}
	for _, r := range rounds {
		r.change()
		aged(t, dir)
		a, err := buildLayer(t, dir, out, reuseLayer(), false)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		got, err := os.ReadFile(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, fromScratch(t, dir, reuseLayer())) {
			t.Fatalf("%s: the rebuilt ZIP differs from a build from scratch (--no-cache)", r.name)
		}
		if a.Cached || a.Reused != r.reused {
			t.Errorf("%s: cached %v, %d of %d files reused; want a build reusing %d", r.name, a.Cached, a.Reused, a.Files, r.reused)
		}
		for _, f := range a.Findings {
			if f.Severity == layer.SevNote && strings.Contains(f.Message, "cache") {
				t.Errorf("%s: %s", r.name, f.Message)
			}
		}
	}
}

// rebuildAfter builds the layer, lets damage do its work on the cache,
// changes one file and builds again: the rebuild must give the ZIP a
// build from scratch gives, whatever the damage.
func rebuildAfter(t *testing.T, damage func(t *testing.T, out string, first *layer.Artifact)) *layer.Artifact {
	t.Helper()
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/a.py": words(1, 4000), "src/b.py": words(2, 4000), "src/c.so": words(3, 3*archive.ChunkSize)})
	reuseTarGz(t, dir, map[string]string{"x.py": "x = 1\n"})
	aged(t, dir)
	first, err := buildLayer(t, dir, out, reuseLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	damage(t, out, first)
	testenv.Tree(t, dir, map[string]string{"src/a.py": words(1, 4000) + "#"})
	aged(t, dir)
	a, err := buildLayer(t, dir, out, reuseLayer(), false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, fromScratch(t, dir, reuseLayer())) {
		t.Fatal("the rebuilt ZIP differs from a build from scratch (--no-cache)")
	}
	return a
}

func onlyIndex(t *testing.T, out string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(out, CacheDirName, "builds", "*.zidx"))
	if len(m) != 1 {
		t.Fatalf("indexes: %v", m)
	}
	return m[0]
}

func noteAbout(a *layer.Artifact, words string) bool {
	for _, f := range a.Findings {
		if f.Severity == layer.SevNote && strings.Contains(f.Message, words) {
			return true
		}
	}
	return false
}

func TestRebuildReusesWhatItCan(t *testing.T) {
	a := rebuildAfter(t, func(*testing.T, string, *layer.Artifact) {})
	if a.Reused != 3 { // b.py, c.so, x.py
		t.Errorf("%d files reused, want 3", a.Reused)
	}
}

// The cache is untrusted input: an index damaged, made up or of another
// ZIP is ignored (with a note when it is damage); a ZIP changed since its
// build is not read from. The ZIP is right either way.
func TestReuseSurvivesADamagedCache(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, out string, first *layer.Artifact)
		note   string // "" when the rebuild says nothing
	}{
		{"a flipped bit in the index", func(t *testing.T, out string, _ *layer.Artifact) {
			p := onlyIndex(t, out)
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 4
			os.WriteFile(p, b, 0o644)
		}, "index"},
		{"the index cut short", func(t *testing.T, out string, _ *layer.Artifact) {
			p := onlyIndex(t, out)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-40], 0o644)
		}, "index"},
		{"an index whose records lie, checksum and all", func(t *testing.T, out string, first *layer.Artifact) {
			p := onlyIndex(t, out)
			b, _ := os.ReadFile(p)
			sum, _ := decodeSum(first.SHA256)
			n, k := binary.Uvarint(b[len(indexMagic):])
			codec := string(b[len(indexMagic)+k : len(indexMagic)+k+int(n)])
			entries, err := decodeIndex(b, codec, sum, first.Size)
			if err != nil {
				t.Fatal(err)
			}
			var index []archive.RawEntry
			for _, e := range entries {
				e.Offset-- // one byte early: every copy is wrong
				index = append(index, e)
			}
			os.WriteFile(p, encodeIndex(codec, sum, index), 0o644)
		}, "was wrong"},
		{"an index written by another layerctl", func(t *testing.T, out string, first *layer.Artifact) {
			p := onlyIndex(t, out)
			sum, _ := decodeSum(first.SHA256)
			os.WriteFile(p, encodeIndex("another codec", sum, nil), 0o644)
		}, ""},
		{"the index is a FIFO", func(t *testing.T, out string, _ *layer.Artifact) {
			p := onlyIndex(t, out)
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skip(err)
			}
		}, "index"},
		{"the last ZIP was changed", func(t *testing.T, _ string, first *layer.Artifact) {
			b, _ := os.ReadFile(first.Path)
			b[100] ^= 1
			os.WriteFile(first.Path, b, 0o644)
		}, ""},
		{"the last ZIP is gone", func(t *testing.T, _ string, first *layer.Artifact) {
			os.Remove(first.Path)
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := rebuildAfter(t, tc.damage)
			if a.Reused != 0 {
				t.Errorf("%d files reused from a damaged cache", a.Reused)
			}
			if tc.note != "" && !noteAbout(a, tc.note) {
				t.Errorf("no note about the %s: %v", tc.note, a.Findings)
			}
			if tc.note == "" && noteAbout(a, "cache") {
				t.Errorf("a note where nothing was damaged: %v", a.Findings)
			}
		})
	}
}

// Reuse is for a cache that was built with: --no-cache compresses every
// file (and records the index for the next build).
func TestNoCacheReusesNothing(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/a.py": words(1, 4000)})
	reuseTarGz(t, dir, map[string]string{"x.py": "x = 1\n"})
	aged(t, dir)
	for i, noCache := range []bool{false, true} {
		testenv.Tree(t, dir, map[string]string{"src/b.py": words(uint64(i), 100)})
		aged(t, dir)
		a, err := buildLayer(t, dir, out, reuseLayer(), noCache)
		if err != nil {
			t.Fatal(err)
		}
		if a.Reused != 0 {
			t.Errorf("build %d (no cache %v) reused %d files", i, noCache, a.Reused)
		}
	}
	testenv.Tree(t, dir, map[string]string{"src/b.py": "changed"})
	aged(t, dir)
	if a, err := buildLayer(t, dir, out, reuseLayer(), false); err != nil || a.Reused != 2 {
		t.Errorf("after --no-cache: %v, reused %d, want 2", err, a.Reused)
	}
}

func decodeSum(h string) ([32]byte, error) {
	var out [32]byte
	b, err := hex.DecodeString(h)
	copy(out[:], b)
	return out, err
}

// resum replaces an index's checksum with the right one for its content,
// as someone making an index up would.
func resum(b []byte) []byte {
	body := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(body)
	return append(bytes.Clone(body), sum[:]...)
}

// An index is read as hostile input: whatever it says, nothing points
// outside the ZIP, and what cannot be right is refused.
func TestDecodeIndexRefusesWhatCannotBeRight(t *testing.T) {
	sum := [32]byte{1}
	const zipSize = 1000
	good := archive.RawEntry{Digest: [32]byte{2}, Offset: 40, Compressed: 100, Size: 300, CRC32: 7, DataCRC: 8, ELF: 62, IsELF: true}
	stored := archive.RawEntry{Digest: [32]byte{3}, Offset: 200, Compressed: 5, Size: 5, Stored: true}
	valid := encodeIndex("c", sum, []archive.RawEntry{good, stored})
	got, err := decodeIndex(valid, "c", sum, zipSize)
	if err != nil || len(got) != 2 || got[good.Digest] != good || got[stored.Digest] != stored {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	flags := bytes.Clone(valid)
	flags[len(flags)-sha256.Size-indexRecord+64] |= 0x80
	tests := map[string][]byte{
		"empty":                       nil,
		"junk":                        []byte("not an index at all, just some bytes that are long enough to hold a checksum"),
		"cut short":                   valid[:len(valid)-1],
		"a flipped bit":               func() []byte { b := bytes.Clone(valid); b[len(indexMagic)+5] ^= 1; return b }(),
		"half a record":               resum(append(bytes.Clone(valid[:len(valid)-sha256.Size-10]), make([]byte, sha256.Size)...)),
		"another ZIP":                 encodeIndex("c", [32]byte{9}, []archive.RawEntry{good}),
		"past the ZIP":                encodeIndex("c", sum, []archive.RawEntry{{Offset: 990, Compressed: 11}}),
		"a size overflowing":          encodeIndex("c", sum, []archive.RawEntry{{Offset: 10, Compressed: math.MaxInt64}}),
		"a negative offset":           encodeIndex("c", sum, []archive.RawEntry{{Offset: -1, Compressed: 1}}),
		"stored, but sizes differ":    encodeIndex("c", sum, []archive.RawEntry{{Offset: 1, Compressed: 5, Size: 6, Stored: true}}),
		"unknown flags":               resum(flags),
		"a codec length past the end": resum(append(append(bytes.Clone(indexMagic), 0xff, 0xff, 0x03), make([]byte, sha256.Size)...)),
	}
	for name, data := range tests {
		if _, err := decodeIndex(data, "c", sum, zipSize); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := decodeIndex(valid, "another codec", sum, zipSize); err != errOtherFormat {
		t.Errorf("another codec: %v, want errOtherFormat", err)
	}
}

func FuzzDecodeIndex(f *testing.F) {
	sum := [32]byte{1}
	f.Add(encodeIndex("c", sum, []archive.RawEntry{{Offset: 40, Compressed: 100, Size: 300}}))
	f.Add([]byte("layerctl zip index 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeIndex(data, "c", sum, 1000)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Offset < 0 || e.Compressed < 0 || e.Offset+e.Compressed > 1000 {
				t.Fatalf("decoded an entry outside the ZIP: %+v", e)
			}
		}
		// Anything it accepts, it reads back the same once written.
		var index []archive.RawEntry
		for _, e := range entries {
			index = append(index, e)
		}
		if again, err := decodeIndex(encodeIndex("c", sum, index), "c", sum, 1000); err != nil || len(again) != len(entries) {
			t.Fatalf("re-encoded: %v", err)
		}
	})
}
