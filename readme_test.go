package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/layerctl/layerctl/internal/testenv"
)

// firstRunScript runs the README's "A first run" against moto; this test
// keeps the two, and the example it runs in, from drifting apart.
const firstRunScript = "testdata/script/readme_first_run.txtar"

// TestReadmeFirstRunIsTheScript checks that every sh block of the README's
// "A first run" section is, byte for byte, the script's readme/N.sh, and
// that the script's copy of examples/python-shared is the repository's.
func TestReadmeFirstRunIsTheScript(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(sectionOf(t, string(readme), "## A first run"))
	if len(blocks) == 0 {
		t.Fatal(`README.md: "## A first run" has no sh block`)
	}
	ar, err := txtar.ParseFile(firstRunScript)
	if err != nil {
		t.Fatal(err)
	}
	script := map[string]string{}
	for _, f := range ar.Files {
		script[f.Name] = string(f.Data)
	}

	for i, block := range blocks {
		name := fmt.Sprintf("readme/%d.sh", i+1)
		if diff := cmp.Diff(block, script[name]); diff != "" {
			t.Errorf("README.md's first-run sh block %d and %s's %s differ (-README +script):\n%s", i+1, firstRunScript, name, diff)
		}
		delete(script, name)
	}
	for name := range script {
		if strings.HasPrefix(name, "readme/") {
			t.Errorf("%s holds %s, which is no sh block of README.md's first run", firstRunScript, name)
		}
	}

	const example = "examples/python-shared"
	for name, want := range exampleFiles(t, example) {
		got, ok := script[name]
		if !ok {
			t.Errorf("%s is not in %s: add it there", name, firstRunScript)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s and its copy in %s differ (-repository +script):\n%s", name, firstRunScript, diff)
		}
		delete(script, name)
	}
	for name := range script {
		if strings.HasPrefix(name, example+"/") {
			t.Errorf("%s holds %s, which the repository's example does not", firstRunScript, name)
		}
	}
}

// sectionOf is the text of the README section that starts with heading,
// up to the next heading of the same level.
func sectionOf(t *testing.T, text, heading string) string {
	_, rest, ok := strings.Cut(text, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// shellBlocks are the contents of the ```sh fenced blocks in text, each
// ending in a newline, as a txtar file's content does.
func shellBlocks(text string) []string {
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && line == "```sh":
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return blocks
}

// exampleFiles reads the example as git would commit it: what its own
// .gitignore ignores (what the first run writes) and Python's caches are
// left out, so a developer who ran the walkthrough here is not failed.
func exampleFiles(t *testing.T, dir string) map[string]string {
	ignored := ignoredNames(t, filepath.Join(dir, ".gitignore"))
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(p)
		if d.Name() == "__pycache__" || ignored(strings.TrimPrefix(rel, dir+"/"), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// ignoredNames reads the simple .gitignore the example has: one name or
// folder/ a line, matched against a path's last element.
func ignoredNames(t *testing.T, file string) func(rel string, dir bool) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range bytes.Split(b, []byte("\n")) {
		if p := strings.TrimSpace(string(line)); p != "" && !strings.HasPrefix(p, "#") {
			patterns = append(patterns, p)
		}
	}
	return func(rel string, dir bool) bool {
		for _, p := range patterns {
			name, onlyDir := strings.CutSuffix(p, "/")
			if m, _ := path.Match(name, path.Base(rel)); m && (dir || !onlyDir) {
				return true
			}
		}
		return false
	}
}

// TestReadmeInstallWorks runs the README's Install block as a newcomer
// would, in a home of its own: it must build layerctl into ~/.local/bin
// and run it from PATH.
func TestReadmeInstallWorks(t *testing.T) {
	testenv.Integration(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(sectionOf(t, string(readme), "## Install"))
	if len(blocks) != 1 {
		t.Fatalf(`README.md: "## Install" has %d sh blocks, want 1`, len(blocks))
	}
	home := t.TempDir()
	cmd := exec.Command("bash", "-euc", blocks[0])
	// The Go caches stay where they are: the new home must not make the
	// build download every module again.
	cmd.Env = append(os.Environ(), "HOME="+home, "GOCACHE="+goEnv(t, "GOCACHE"), "GOMODCACHE="+goEnv(t, "GOMODCACHE"), "GOPATH="+goEnv(t, "GOPATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README.md's Install block failed: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "layerctl ") {
		t.Errorf("layerctl version printed:\n%s", out)
	}
	if fi, err := os.Stat(filepath.Join(home, ".local", "bin", "layerctl")); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("~/.local/bin/layerctl: %v", err)
	}
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}
