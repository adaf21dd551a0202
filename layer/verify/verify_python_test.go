package verify

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// verify imports the modules the installed distributions declare (their
// top_level.txt, else the top-level names of their RECORD), whatever the
// distribution is called: acme_tools declares acmetools. A folder a
// distribution installs without declaring it a module (its tests, which
// need pytest) is not imported: no function imports it. A declared
// module the layer lost (a broad exclude) fails, naming the distribution.
func TestVerifyPythonImportsWhatDistributionsDeclare(t *testing.T) {
	t.Parallel()
	testenv.NeedTools(t, "python3")
	rt := localRuntime(t, "python3")
	dir := t.TempDir()
	wheels := filepath.Join(dir, "wheels")
	testenv.WriteWheel(t, wheels, "acme_tools", "1.0", "py3-none-any", map[string][]byte{
		"acmetools/__init__.py":                  []byte("from .core import VALUE\n"),
		"acmetools/core.py":                      []byte("VALUE = 42\n"),
		"tests/__init__.py":                      []byte("import pytest_which_is_not_in_the_layer\n"),
		"acme_tools-1.0.dist-info/top_level.txt": []byte("acmetools\n"),
	})
	testenv.WriteWheel(t, wheels, "hatched", "2.0", "py3-none-any", map[string][]byte{
		"hatchmod/__init__.py":       []byte("NAME = 'hatchmod'\n"),
		"hatchmod/data/template.txt": []byte("not code\n"),
	})
	testenv.Tree(t, dir, map[string]string{"requirements.txt": "acme-tools==1.0\nhatched==2.0\n", "own/mine.py": "X = 1\n"})
	layerFor := func(name string, exclude ...string) *manifest.Layer {
		return &manifest.Layer{Name: name, Runtimes: []string{rt}, Architectures: []string{hostArch()}, Exclude: exclude,
			Python: &manifest.Python{Requirements: "requirements.txt", Installer: "pip", FindLinks: []string{"wheels"}, NoIndex: true},
			Files:  []manifest.FileMap{{From: "own", To: "python"}}}
	}

	for _, tc := range []struct {
		layer   *manifest.Layer
		want    map[string]string
		verdict string
	}{
		{layerFor("declared"), map[string]string{"acmetools": CheckOK, "hatchmod": CheckOK, "mine": CheckOK}, VerdictPassed},
		{layerFor("lost", "python/acmetools/**"), map[string]string{"acmetools": CheckFailed, "hatchmod": CheckOK, "mine": CheckOK}, VerdictFailed},
	} {
		t.Run(tc.layer.Name, func(t *testing.T) {
			a := steptest.MustBuild(t, dir, tc.layer, build.Options{Tools: testTools()})
			r, err := Verify(t.Context(), a.Path, Options{Runtimes: tc.layer.Runtimes, Architectures: tc.layer.Architectures, Tools: testTools()})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, checkStatuses(r)); d != "" {
				t.Errorf("checks (-want +got):\n%s\n%v", d, r.Checks)
			}
			if r.Verdict != tc.verdict {
				t.Errorf("verdict %q, want %q", r.Verdict, tc.verdict)
			}
			if tc.want["acmetools"] == CheckFailed {
				if d := detail(r, "acmetools"); !strings.Contains(d, "No module named 'acmetools'") || !strings.Contains(d, "distribution acme_tools declares it, in its top_level.txt") {
					t.Errorf("acmetools: %s", d)
				}
			}
		})
	}
}
