package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// spyPath makes a folder of wrappers, one per tool, that log every start
// of the tool (its name and arguments, one line) to log and run the real
// one: a PATH with it first sees every process a build starts through
// PATH, whoever starts it (layerctl, or a tool starting another).
func spyPath(t *testing.T, log string, tools ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range tools {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		script := "#!/bin/sh\necho \"" + tool + " $*\" | tr '\\n' ' ' | head -c 200 >> " + log + "\necho >> " + log + "\nexec " + real + " \"$@\"\n"
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// started lists the processes the spies logged since the last call.
func started(t *testing.T, log string) []string {
	t.Helper()
	data, _ := os.ReadFile(log)
	os.Remove(log)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func spyTools(spies string) *builder.Tools {
	return &builder.Tools{Env: append(os.Environ(), "PATH="+spies+string(os.PathListSeparator)+os.Getenv("PATH"))}
}

// A rebuild with nothing changed starts no process, for a layer with pip,
// npm and go builders: python3, npm, node and go are not asked about
// themselves again (issue 13). What they would answer is known from the
// build cache while nothing they depend on has changed; when something
// has, only the questions it touches are asked again.
func TestNoOpRebuildStartsNoProcess(t *testing.T) {
	testenv.NeedTools(t, "python3", "npm", "node", "go")
	dir, out := t.TempDir(), t.TempDir()
	log := filepath.Join(t.TempDir(), "started.log")
	spies := spyPath(t, log, "python3", "npm", "node", "go")
	testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), nil)
	lock := `{"name": "fn", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "fn", "version": "1.0.0"}}}`
	files := map[string]string{"requirements.txt": "purepkg==1.0\n", "fn/package.json": `{"name": "fn", "version": "1.0.0"}`, "fn/package-lock.json": lock}
	for name, content := range goModule {
		files[name] = content
	}
	testenv.Tree(t, dir, files)
	aged(t, dir)
	l := pyLayerFrom("all", []string{"python3.12", "nodejs22.x"}, "x86_64")
	l.Node = &manifest.Node{Package: "fn"}
	l.Go = extLayer().Go
	build := func(env ...string) *layer.Artifact {
		t.Helper()
		tools := spyTools(spies) // a new run of layerctl: nothing known but the cache
		tools.Env = append(tools.Env, env...)
		m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
		a, err := Build(context.Background(), m, l, Options{OutDir: out, Modified: layer.DefaultModified, Tools: tools})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	build()
	first := started(t, log)
	for _, want := range []string{"python3 -I -B -c", "npm --version", "node --version", "npm config list", "go env", "go list", "npm ci", "go build"} {
		if !containsPrefix(first, want) {
			t.Errorf("the first build did not start %q (the spies saw %q)", want, first)
		}
	}

	if a := build(); !a.Cached {
		t.Fatal("the rebuild with nothing changed was not answered by the cache")
	}
	if got := started(t, log); len(got) != 0 {
		t.Errorf("the rebuild with nothing changed started %d processes: %q", len(got), got)
	}

	// A setting of go's changed: go is asked again, and nothing else.
	build("GOFLAGS=-tags=layerctl_test")
	again := started(t, log)
	for _, want := range []string{"go env", "go list"} {
		if !containsPrefix(again, want) {
			t.Errorf("GOFLAGS changed but %q was not asked again (the spies saw %q)", want, again)
		}
	}
	for _, not := range []string{"python3 -I -B -c", "npm --version", "node --version", "npm config list"} {
		if containsPrefix(again, not) {
			t.Errorf("GOFLAGS changed and %q was asked again", not)
		}
	}
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// pip's configuration changed: python3 is asked about pip again (the
// answer names every configuration file pip reads), and the layer is
// rebuilt; nothing else changed, nothing is started.
func TestPipConfigChangeAsksPythonAgain(t *testing.T) {
	testenv.NeedTools(t, "python3")
	dir, out := t.TempDir(), t.TempDir()
	log := filepath.Join(t.TempDir(), "started.log")
	spies := spyPath(t, log, "python3")
	testenv.Wheelhouse(t, filepath.Join(dir, "wheels"), nil)
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "purepkg==1.0\n", "more/.keep": ""})
	aged(t, dir)
	conf := filepath.Join(dir, "pip.conf")
	l := pyLayerFrom("py", []string{"python3.12"}, "x86_64")
	build := func() *layer.Artifact {
		t.Helper()
		tools := spyTools(spies)
		tools.Env = append(tools.Env, "PIP_CONFIG_FILE="+conf)
		m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
		a, err := Build(context.Background(), m, l, Options{OutDir: out, Modified: layer.DefaultModified, Tools: tools})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	build()
	started(t, log)
	if a := build(); !a.Cached || len(started(t, log)) != 0 {
		t.Fatalf("nothing changed: cached %v, or processes started", a.Cached)
	}
	testenv.Tree(t, dir, map[string]string{"pip.conf": "[global]\nfind-links = " + filepath.Join(dir, "more") + "\n"})
	aged(t, dir)
	a := build()
	if got := started(t, log); !containsPrefix(got, "python3 -I -B -c") {
		t.Errorf("pip.conf appeared but python3 was not asked again (started %q)", got)
	}
	if a.Cached {
		t.Error("pip.conf appeared but the build cache answered")
	}
	if a := build(); !a.Cached || len(started(t, log)) != 0 {
		t.Errorf("nothing changed since: cached %v, or processes started", a.Cached)
	}
}
