package python

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

func TestPythonPlatforms(t *testing.T) {
	tests := []struct {
		arch, version string
		first, last   string
		has, hasNot   string
		uv            string
	}{
		{"x86_64", "3.12", "manylinux_2_34_x86_64", "manylinux1_x86_64", "manylinux2014_x86_64", "manylinux_2_35_x86_64", "x86_64-manylinux_2_34"},
		{"arm64", "3.13", "manylinux_2_34_aarch64", "manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_16_aarch64", "aarch64-manylinux_2_34"},
		{"arm64", "3.11", "manylinux_2_26_aarch64", "manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64", "aarch64-manylinux_2_26"},
		{"x86_64", "3.9", "manylinux_2_26_x86_64", "manylinux1_x86_64", "manylinux2010_x86_64", "manylinux_2_27_x86_64", "x86_64-manylinux_2_26"},
	}
	for _, tc := range tests {
		p := Platforms(tc.arch, tc.version)
		if p[0] != tc.first || p[len(p)-1] != tc.last || !slices.Contains(p, tc.has) || slices.Contains(p, tc.hasNot) {
			t.Errorf("pythonPlatforms(%s, %s) = %v", tc.arch, tc.version, p)
		}
		if got := UVPlatform(tc.arch, tc.version); got != tc.uv {
			t.Errorf("uvPlatform(%s, %s) = %s, want %s", tc.arch, tc.version, got, tc.uv)
		}
	}
}

func TestUVCommand(t *testing.T) {
	j := &Job{Layer: "l", BaseDir: "/proj", Installer: "uv", Arch: "arm64", Version: "3.12", Dest: "/tmp/t",
		Spec: &manifest.Python{Requirements: "req.txt", IndexURL: "https://pypi.example.com/simple", ExtraIndexURLs: []string{"https://extra.example.com/simple"}, FindLinks: []string{"wheels", "https://links.example.com/"}, NoIndex: true}}
	want := []string{"uv", "pip", "install", "--no-config", "--target", "/tmp/t", "--python-platform", "aarch64-manylinux_2_34", "--python-version", "3.12",
		"--only-binary", ":all:", "--index-url", "https://pypi.example.com/simple", "--extra-index-url", "https://extra.example.com/simple",
		"--find-links", "/proj/wheels", "--find-links", "https://links.example.com/", "--no-index", "-r", "/proj/req.txt"}
	if d := cmp.Diff(want, j.Command().Args); d != "" {
		t.Errorf("uv command (-want +got):\n%s", d)
	}
	// allow_source_builds: uv may build sdists (it resolves for the target
	// platform itself, so no --no-deps as pip needs).
	j.Spec.AllowSourceBuilds = true
	if args := j.Command().Args; slices.Contains(args, "--only-binary") || slices.Contains(args, ":all:") {
		t.Errorf("uv with allow_source_builds: %v", args)
	}
}

func TestRequirementInputs(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"requirements.txt": "-r base.txt\n--constraint=sub/c.txt\n-f ./wheels\nfoo==1 \\\n  --hash=sha256:ab\n./local/pkg-1.0-py3-none-any.whl\n# -r ignored.txt\n",
		"base.txt":         "bar==2\n-r requirements.txt\n",
		"sub/c.txt":        "baz<3\n",
	})
	got, err := ReadRequirements(context.Background(), dir, "requirements.txt", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := &Requirements{
		Files:     []string{filepath.Join(dir, "requirements.txt"), filepath.Join(dir, "base.txt"), filepath.Join(dir, "sub", "c.txt")},
		FindLinks: []string{filepath.Join(dir, "wheels")},
		Local:     []string{filepath.Join(dir, "local", "pkg-1.0-py3-none-any.whl")},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(Requirements{})); d != "" {
		t.Errorf("readRequirements (-want +got):\n%s", d)
	}
}

func noEnv(string) string { return "" }

// python3's answer about pip is kept on disk by the build cache: a
// find-links URL from pip's configuration, which may hold credentials,
// stays out of it (its digest is in Config); local folders and every
// configuration file pip reads are in it.
func TestAboutKeepsURLsOutOfTheAnswer(t *testing.T) {
	testenv.NeedTools(t, "python3")
	dir := t.TempDir()
	conf := filepath.Join(dir, "pip.conf")
	testenv.Tree(t, dir, map[string]string{"pip.conf": "[global]\nfind-links = " + dir + "/wheels https://user:s3cret@example.invalid/links\n"})
	tools := &builder.Tools{Env: append(os.Environ(), "PIP_CONFIG_FILE="+conf)}
	out, err := tools.Ask(context.Background(), aboutQuestion(tools, dir).Command)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cret") {
		t.Errorf("the answer holds the URL's credentials: %s", out)
	}
	info, err := parseInfo(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(info.FindLinks, dir+"/wheels") || !slices.Contains(info.ConfigFiles, conf) {
		t.Errorf("find-links %q, configuration files %q: want %s/wheels and %s", info.FindLinks, info.ConfigFiles, dir, conf)
	}
}
