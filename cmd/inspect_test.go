package cmd

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/safetext"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// hostileNames are entry names that would act on a terminal printed raw.
var hostileNames = []string{
	"python/\x1b[31mred.py",
	"python/a\x00b.py",
	"python/new\nline.py",
	"python/ok.py",
	"python/\u202egnp.py",
	"bin/\x1b]0;owned\x07",
}

// writeHostileZip writes hostileNames (each holding "x") and two symlinks
// whose targets clear the screen, one of them out of the layer, as
// names.zip in the current folder.
func writeHostileZip(t *testing.T) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range hostileNames {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x"))
	}
	for _, l := range [][2]string{{"python/link", "\x1b[2Jok.py"}, {"python/\x1b[1mout", "../../\x1b[2Jetc"}} {
		name, target := l[0], l[1]
		h := &zip.FileHeader{Name: name}
		h.SetMode(fs.ModeSymlink | 0o777)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(target))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("names.zip", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runLayerctl(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{Out: &out, Err: &errOut, Getenv: func(string) string { return "" }, Now: time.Now}
	code = Execute(context.Background(), args, f)
	return out.String(), errOut.String(), code
}

// Names with control characters print escaped in inspect's text output
// (tree, largest files, findings and the error line), and nothing else
// changes: the golden file is the whole output.
func TestInspectTextEscapesNames(t *testing.T) {
	golden, err := filepath.Abs(filepath.Join("testdata", "inspect_names.golden"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	writeHostileZip(t)
	stdout, stderr, code := runLayerctl(t, "inspect", "names.zip")
	if code != ExitFailed {
		t.Errorf("exit code %d, want %d (the names are errors)", code, ExitFailed)
	}
	for name, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if c, ok := safetext.Control(string(bytes.ReplaceAll([]byte(s), []byte("\n"), nil))); ok {
			t.Errorf("%s holds the control character %s raw:\n%s", name, c, s)
		}
	}
	if *update {
		if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), stdout); d != "" {
		t.Errorf("inspect names.zip (-want +got):\n%s", d)
	}
	if want := "layerctl: the ZIP has problems (see the findings above)\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// The JSON output has every name exact, as the ZIP holds it.
func TestInspectJSONKeepsNamesExact(t *testing.T) {
	t.Chdir(t.TempDir())
	writeHostileZip(t)
	stdout, _, _ := runLayerctl(t, "inspect", "names.zip", "-o", "json")
	var r struct {
		Entries []struct {
			Path   string `json:"path"`
			Target string `json:"target"`
		} `json:"entries"`
		Findings []struct {
			Path string `json:"path"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	got := map[string]bool{}
	for _, e := range r.Entries {
		got[e.Path] = true
		if e.Path == "python/link" && e.Target != "\x1b[2Jok.py" {
			t.Errorf("link target %q", e.Target)
		}
	}
	for _, n := range hostileNames {
		if !got[n] {
			t.Errorf("entry %q is not in the JSON entries: %v", n, got)
		}
	}
	flagged := map[string]bool{}
	for _, f := range r.Findings {
		flagged[f.Path] = true
	}
	for _, n := range []string{"python/\x1b[31mred.py", "python/a\x00b.py", "python/new\nline.py", "bin/\x1b]0;owned\x07"} {
		if !flagged[n] {
			t.Errorf("no finding has the path %q exactly", n)
		}
	}
}
