package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/builder/python"
	"github.com/layerctl/layerctl/manifest"
)

// checkRequirements runs CheckInputs on a layer installing
// requirements.txt from dir, and returns its problems as text.
func checkRequirements(t *testing.T, dir string, allow bool, env ...string) []string {
	t.Helper()
	l := &manifest.Layer{Name: "deps", Runtimes: []string{"python3.12"}, Architectures: []string{"x86_64"},
		Python: &manifest.Python{Requirements: "requirements.txt", Installer: "pip", AllowSourceBuilds: allow}}
	m := &manifest.Manifest{Dir: dir, Version: 1, Layers: []*manifest.Layer{l}}
	err := CheckInputs(context.Background(), m, m.Layers, &builder.Tools{Env: env})
	if err == nil {
		return nil
	}
	var me *manifest.Error
	if !errors.As(err, &me) {
		t.Fatalf("got %T %v, want a *manifest.Error", err, err)
	}
	var out []string
	for _, p := range me.Problems {
		out = append(out, p.String())
	}
	return out
}

// Every way a requirements file can make pip build from source is refused,
// naming the file, the line, why and the opt-in.
func TestRequirementsThatBuildFromSourceAreRefused(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // requirements.txt and what it includes
		want  []string          // "file:line: text" of each refused line, then what the reason says
	}{
		{"--no-binary :all:", map[string]string{"requirements.txt": "purepkg==1.0\n--no-binary :all:\n"},
			[]string{`requirements.txt:2:1: "--no-binary :all:": --no-binary makes pip build packages from source`}},
		{"--no-binary=name", map[string]string{"requirements.txt": "--no-binary=evil\nevil==1.0\n"},
			[]string{`requirements.txt:1:1: "--no-binary=evil": --no-binary makes pip build`}},
		{"--no-binary later on an option line", map[string]string{"requirements.txt": "--pre --prefer-binary --no-binary evil\n"},
			[]string{`requirements.txt:1:1: "--pre --prefer-binary --no-binary evil": --no-binary makes`}},
		{"--no-binary on a requirement line", map[string]string{"requirements.txt": "evil==1.0 --no-binary :all:\n"},
			[]string{`requirements.txt:1:1: "evil==1.0 --no-binary :all:": --no-binary makes`}},
		{"an abbreviation pip accepts", map[string]string{"requirements.txt": "--no-bin=:all:\n"},
			[]string{`requirements.txt:1:1: "--no-bin=:all:": --no-binary makes`}},
		{"quoted", map[string]string{"requirements.txt": `--only-binary ":none:"` + "\n"},
			[]string{`requirements.txt:1:1: "--only-binary \":none:\"": --only-binary :none: lets pip build`}},
		{"--only-binary :none: among others", map[string]string{"requirements.txt": "--only-binary=x,:none:\n"},
			[]string{`requirements.txt:1:1: "--only-binary=x,:none:": --only-binary :none: lets pip build`}},
		{"split by a line continuation", map[string]string{"requirements.txt": "# a comment\n--no-bi\\\nnary :all:\n"},
			[]string{`requirements.txt:2:1: "--no-binary :all:": --no-binary makes`}},
		{"after a form feed, which pip takes for a line break", map[string]string{"requirements.txt": "purepkg==1.0\f--no-binary :all:\n"},
			[]string{`requirements.txt:2:1: "--no-binary :all:": --no-binary makes`}},
		{"from an environment variable", map[string]string{"requirements.txt": "--no-${WHAT} :all:\n"},
			[]string{`requirements.txt:1:1: "--no-binary :all:": --no-binary makes`}},
		{"in an included file", map[string]string{"requirements.txt": "purepkg==1.0\n-r other.txt\n", "other.txt": "# pins\n\n--no-binary=:all:\n"},
			[]string{`other.txt:3:1: "--no-binary=:all:": --no-binary makes`}},
		{"in an included file, two levels down, by --constraint", map[string]string{"requirements.txt": "-rsub/a.txt\n", "sub/a.txt": "--constraint=c.txt\n", "sub/c.txt": "-e ../pkg\n"},
			[]string{`sub/c.txt:1:1: "-e ../pkg": --editable an editable install (-e) is built from source`}},
		{"editable", map[string]string{"requirements.txt": "-e .\n--editable=git+https://example.com/x.git#egg=x\n"},
			[]string{`requirements.txt:1:1: "-e .": --editable an editable`, `requirements.txt:2:1: "--editable=git+https://example.com/x.git#egg=x": --editable an editable`}},
		{"local folder", map[string]string{"requirements.txt": "./pkg\n", "pkg/pyproject.toml": "[project]\nname='p'\n"},
			[]string{`requirements.txt:1:1: "./pkg": a local folder is built from source`}},
		{"a folder named like a wheel", map[string]string{"requirements.txt": "./x-1.0-py3-none-any.whl\n", "x-1.0-py3-none-any.whl/setup.py": ""},
			[]string{`requirements.txt:1:1: "./x-1.0-py3-none-any.whl": a local folder is built from source`}},
		{"local sdists", map[string]string{"requirements.txt": "./sdists/evil-1.0.tar.gz\nevil-1.0.zip\n/abs/evil.tgz ; python_version > '3'\nfile:///abs/evil-1.0.tar.bz2\n"},
			[]string{`requirements.txt:1:1: "./sdists/evil-1.0.tar.gz": a local path that is not a wheel`, `requirements.txt:2:1: "evil-1.0.zip": a local path that is not a wheel`,
				`requirements.txt:3:1: "/abs/evil.tgz ; python_version > '3'": a local path that is not a wheel`, `requirements.txt:4:1: "file:///abs/evil-1.0.tar.bz2": a URL that is not a wheel`}},
		{"VCS", map[string]string{"requirements.txt": "git+https://example.com/x.git\nx @ git+ssh://git@example.com/x.git@v1\nHG+https://example.com/y\nsvn+svn://example.com/z\nbzr+lp:w\ngit://example.com/v.git\n"},
			[]string{`requirements.txt:1:1: "git+https://example.com/x.git": a VCS URL`, `requirements.txt:2:1: "x @ git+ssh://git@example.com/x.git@v1": a VCS URL`,
				`requirements.txt:3:1: "HG+https://example.com/y": a VCS URL`, `requirements.txt:4:1: "svn+svn://example.com/z": a VCS URL`,
				`requirements.txt:5:1: "bzr+lp:w": a VCS URL`, `requirements.txt:6:1: "git://example.com/v.git": a VCS URL`}},
		{"source archives by URL", map[string]string{"requirements.txt": "https://example.com/evil-1.0.tar.gz\nevil @ https://example.com/evil-1.0.tar.gz#sha256=ab\nx @ https://example.com/download?id=3\n"},
			[]string{`requirements.txt:1:1: "https://example.com/evil-1.0.tar.gz": a URL that is not a wheel`,
				`requirements.txt:2:1: "evil @ https://example.com/evil-1.0.tar.gz#sha256=ab": a URL that is not a wheel`,
				`requirements.txt:3:1: "x @ https://example.com/download?id=3": a URL that is not a wheel`}},
		{"options that only matter to a source build", map[string]string{"requirements.txt": "evil==1.0 --global-option=--x\nevil==1.0 --config-settings=k=v\nevil==1.0 -C k=v\n--no-build-isolation\n--use-pep517\n"},
			[]string{`requirements.txt:1:1: "evil==1.0 --global-option=--x": --global-option only matters when pip builds`,
				`requirements.txt:2:1: "evil==1.0 --config-settings=k=v": --config-settings only matters`,
				`requirements.txt:3:1: "evil==1.0 -C k=v": --config-settings only matters`,
				`requirements.txt:4:1: "--no-build-isolation": --no-build-isolation only matters`,
				`requirements.txt:5:1: "--use-pep517": --use-pep517 only matters`}},
		{"an option layerctl does not know", map[string]string{"requirements.txt": "--frobnicate\n"},
			[]string{`requirements.txt:1:1: "--frobnicate": --frobnicate is not an option layerctl knows pip to take`}},
		{"a requirements file from a URL", map[string]string{"requirements.txt": "-r https://example.com/more.txt\n"},
			[]string{`requirements.txt:1:1: "-r https://example.com/more.txt": --requirement https://example.com/more.txt is read from a URL`}},
		{"an include that is missing", map[string]string{"requirements.txt": "-r nothere.txt\n"},
			[]string{`requirements.txt:1:1: "-r nothere.txt": nothere.txt: cannot read it: no such file or directory`}},
		{"UTF-16", map[string]string{"requirements.txt": "\xff\xfe-\x00-\x00n\x00o\x00"},
			[]string{`requirements.txt: requirements.txt: not UTF-8 (it starts with a UTF-16`}},
		{"a coding line pip would honour", map[string]string{"requirements.txt": "# -*- coding: utf-7 -*-\n+AC0ALQ-no-binary :all:\n"},
			[]string{`requirements.txt: requirements.txt: declares the encoding "utf-7"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.Tree(t, dir, tc.files)
			got := checkRequirements(t, dir, false, "WHAT=binary")
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				head, rest, _ := strings.Cut(w, ": ")
				if !strings.HasPrefix(got[i], head+": layers.deps.python.requirements: ") && !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d:\n got %s\nwant it to start %s: layers.deps.python.requirements:", i, got[i], head)
				}
				if !strings.Contains(got[i], rest) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], rest)
				}
				if !strings.HasSuffix(got[i], "set python: {allow_source_builds: true} on layer deps to allow it") {
					t.Errorf("problem %d does not name the opt-in: %s", i, got[i])
				}
			}
			// The opt-in allows every one of them.
			if got := checkRequirements(t, dir, true, "WHAT=binary"); got != nil {
				t.Errorf("with allow_source_builds: %v", got)
			}
		})
	}
}

// What only chooses which wheels pip installs is not refused.
func TestRequirementsOfWheelsOnlyPass(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"requirements.txt": strings.Join([]string{
			"# --no-binary :all: in a comment",
			"purepkg==1.0 --hash=sha256:00 \\",
			"    --hash=sha256:11",
			"natpkg[extra]>=1.0; python_version >= '3.8'  # -e ./x",
			"-i https://pypi.example.com/simple",
			"--index-url=https://pypi.example.com/simple --extra-index-url https://extra.example.com/simple",
			"-f ./wheels",
			"--find-links=https://example.com/links",
			"--only-binary :all:",
			"--only-binary=natpkg --prefer-binary --pre --require-hashes",
			"--trusted-host example.com --use-feature=truststore",
			"./wheels/purepkg-1.0-py3-none-any.whl",
			"pure @ https://example.com/purepkg-1.0-py3-none-any.whl#sha256=00",
			"pure @ file:///wheels/purepkg-1.0-py3-none-any.whl",
			"-c constraints.txt",
			"-r requirements.txt",
		}, "\n") + "\n",
		"constraints.txt": "natpkg<2\n",
		"wheels/.keep":    "",
	})
	if got := checkRequirements(t, dir, false); got != nil {
		t.Errorf("problems: %v", got)
	}
}

func TestRequirementsAreBounded(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "-r big.txt\n"})
	big := strings.Repeat("purepkg==1.0\n", python.MaxRequirementsFile/13+1)
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	got := checkRequirements(t, dir, false)
	if len(got) != 1 || !strings.Contains(got[0], "big.txt: larger than 4 MiB") {
		t.Errorf("problems: %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := python.ReadRequirements(ctx, dir, "requirements.txt", noEnv); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
