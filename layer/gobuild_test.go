package layer

import (
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	needTools(t, "go")
	// The same module in two places, so -trimpath and the empty build ID
	// are what makes the bytes equal, not the go build cache.
	var sums []string
	for range 2 {
		dir := t.TempDir()
		tree(t, dir, goModule)
		a, err := buildLayer(t, dir, filepath.Join(dir, "dist"), extLayer("arm64"), true)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(map[string]elf.Machine{"extensions/ext": elf.EM_AARCH64}, machines(t, a.Path)); d != "" {
			t.Errorf("native code (-want +got):\n%s", d)
		}
		heads, _, _ := readZip(t, a.Path)
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
	needTools(t, "go")
	dir := t.TempDir()
	tree(t, dir, map[string]string{"go.mod": "module example.com/ext\n\ngo 1.22\n", "cmd/ext/main.go": "package main\n\nfunc main() { undefinedThing() }\n"})
	_, err := buildLayer(t, dir, t.TempDir(), extLayer("x86_64"), false)
	if err == nil || !strings.Contains(err.Error(), "go build failed building ./cmd/ext for x86_64") || !strings.Contains(err.Error(), "undefined: undefinedThing") {
		t.Fatalf("got %v", err)
	}
}

// What go build compiles decides the cache: a changed source file of the
// module rebuilds; a file of the module that no package uses does not.
func TestGoSourcesDecideTheCache(t *testing.T) {
	needTools(t, "go")
	dir, out := t.TempDir(), t.TempDir()
	tree(t, dir, goModule)
	aged(t, dir)
	build := func() *Artifact {
		t.Helper()
		a, err := buildLayer(t, dir, out, extLayer("x86_64"), false)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := build()
	tree(t, dir, map[string]string{"layer/README.md": "edited, and nothing builds from it\n"})
	if a := build(); !a.Cached {
		t.Error("a file no package uses changed: rebuilt")
	}
	tree(t, dir, map[string]string{"cmd/ext/version.go": "package main\n\nconst version = \"2\"\n"})
	if a := build(); a.Cached || a.SHA256 == first.SHA256 {
		t.Errorf("the extension's source changed: cached %v, same ZIP %v", a.Cached, a.SHA256 == first.SHA256)
	}
}
