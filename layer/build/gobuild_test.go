package build

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// goModule is a tiny module with an extension's main package.
var goModule = map[string]string{
	"go.mod":              "module example.com/ext\n\ngo 1.22\n",
	"cmd/ext/main.go":     "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"ext \" + version + \"\\n\") }\n",
	"cmd/ext/version.go":  "package main\n\nconst version = \"1\"\n",
	"layer/README.md":     "not part of the build\n",
	"internal/x/x.go":     "package x\n",
	"internal/x/x_arm.go": "package x\n",
}

func extLayer(archs ...string) *manifest.Layer {
	return &manifest.Layer{Name: "ext", Runtimes: []string{"provided.al2023"}, Architectures: archs,
		Go: []manifest.GoBuild{{Package: "./cmd/ext", To: "extensions/ext"}}}
}

func TestGoExtensionForArm64IsReproducible(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "go")
	// The same module in two places, so -trimpath and the empty build ID
	// are what makes the bytes equal, not the go build cache.
	var sums []string
	for range 2 {
		dir := t.TempDir()
		testenv.Tree(t, dir, goModule)
		a, err := buildLayer(t, dir, filepath.Join(dir, "dist"), extLayer("arm64"), true)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(map[string]elf.Machine{"extensions/ext": elf.EM_AARCH64}, testenv.Machines(t, a.Path)); d != "" {
			t.Errorf("native code (-want +got):\n%s", d)
		}
		heads, _, _ := testenv.ReadZip(t, a.Path)
		if heads["extensions/ext"].Mode().Perm() != 0o755 {
			t.Errorf("extensions/ext is %v, want executable", heads["extensions/ext"].Mode())
		}
		sums = append(sums, a.SHA256)
	}
	if sums[0] != sums[1] {
		t.Errorf("two builds of the same source differ: %s vs %s", sums[0], sums[1])
	}
}

func TestGoBuildFailureShowsGosError(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "go")
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"go.mod": "module example.com/ext\n\ngo 1.22\n", "cmd/ext/main.go": "package main\n\nfunc main() { undefinedThing() }\n"})
	_, err := buildLayer(t, dir, t.TempDir(), extLayer("x86_64"), false)
	if err == nil || !strings.Contains(err.Error(), "go build failed building ./cmd/ext for x86_64") || !strings.Contains(err.Error(), "undefined: undefinedThing") {
		t.Fatalf("got %v", err)
	}
}

