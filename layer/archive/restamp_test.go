package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTestZip writes entries with WriteZip at modified, returning the
// ZIP's path and digest.
func writeTestZip(t *testing.T, dir string, modified time.Time, files map[string]string) (string, string) {
	t.Helper()
	src := t.TempDir()
	var entries []Entry
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	for _, name := range []string{"python/", "python/a.py", "python/big.bin", "python/z.py"} {
		if strings.HasSuffix(name, "/") {
			entries = append(entries, Entry{Name: name, Kind: KindDir})
			continue
		}
		if _, ok := files[name]; ok {
			p := filepath.Join(src, filepath.FromSlash(name))
			info, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, Entry{Name: name, Kind: KindFile, Src: p, Size: info.Size(), Stamp: StampOf(info)})
		}
	}
	var buf bytes.Buffer
	if _, err := WriteZip(context.Background(), &buf, entries, modified, 2); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, modified.Format("20060102150405")+".zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	sum := sha256.Sum256(buf.Bytes())
	return p, hex.EncodeToString(sum[:])
}

// The same files at another time: DigestAt gives back each ZIP's digest
// at its own time and the other's at the other's, over a file big enough
// to need a data descriptor; other files do not.
func TestDigestAtIsTheZIPAtAnotherTime(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("layer bytes ", 3*ChunkSize/12+1000) // several chunks
	files := map[string]string{"python/a.py": "A = 1\n", "python/big.bin": big, "python/z.py": "Z = 2\n"}
	t1, t2 := time.Unix(1700000000, 0).UTC(), time.Unix(1700000500, 0).UTC()
	z1, sum1 := writeTestZip(t, dir, t1, files)
	z2, sum2 := writeTestZip(t, dir, t2, files)
	if sum1 == sum2 {
		t.Fatal("the time does not change the ZIP")
	}
	for _, tc := range []struct {
		zip  string
		at   time.Time
		want string
	}{{z1, t1, sum1}, {z1, t2, sum2}, {z2, t2, sum2}, {z2, t1, sum1}} {
		got, err := DigestAt(context.Background(), tc.zip, tc.at)
		if err != nil || got != tc.want {
			t.Errorf("DigestAt(%s, %v) = %s, %v; want %s", filepath.Base(tc.zip), tc.at, got, err, tc.want)
		}
	}
	other := map[string]string{"python/a.py": "A = 2\n", "python/big.bin": big, "python/z.py": "Z = 2\n"}
	z3, _ := writeTestZip(t, t.TempDir(), t2, other)
	if got, _ := DigestAt(context.Background(), z3, t1); got == sum1 {
		t.Error("other files pass for the same")
	}
}
