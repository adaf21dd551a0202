package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
)

// sealed is a memo body (header and records) with its checksum, as
// encodeMemo ends it: a damaged record that the checksum does not catch.
func sealed(body []byte) []byte {
	sum := sha256.Sum256(body)
	return append(bytes.Clone(body), sum[:]...)
}

func memoBytes(t *testing.T, entries map[string]memoEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encodeMemo(&buf, entries); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func uvarint(n uint64) []byte { return binary.AppendUvarint(nil, n) }

// A damaged memo is refused with a reason, never a panic, and never
// allocates more than its own size.
func TestDecodeMemoRefusesDamage(t *testing.T) {
	good := memoBytes(t, map[string]memoEntry{"/src/a.py": {Stat: archive.FileStat{Size: 3}, Sum: [32]byte{1}}})
	body := good[:len(good)-sha256.Size]
	record := func(pathLen uint64, rest []byte) []byte {
		return sealed(append(append(bytes.Clone(memoMagic), uvarint(pathLen)...), rest...))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "header"},
		{"another file", []byte("PK\x03\x04 a zip"), "header"},
		{"header only", memoMagic, "cut short"},
		{"cut in the checksum", good[:len(good)-1], "checksum"},
		{"cut in a record", good[:len(memoMagic)+50], "checksum"},
		{"cut in a record, checksum redone", sealed(body[:len(body)-1]), "more than the file holds"},
		{"huge path length", record(1<<64-1, make([]byte, 100)), "more than the file holds"},
		{"path length past the limit", record(maxMemoPath+1, make([]byte, maxMemoPath+memoRecord+10)), "more than the file holds"},
		{"path length one past the end", record(10, make([]byte, 10+memoRecord-1)), "more than the file holds"},
		{"path length overflowing with the record", record(1<<64-memoRecord+1, make([]byte, 100)), "more than the file holds"},
		{"malformed path length", sealed(append(bytes.Clone(memoMagic), bytes.Repeat([]byte{0xff}, 11)...)), "malformed"},
		{"extra byte after the records", sealed(append(bytes.Clone(body), 1)), "more than the file holds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeMemo(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	// Every single bit flipped, anywhere in the file, is seen.
	for i := range len(good) * 8 {
		bad := bytes.Clone(good)
		bad[i/8] ^= 1 << (i % 8)
		if _, err := decodeMemo(bad); err == nil {
			t.Fatalf("bit %d flipped: decoded", i)
		}
	}
	// A memo of an older format is not damage: ignored, without a note.
	if _, err := decodeMemo([]byte("layerctl file digests 1\n\x01a")); err != errOtherFormat {
		t.Errorf("old format: %v", err)
	}
}

func FuzzDecodeMemo(f *testing.F) {
	var buf bytes.Buffer
	encodeMemo(&buf, map[string]memoEntry{"/a/b": {Stat: archive.FileStat{Ino: 7, Size: 9}, Sum: [32]byte{3}}, "/c": {}})
	f.Add(buf.Bytes())
	f.Add(sealed(append(bytes.Clone(memoMagic), uvarint(1<<64-1)...)))
	f.Add(memoMagic)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Most inputs fail the checksum; seal them too, so that the
		// record parser itself is fuzzed.
		for _, in := range [][]byte{data, sealed(append(bytes.Clone(memoMagic), data...))} {
			entries, err := decodeMemo(in)
			if err != nil {
				continue
			}
			var again bytes.Buffer
			if err := encodeMemo(&again, entries); err != nil {
				t.Fatal(err)
			}
			back, err := decodeMemo(again.Bytes())
			if err != nil || !cmp.Equal(entries, back) {
				t.Fatalf("re-encoded memo does not decode the same: %v", err)
			}
		}
	})
}

// A build cache whose files were damaged is a note and a rebuild of the
// cache file, never a failed build: the artifact is the same.
func TestDamagedCacheIsANoteAndARebuild(t *testing.T) {
	memoNote := "the build cache's files.memo was unreadable and was rebuilt"
	entryNote := "was unreadable and is replaced by this build"
	tests := []struct {
		name    string
		damage  func(t *testing.T, out string)
		noCache bool
		note    string
	}{
		{"memo cut short", func(t *testing.T, out string) { truncate(t, memoPath(out), 30) }, false, memoNote},
		{"memo with a bit flipped", func(t *testing.T, out string) { flip(t, memoPath(out), 40) }, false, memoNote},
		{"memo with a huge path length", func(t *testing.T, out string) {
			os.WriteFile(memoPath(out), sealed(append(bytes.Clone(memoMagic), uvarint(1<<64-1)...)), 0o644)
		}, false, memoNote},
		{"memo damaged, --no-cache", func(t *testing.T, out string) { flip(t, memoPath(out), 40) }, true, memoNote},
		{"memo larger than any memo", func(t *testing.T, out string) {
			f, err := os.OpenFile(memoPath(out), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(maxMemoSize + 1); err != nil { // sparse: costs no disk
				t.Fatal(err)
			}
		}, false, memoNote},
		{"entry not JSON", func(t *testing.T, out string) { truncate(t, entryPath(t, out), 10) }, false, entryNote},
		{"entry of another layer", func(t *testing.T, out string) {
			p := entryPath(t, out)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(data, []byte(`"Layer": "app"`), []byte(`"Layer": "other"`), 1), 0o644)
		}, false, entryNote},
		{"entry larger than any entry", func(t *testing.T, out string) {
			p := entryPath(t, out)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, append(data, bytes.Repeat([]byte(" "), maxCacheEntry)...), 0o644)
		}, false, entryNote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, out := t.TempDir(), t.TempDir()
			testenv.Tree(t, dir, map[string]string{"src/__init__.py": "", "src/core.py": "X = 1\n", "tool*": "#!/bin/sh\n"})
			aged(t, dir)
			first, err := buildLayer(t, dir, out, cacheLayer(), false)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, out)
			a, err := buildLayer(t, dir, out, cacheLayer(), tt.noCache)
			if err != nil {
				t.Fatalf("build with a damaged cache: %v", err)
			}
			if a.SHA256 != first.SHA256 {
				t.Errorf("digest %s, was %s", a.SHA256, first.SHA256)
			}
			if notes := findingsText(a); !strings.Contains(notes, tt.note) {
				t.Errorf("findings %q, want a note %q", notes, tt.note)
			}
			// The damaged file was replaced: the next build is a quiet hit.
			again, err := buildLayer(t, dir, out, cacheLayer(), false)
			if err != nil || !again.Cached || again.SHA256 != first.SHA256 || strings.Contains(findingsText(again), "unreadable") {
				t.Errorf("next build: %+v, %v", again, err)
			}
		})
	}
}

func findingsText(a *layer.Artifact) string {
	var b strings.Builder
	for _, f := range a.Findings {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

func memoPath(out string) string { return filepath.Join(out, CacheDirName, "files.memo") }

func entryPath(t *testing.T, out string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(out, CacheDirName, "builds", "app-*.json"))
	if len(m) != 1 {
		t.Fatalf("cache entries: %v", m)
	}
	return m[0]
}

func truncate(t *testing.T, p string, n int64) {
	t.Helper()
	if err := os.Truncate(p, n); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, p string, at int) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil || len(data) <= at {
		t.Fatalf("%s: %d bytes, %v", p, len(data), err)
	}
	data[at] ^= 0x10
	os.WriteFile(p, data, 0o644)
}
