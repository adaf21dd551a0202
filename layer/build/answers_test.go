package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/layerctl/layerctl/layer/builder"
)

// What a question depends on, changed, asks it again; nothing changed,
// the answer comes from the cache: the executable, PATH, a variable it
// names (by name or prefix), a file it names (appearing, changing), a
// file its answer named, a folder its answer named gaining an entry.
func TestAnswersAreAskedAgainWhenWhatTheyDependOnChanges(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("needs sh")
	}
	root := t.TempDir()
	bin, log := filepath.Join(root, "bin"), filepath.Join(root, "asked.log")
	conf, named, folder := filepath.Join(root, "tool.conf"), filepath.Join(root, "named.conf"), filepath.Join(root, "pkg")
	writeTool := func(version string) {
		os.MkdirAll(bin, 0o755)
		script := "#!/bin/sh\necho asked >> " + log + "\necho " + version + " " + named + " " + folder + "\n"
		os.WriteFile(filepath.Join(bin, "tool"), []byte(script), 0o755)
	}
	writeTool("1")
	os.MkdirAll(folder, 0o755)
	os.WriteFile(named, []byte("a"), 0o644)
	aged(t, root)

	cache := openCache(t.TempDir(), t.TempDir(), false)
	env := []string{"PATH=" + bin, "TOOL_MODE=fast", "OTHER=1"}
	q := builder.Question{
		Command: builder.Command{Tool: "tool", Dir: root, Args: []string{"tool", "--version"}},
		Env:     []string{"TOOL_MODE", "TOOL_X*"},
		Files:   []string{conf},
		Depends: func(out []byte) ([]string, error) { return strings.Fields(string(out))[1:], nil },
	}
	ask := func() string {
		t.Helper()
		a := &answers{cache: cache, exe: "test", tools: &builder.Tools{Env: env}}
		got, err := a.ask(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(got))[0]
	}
	asked := func() int {
		data, _ := os.ReadFile(log)
		os.Remove(log)
		return strings.Count(string(data), "asked")
	}
	settle := func() { time.Sleep(10 * time.Millisecond) } // racyWindow is 0: settled once in the past

	ask()
	if n := asked(); n != 1 {
		t.Fatalf("first question: the tool ran %d times", n)
	}
	steps := []struct {
		name   string
		change func()
		asked  int
	}{
		{"nothing", func() {}, 0},
		{"an unrelated variable", func() { env = append(env, "OTHER=2") }, 0},
		{"a variable it names", func() { env = append(env, "TOOL_MODE=slow") }, 1},
		{"a variable its prefix names appearing", func() { env = append(env, "tool_xyz=1") }, 1},
		{"a file it names appearing", func() { os.WriteFile(conf, []byte("x"), 0o644) }, 1},
		{"that file changing, same size", func() { os.WriteFile(conf, []byte("y"), 0o644) }, 1},
		{"a file the answer named changing", func() { os.WriteFile(named, []byte("b"), 0o644) }, 1},
		{"a folder the answer named gaining a file", func() { os.WriteFile(filepath.Join(folder, "new.go"), nil, 0o644) }, 1},
		{"the executable replaced", func() { os.Remove(filepath.Join(bin, "tool")); writeTool("2") }, 1},
		{"PATH", func() { env = append(env, "PATH="+bin+string(os.PathListSeparator)+root) }, 1},
		{"nothing, again", func() {}, 0},
	}
	for _, s := range steps {
		s.change()
		settle()
		ask()
		if n := asked(); n != s.asked {
			t.Errorf("%s: the tool ran %d times, want %d", s.name, n, s.asked)
		}
	}
	if v := ask(); v != "2" {
		t.Errorf("the answer is %q, want the replaced tool's 2", v)
	}
}

// An answer from a file changed a moment ago is not remembered: a second
// change within the same timestamp tick would not show.
func TestAnswersOfFilesJustChangedAreNotRemembered(t *testing.T) {
	root := t.TempDir()
	log := filepath.Join(root, "asked.log")
	os.WriteFile(filepath.Join(root, "tool"), []byte("#!/bin/sh\necho asked >> "+log+"\necho 1\n"), 0o755)
	cache := openCache(t.TempDir(), t.TempDir(), false)
	q := builder.Question{Command: builder.Command{Tool: "tool", Dir: root, Args: []string{"tool"}}}
	for range 2 {
		a := &answers{cache: cache, exe: "test", tools: &builder.Tools{Env: []string{"PATH=" + root}}}
		if _, err := a.ask(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	if data, _ := os.ReadFile(log); strings.Count(string(data), "asked") != 2 {
		t.Errorf("a tool written just now was answered from the cache: ran %q", data)
	}
}

// A damaged answer file is asked again, with a note; one from another
// layerctl, or with --no-cache, is asked again without one.
func TestDamagedAnswersAreAskedAgain(t *testing.T) {
	root := t.TempDir()
	log := filepath.Join(root, "asked.log")
	os.WriteFile(filepath.Join(root, "tool"), []byte("#!/bin/sh\necho asked >> "+log+"\necho 1\n"), 0o755)
	aged(t, root)
	cache := openCache(t.TempDir(), t.TempDir(), false)
	q := builder.Question{Command: builder.Command{Tool: "tool", Dir: root, Args: []string{"tool"}}}
	ask := func(exe string, ignore bool) int {
		t.Helper()
		a := &answers{cache: cache, exe: exe, ignore: ignore, tools: &builder.Tools{Env: []string{"PATH=" + root}}}
		if _, err := a.ask(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(log)
		os.Remove(log)
		return strings.Count(string(data), "asked")
	}
	time.Sleep(10 * time.Millisecond)
	ask("v1", false)
	if n := ask("v1", false); n != 0 {
		t.Fatalf("setup: asked %d times", n)
	}
	if n := ask("v1", true); n != 1 {
		t.Errorf("--no-cache: asked %d times, want 1", n)
	}
	if n := ask("v2", false); n != 1 {
		t.Errorf("another layerctl: asked %d times, want 1", n)
	}
	files, _ := filepath.Glob(filepath.Join(cache.dir, "answers", "*.json"))
	for _, f := range files {
		os.WriteFile(f, []byte(`{"Seen": "x", "Answer": tru`), 0o644)
	}
	cache.notes = nil
	if n := ask("v1", false); n != 1 || len(cache.notes) != 1 || !strings.Contains(cache.notes[0].Message, "unreadable") {
		t.Errorf("damaged: asked %d times, notes %v", n, cache.notes)
	}
	for _, f := range files {
		os.Remove(f)
		if err := syscall.Mkfifo(f, 0o644); err != nil {
			t.Skip(err)
		}
	}
	cache.notes = nil
	if n := ask("v1", false); n != 1 || len(cache.notes) != 1 {
		t.Errorf("a FIFO: asked %d times, notes %v", n, cache.notes)
	}
}
