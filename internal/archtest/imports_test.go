package archtest

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/layerctl/layerctl"

// steps are the packages of a layer's stages that the commands call.
var steps = []string{"layer/build", "layer/verify", "layer/publish", "layer/attach", "layer/status", "layer/prune", "layer/deploy"}

// stepMayImport is the composition allowed between steps: publish, attach
// and verify build first; deploy is build, publish and attach in a row.
var stepMayImport = map[string][]string{
	"layer/publish": {"layer/build"},
	"layer/attach":  {"layer/build"},
	"layer/verify":  {"layer/build"},
	"layer/deploy":  {"layer/build", "layer/publish", "layer/attach"},
}

// violation says what is wrong with from importing to (both relative to
// the module), or "".
func violation(from, to string) string {
	in := func(p string, roots ...string) bool {
		for _, r := range roots {
			if p == r || strings.HasPrefix(p, r+"/") {
				return true
			}
		}
		return false
	}
	switch {
	case to == "cmd" && from != "":
		return "nothing imports cmd but main"
	case from == "manifest" && in(to, "layer") && to != "layer/lambdafacts":
		return "manifest imports no layer package but the Lambda facts"
	case in(from, "manifest", "layer") && in(to, "internal/awsclient", "internal/output", "cmd"):
		return "the domain imports no AWS client setup, no rendering, no cmd"
	case from == "layer" && to != "":
		return "the root of layer holds the shared types and imports nothing of layerctl"
	case from == "layer/lambdafacts":
		return "lambdafacts imports nothing of layerctl"
	case slices.Contains(steps, to) && !slices.Contains(steps, from) && in(from, "layer"):
		return "a lower layer package never imports a step"
	case slices.Contains(steps, to) && slices.Contains(steps, from) && !slices.Contains(stepMayImport[from], to):
		return "steps do not import each other, but for building first"
	}
	return ""
}

// TestImportsRunOneWay lists every package's imports (go list) and fails
// on one that runs the wrong way.
func TestImportsRunOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	n := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		from := rel(p.ImportPath)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, mod+"/") && imp != mod {
				continue
			}
			if why := violation(from, rel(imp)); why != "" {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, why)
			}
		}
	}
	if n < 20 {
		t.Fatalf("go list gave %d packages: is this the module?", n)
	}
}

func rel(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, mod), "/") }

// The rules catch what they are for.
func TestViolations(t *testing.T) {
	wrong := [][2]string{
		{"layer/build", "cmd"},
		{"manifest", "layer/check"},
		{"manifest", "internal/awsclient"},
		{"layer/check", "internal/output"},
		{"layer/archive", "layer/build"},
		{"layer/check", "layer/verify"},
		{"layer/builder/python", "layer/build"},
		{"layer/versions", "layer/publish"},
		{"layer/attach", "layer/publish"},
		{"layer/publish", "layer/attach"},
		{"layer/build", "layer/verify"},
		{"layer", "layer/check"},
		{"layer/lambdafacts", "manifest"},
		{"layer/status", "layer/attach"},
		{"layer/prune", "layer/status"},
		{"layer/usage", "layer/status"},
		{"layer/deploy", "layer/prune"},
	}
	for _, w := range wrong {
		if violation(w[0], w[1]) == "" {
			t.Errorf("%s importing %s passes", w[0], w[1])
		}
	}
	right := [][2]string{
		{"", "cmd"},
		{"cmd", "layer/publish"},
		{"manifest", "layer/lambdafacts"},
		{"layer/publish", "layer/build"},
		{"layer/attach", "layer/build"},
		{"layer/attach", "layer/versions"},
		{"layer/build", "layer/check"},
		{"layer/check", "layer/archive"},
		{"layer/builder/python", "layer/builder"},
		{"internal/steptest", "layer/publish"},
		{"layer/deploy", "layer/attach"},
		{"layer/status", "layer/usage"},
		{"layer/prune", "internal/pacing"},
	}
	for _, r := range right {
		if why := violation(r[0], r[1]); why != "" {
			t.Errorf("%s importing %s refused: %s", r[0], r[1], why)
		}
	}
}
