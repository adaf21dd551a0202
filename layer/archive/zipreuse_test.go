package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// reuseTree writes files (name -> content) under a new folder and lists
// them as a layer's entries.
func reuseTree(t *testing.T, files map[string][]byte) []Entry {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := Collect("l", []Source{{Path: dir, To: "python", Label: "src"}}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func noise(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func text(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	words := strings.Fields("def class import return self value layer lambda build cache zip entry the of and")
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(" \n"[r.IntN(2)])
	}
	return b.Bytes()[:n]
}

func writeZip(t *testing.T, entries []Entry, opts ZipOptions) ([]byte, *ZipStats) {
	t.Helper()
	var buf bytes.Buffer
	opts.Modified, opts.Workers = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), 2
	stats, err := WriteZipWith(context.Background(), &buf, entries, opts)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), stats
}

func digestsOf(t *testing.T, entries []Entry) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	for _, e := range entries {
		if e.Kind == KindFile {
			d, err := DigestFile(e.Src, e.Size)
			if err != nil {
				t.Fatal(err)
			}
			out[e.Src] = d
		}
	}
	return out
}

func reuseOf(zip []byte, stats *ZipStats) *Reuse {
	r := &Reuse{ZIP: bytes.NewReader(zip), Entries: map[[32]byte]RawEntry{}}
	for _, e := range stats.Index {
		r.Entries[e.Digest] = e
	}
	return r
}

// A file's compressed bytes copied from an earlier ZIP make the very ZIP
// compressing it again makes: one chunk or many (a data descriptor),
// deflated or stored, empty, on the chunk boundary, renamed.
func TestReusedBytesMakeTheSameZip(t *testing.T) {
	before := map[string][]byte{
		"a.py":          text(1, 3000),
		"empty":         nil,
		"noise.bin":     noise(2, 5000), // stored: deflate does not shrink it
		"big.so":        append(text(3, ChunkSize+ChunkSize/2), noise(4, ChunkSize)...),
		"boundary":      text(5, ChunkSize),
		"boundary+1":    text(6, ChunkSize+1),
		"pkg/old.py":    text(7, 100),
		"pkg/change.py": text(8, 2*ChunkSize+17),
	}
	zipA, statsA := writeZip(t, reuseTree(t, before), ZipOptions{})
	if statsA.Reused != 0 || len(statsA.Index) != len(before) {
		t.Fatalf("first ZIP: %d reused, %d indexed, want 0 and %d", statsA.Reused, len(statsA.Index), len(before))
	}
	var stored, described int
	for _, e := range statsA.Index {
		if e.Stored {
			stored++
		}
		if e.Size > ChunkSize {
			described++ // sizes in a data descriptor
		}
	}
	if stored < 2 || described != 3 {
		t.Fatalf("setup: %d stored and %d multi-chunk files, want the empty one and noise.bin stored, 3 multi-chunk", stored, described)
	}

	after := map[string][]byte{}
	for k, v := range before {
		after[k] = v
	}
	delete(after, "pkg/old.py")                                                       // removed
	after["pkg/renamed.py"], after["pkg/moved/a.py"] = before["a.py"], before["a.py"] // copied twice, renamed
	after["pkg/change.py"] = append(text(8, 2*ChunkSize), 'x')                        // changed, multi-chunk
	after["new.txt"] = text(9, 700)                                                   // added
	entries := reuseTree(t, after)
	digests := digestsOf(t, entries)

	fresh, _ := writeZip(t, entries, ZipOptions{})
	reused, stats := writeZip(t, entries, ZipOptions{Reuse: reuseOf(zipA, statsA), Digests: digests})
	if !bytes.Equal(fresh, reused) {
		t.Fatal("the ZIP written with reused bytes differs from the one compressed afresh")
	}
	zr, err := zip.NewReader(bytes.NewReader(reused), int64(len(reused)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if name := strings.TrimPrefix(f.Name, "python/"); err != nil || !bytes.Equal(got, after[name]) {
			t.Errorf("%s reads back wrong (%v)", f.Name, err)
		}
	}
	if want := len(after) - 2; stats.Reused != want {
		t.Errorf("%d files reused, want %d (all but the changed and the added one)", stats.Reused, want)
	}
	// What it says of its content is what compressing says.
	_, freshStats := writeZip(t, entries, ZipOptions{})
	if freshStats.Files != stats.Files || freshStats.Unzipped != stats.Unzipped || len(freshStats.Digests) != len(stats.Digests) {
		t.Errorf("stats differ: fresh %+v, reused %+v", freshStats, stats)
	}
	for i := range freshStats.Index {
		if freshStats.Index[i] != stats.Index[i] {
			t.Errorf("index entry %d: fresh %+v, reused %+v", i, freshStats.Index[i], stats.Index[i])
		}
	}
}

// An ELF file reused is still seen as one: the checks of native code
// read what the writer says.
func TestReusedELFIsStillSeen(t *testing.T) {
	elfHead := []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0xb7, 0}
	files := map[string][]byte{"lib.so": append(elfHead, text(1, 4000)...)}
	entries := reuseTree(t, files)
	zipA, statsA := writeZip(t, entries, ZipOptions{})
	_, stats := writeZip(t, entries, ZipOptions{Reuse: reuseOf(zipA, statsA), Digests: digestsOf(t, entries)})
	if stats.Reused != 1 || stats.ELF["python/lib.so"] != 0xb7 {
		t.Errorf("reused %d, ELF %v; want 1 and python/lib.so as machine 0xb7", stats.Reused, stats.ELF)
	}
}

// Bytes that are not the ones recorded (a damaged ZIP or index) stop the
// write with a *ReuseError, never a ZIP holding them.
func TestReusedBytesAreChecked(t *testing.T) {
	files := map[string][]byte{"a.py": text(1, 3000), "big.so": text(2, 3*ChunkSize)}
	entries := reuseTree(t, files)
	zipA, statsA := writeZip(t, entries, ZipOptions{})
	for _, tc := range []struct {
		name   string
		damage func(zip []byte, r *Reuse)
	}{
		{"a flipped byte", func(zip []byte, r *Reuse) {
			for _, e := range r.Entries {
				zip[e.Offset+e.Compressed/2] ^= 1
			}
		}},
		{"an offset past the end", func(zip []byte, r *Reuse) {
			for d, e := range r.Entries {
				e.Offset = int64(len(zip)) - 10
				r.Entries[d] = e
			}
		}},
		{"a shifted offset", func(zip []byte, r *Reuse) {
			for d, e := range r.Entries {
				e.Offset++
				r.Entries[d] = e
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zip := bytes.Clone(zipA)
			r := reuseOf(zip, statsA)
			tc.damage(zip, r)
			var buf bytes.Buffer
			_, err := WriteZipWith(context.Background(), &buf, entries, ZipOptions{Modified: time.Unix(0, 0), Workers: 2, Reuse: r, Digests: digestsOf(t, entries)})
			var re *ReuseError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a *ReuseError", err)
			}
		})
	}
}
