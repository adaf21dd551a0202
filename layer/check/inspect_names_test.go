package check

import (
	"archive/zip"
	"bytes"
	"context"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer"
)

// zipOf writes entries (name, content) in the order given; a name ending
// in "/" is a folder.
func zipOf(t *testing.T, entries ...[2]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "names.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func findingsOf(t *testing.T, path string) string {
	t.Helper()
	r, err := Inspect(context.Background(), path, InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, f := range r.Findings {
		all = append(all, f.String())
	}
	return strings.Join(all, "\n")
}

func TestInspectNames(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries [][2]string
		want    []string
		not     []string
	}{
		{"one name written three ways", [][2]string{{"python/a.py", "1"}, {"python/./a.py", "2"}, {"python//a.py", "3"}}, []string{
			`error: entry "python/a.py" appears 3 times, written "python/a.py", "python/./a.py", "python//a.py": which copy wins depends on the unzipper`,
			`warning: entry "python/./a.py" is not a clean path: unzippers mostly read it as "python/a.py"`,
			`warning: entry "python//a.py" is not a clean path`,
		}, nil},
		{"the same name twice", [][2]string{{"python/a.py", "1"}, {"python/a.py", "2"}}, []string{
			`error: entry "python/a.py" appears twice: which copy wins depends on the unzipper`,
		}, []string{"written"}},
		{"a folder and a file of one name", [][2]string{{"python/", ""}, {"python", "x"}}, []string{
			`error: entry "python" appears twice, written "python/", "python"`,
		}, nil},
		{"a NUL byte cuts the name onto another", [][2]string{{"python/e.py\x00junk", "1"}, {"python/e.py", "2"}}, []string{
			`error: entry "python/e.py\x00junk" has a NUL byte in its name: unzip and Python's zipfile cut the name there (to "python/e.py"), so the file lands under another name`,
			`error: entry "python/e.py" appears twice, written "python/e.py\x00junk", "python/e.py"`,
		}, nil},
		{"control characters", [][2]string{{"python/\x1b[31mred.py", "1"}, {"python/new\nline.py", "2"}, {"python/del\x7f.py", "3"}, {"python/c1\u0085.py", "4"}}, []string{
			`error: entry "python/\x1b[31mred.py" has a control character (\x1b) in its name: unzip drops or replaces it and Python's zipfile keeps it`,
			`error: entry "python/new\nline.py" has a control character (\n) in its name`,
			`error: entry "python/del\x7f.py" has a control character (\x7f) in its name`,
			`error: entry "python/c1\u0085.py" has a control character (\u0085) in its name`,
		}, nil},
		{"names that are not clean", [][2]string{{"./", ""}, {"./python/c.py", "1"}, {"python/d.py/.", "2"}, {"python//", ""}}, []string{
			`warning: entry "./" names the ZIP's root itself, which unzippers skip; leave it out`,
			`warning: entry "./python/c.py" is not a clean path: unzippers mostly read it as "python/c.py"`,
			`warning: entry "python/d.py/." is not a clean path: unzippers mostly read it as "python/d.py"`,
			`warning: entry "python//" is not a clean path: unzippers mostly read it as "python/"`,
		}, []string{"./ ", "will not be seen"}},
		{"an empty name", [][2]string{{"", "x"}, {"python/a.py", "1"}}, []string{
			`error: an entry has an empty name: unzip stops with an error on it and Python's zipfile fails; remove it`,
		}, nil},
		{"clean names", [][2]string{{"python/", ""}, {"python/a.py", "1"}, {"python/café.py", "2"}, {"bin/with space", "3"}}, nil, []string{"entry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findingsOf(t, zipOf(t, tc.entries...))
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("findings do not say %q:\n%s", want, got)
				}
			}
			for _, not := range tc.not {
				if strings.Contains(got, not) {
					t.Errorf("findings say %q:\n%s", not, got)
				}
			}
		})
	}
}

// An entry compressed with a method other than stored or deflate is a
// finding, not a reason to give up on the rest of the ZIP.
func TestInspectUnknownCompressionMethod(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "python/a.py", Method: 12, CompressedSize64: 1, UncompressedSize64: 1, CRC32: crc32.ChecksumIEEE([]byte("x"))})
	w.Write([]byte("x"))
	w, _ = zw.Create("python/b.py")
	w.Write([]byte("y"))
	zw.Close()
	path := filepath.Join(t.TempDir(), "bzip2.zip")
	os.WriteFile(path, buf.Bytes(), 0o644)
	got := findingsOf(t, path)
	if want := `error: entry "python/a.py" is compressed with method 12, which layerctl does not read (it reads stored and deflate, which every unzipper reads)`; !strings.Contains(got, want) {
		t.Errorf("findings do not say %q:\n%s", want, got)
	}
}

// Every finding's message names entries escaped, whichever check made it;
// its path is the name exact.
func TestInspectFindingsEscapeNames(t *testing.T) {
	elf := make([]byte, 64)
	copy(elf, "\x7fELF\x02\x01\x01")
	elf[18] = 8 // MIPS: Lambda runs no such code
	path := zipOf(t,
		[2]string{"\x1b[31mtop/x.py", "x"},
		[2]string{"lib/\x1b[2Jevil.so", string(elf)},
		[2]string{"extensions/\x1b[1mext", "x"},
		[2]string{"python/\x1b[31mred.py", "x"},
		[2]string{"python/./\x1b[31mred.py", "x"},
	)
	r, err := Inspect(context.Background(), path, InspectOptions{Runtimes: []string{"python3.12"}, Architectures: []string{"x86_64"}})
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, f := range r.Findings {
		if c, ok := safetext.Control(f.Message); ok {
			t.Errorf("finding holds %s raw: %q", c, f.Message)
		}
		paths[f.Path] = true
	}
	for _, want := range []string{"\x1b[31mtop/", "lib/\x1b[2Jevil.so", "extensions/\x1b[1mext", "python/\x1b[31mred.py"} {
		if !paths[want] {
			t.Errorf("no finding has the path %q; findings: %v", want, r.Findings)
		}
	}
}

// The finding verify acts on is typed: an unsafe name, and only that, has
// Kind UnsafeName.
func TestUnsafeNamesAreTyped(t *testing.T) {
	for name, want := range map[string]bool{"../x": true, "/abs": true, "a/../../x": true, "python/ok.py": false, "./python/x.py": false, "a\x00b": false} {
		got := false
		for _, f := range nameFindings(name, false) {
			got = got || f.Kind == layer.UnsafeName
		}
		if got != want {
			t.Errorf("%q: unsafe-name finding %v, want %v", name, got, want)
		}
	}
}