// What go build compiles decides the cache: a changed source file of the
// module rebuilds; a file of the module that no package uses does not.
func TestGoSourcesDecideTheCache(t *testing.T) {
	testenv.NeedTools(t, "go")
	dir, out := t.TempDir(), t.TempDir()
	testenv.Tree(t, dir, goModule)
	aged(t, dir)
	build := func() *layer.Artifact {
		t.Helper()
		a, err := buildLayer(t, dir, out, extLayer("x86_64"), false)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := build()
	testenv.Tree(t, dir, map[string]string{"layer/README.md": "edited, and nothing builds from it\n"})
	if a := build(); !a.Cached {
		t.Error("a file no package uses changed: rebuilt")
	}
	testenv.Tree(t, dir, map[string]string{"cmd/ext/version.go": "package main\n\nconst version = \"2\"\n"})
	if a := build(); a.Cached || a.SHA256 == first.SHA256 {
		t.Errorf("the extension's source changed: cached %v, same ZIP %v", a.Cached, a.SHA256 == first.SHA256)
	}
}

// Behind the manifest's check, the command line itself keeps a package
// from being a flag: go build and go list take it after --.
func TestGoNeverTakesThePackageAsAFlag(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "go")
	dir := t.TempDir()
	testenv.Tree(t, dir, goModule)
	testenv.Tree(t, dir, map[string]string{"main.go": "package main\n\nfunc main() {}\n",
		"pwn.sh": "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/pwned\"\nexec \"$@\"\n"})
	if err := os.Chmod(filepath.Join(dir, "pwn.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"-toolexec=./pwn.sh", "-toolexec=" + filepath.Join(dir, "pwn.sh")} {
		l := extLayer("x86_64")
		l.Go[0].Package = pkg
		_, err := buildLayer(t, dir, t.TempDir(), l, true)
		if err == nil || !strings.Contains(err.Error(), "malformed import path") {
			t.Errorf("package %q: got %v, want go's malformed import path", pkg, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
			t.Fatalf("package %q: go ran pwn.sh", pkg)
		}
	}
}

// A go.mod names a newer toolchain: with GOTOOLCHAIN=auto (the default of
// go's own go.env) go would download that toolchain and run it. Here the
// "toolchain" comes from a local module proxy and only writes a marker:
// layerctl keeps go on this machine's toolchain, unless GOTOOLCHAIN is set
// in its environment.
func TestGoKeepsThisMachinesToolchain(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "go")
	work := t.TempDir()
	marker := filepath.Join(work, "toolchain-ran")
	proxy := fakeToolchainProxy(t, filepath.Join(work, "proxy"), "go1.99.0", "#!/bin/sh\necho \"$@\" >> "+marker+"\nexit 3\n")
	modCache := filepath.Join(work, "mod")
	t.Cleanup(func() { makeWritable(modCache) }) // the module cache is read-only
	if err := os.WriteFile(filepath.Join(work, "goenv"), []byte("GOTOOLCHAIN=auto\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "src")
	testenv.Tree(t, dir, goModule)
	testenv.Tree(t, dir, map[string]string{"go.mod": "module example.com/ext\n\ngo 1.22\n\ntoolchain go1.99.0\n"})

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOTOOLCHAIN=") && !strings.HasPrefix(kv, "GOENV=") {
			env = append(env, kv)
		}
	}
	env = append(env, "GOENV="+filepath.Join(work, "goenv"), "GOPROXY=file://"+proxy, "GOSUMDB=off", "GOMODCACHE="+modCache)
	build := func(env []string) error {
		l := extLayer("x86_64")
		l.DefaultExcludes = true
		m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
		_, err := Build(context.Background(), m, l, Options{OutDir: t.TempDir(), Modified: layer.DefaultModified, NoCache: true, Tools: &builder.Tools{Env: env}})
		return err
	}
	if err := build(env); err != nil {
		t.Fatalf("build: %v", err)
	}
	if data, err := os.ReadFile(marker); err == nil {
		t.Fatalf("go ran the toolchain go.mod named: %s", data)
	}
	// The operator's own GOTOOLCHAIN is theirs to set: then go switches.
	if err := build(append(env, "GOTOOLCHAIN=auto")); err == nil {
		t.Fatal("GOTOOLCHAIN=auto from the environment: the fake toolchain should have run and failed")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("GOTOOLCHAIN=auto from the environment was not honoured: %v", err)
	}
}

// fakeToolchainProxy writes a module proxy (GOPROXY=file://...) serving
// golang.org/toolchain for go version v on this machine, whose bin/go is
// the script given, and returns its folder.
func fakeToolchainProxy(t *testing.T, dir, v, script string) string {
	t.Helper()
	version := fmt.Sprintf("v0.0.1-%s.%s-%s", v, runtime.GOOS, runtime.GOARCH)
	at := filepath.Join(dir, "golang.org", "toolchain", "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		version + ".info": fmt.Sprintf(`{"Version":%q,"Time":"2024-01-01T00:00:00Z"}`, version),
		version + ".mod":  "module golang.org/toolchain\n",
		"list":            version + "\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(at, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	prefix := "golang.org/toolchain@" + version + "/"
	tool := fmt.Sprintf("pkg/tool/%s_%s/compile", runtime.GOOS, runtime.GOARCH)
	for name, body := range map[string]string{"bin/go": script, "bin/gofmt": "#!/bin/sh\n", tool: "#!/bin/sh\n", "lib/README": ""} {
		w, err := zw.Create(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(at, version+".zip"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// makeWritable lets a test's temporary folder holding a module cache be removed.
func makeWritable(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}
