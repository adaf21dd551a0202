package build

import (
	"debug/elf"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

func TestOneZIPServesBothArchitecturesWhenTheSame(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/app/__init__.py": "", "bin/run*": "#!/bin/sh\n"})
	l := testenv.PyLayer("app", manifest.FileMap{From: "src/app", To: "python/app"}, manifest.FileMap{From: "bin/run", To: "bin/run"})
	l.Architectures = []string{"x86_64", "arm64"}
	a, err := buildLayer(t, dir, t.TempDir(), l, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"x86_64", "arm64"}, a.Architectures); d != "" {
		t.Errorf("architectures (-want +got):\n%s", d)
	}
}

func TestDifferentContentPerArchitectureStops(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"jq-amd64":      string(testenv.ELFHeader(elf.EM_X86_64)),
		"jq-arm64":      string(testenv.ELFHeader(elf.EM_AARCH64)),
		"common/README": "docs",
	})
	l := &manifest.Layer{Name: "jq", Runtimes: []string{"provided.al2023"}, Architectures: []string{"x86_64", "arm64"}, Files: []manifest.FileMap{
		{From: "jq-amd64", To: "bin/jq", Architecture: "x86_64"},
		{From: "jq-arm64", To: "bin/jq", Architecture: "arm64"},
		{From: "common", To: "bin/share"},
	}}
	out := t.TempDir()
	_, err := buildLayer(t, dir, out, l, false)
	if err == nil {
		t.Fatal("one ZIP was built for two architectures whose content differs")
	}
	for _, want := range []string{
		`layer "jq": its content differs between x86_64 and arm64, so one ZIP cannot serve them all:`,
		"bin/jq: differs (x86_64: 64 B, arm64: 64 B)",
		"split_architectures: {x86_64: jq-x86_64, arm64: jq-arm64}",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if z := testenv.ZipsIn(t, out); len(z) != 0 {
		t.Errorf("left %v", z)
	}

	// Split, as the manifest does it: one layer per architecture, each
	// keeping every files entry and building those for its architecture.
	for arch, m := range map[string]elf.Machine{"x86_64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		half := *l
		half.Name, half.SplitFrom, half.Architectures = "jq-"+arch, "jq", []string{arch}
		a, err := buildLayer(t, dir, t.TempDir(), &half, false)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(map[string]elf.Machine{"bin/jq": m}, testenv.Machines(t, a.Path)); d != "" {
			t.Errorf("%s (-want +got):\n%s", arch, d)
		}
	}
}
