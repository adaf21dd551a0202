package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
)

// deployManifest writes a fresh manifest: one python layer from files, in
// us-east-1, attached to the functions named.
func deployManifest(t *testing.T, layer string, functions ...string) string {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{
		"src/pkg/__init__.py": "V = 1\n",
		"layerctl.yaml": "version: 1\nlayers:\n  " + layer + ":\n    runtimes: [python3.12]\n    regions: [us-east-1]\n" +
			"    files: [{from: src, to: python}]\n    attach: {functions: [" + strings.Join(functions, ", ") + "]}\n",
	})
	return filepath.Join(dir, "layerctl.yaml")
}

// keysOf decodes a JSON object, failing unless its keys are exactly want,
// in that order.
func keysOf(t *testing.T, data []byte, want ...string) map[string]json.RawMessage {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var got []string
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", data)
	}
	for dec.More() {
		k, _ := dec.Token()
		got = append(got, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("keys %v, want %v in %s", got, want, data)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(data, &m)
	return m
}

// compact is a JSON text without its spaces.
func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	enc.Encode(v)
	return b.String()
}

// Against moto, a fresh manifest: deploy builds, publishes version 1 and
// attaches the function the manifest names; its JSON is exactly
// {"artifacts","published","functions"}. A rerun reports every step
// unchanged, each list exactly what build, publish and attach print.
func TestDeployAgainstMoto(t *testing.T) {
	motoEnv(t)
	url := testenv.MotoURL(t)
	m := testenv.NewMotoLambda(t, url, "us-east-1")
	layer, fn := testenv.UniqueName("deploy"), testenv.UniqueName("deploy-fn")
	m.CreateFunction(fn)
	manifest := deployManifest(t, layer, fn)
	cmd := func(args ...string) (int, string, string) {
		return run(t, nil, append([]string{"-f", manifest, "--endpoint-url", url}, args...)...)
	}

	code, out, errs := cmd("deploy", "-o", "json")
	if code != 0 {
		t.Fatalf("deploy: exit %d\n%s", code, errs)
	}
	first := keysOf(t, []byte(out), "artifacts", "published", "functions")
	var published []map[string]any
	json.Unmarshal(first["published"], &published)
	var functions []map[string]any
	json.Unmarshal(first["functions"], &functions)
	arn := fmt.Sprintf("arn:aws:lambda:us-east-1:123456789012:layer:%s:1", layer)
	if len(published) != 1 || published[0]["status"] != "published" || published[0]["arn"] != arn {
		t.Errorf("published %v", published)
	}
	if len(functions) != 1 || functions[0]["function"] != fn || functions[0]["status"] != "attached" || fmt.Sprint(functions[0]["to"]) != "["+arn+"]" {
		t.Errorf("functions %v", functions)
	}
	if !strings.Contains(errs, "built "+layer) || !strings.Contains(errs, "attach: 1 attached") {
		t.Errorf("stderr:\n%s", errs)
	}

	code, out, errs = cmd("deploy", "-o", "json")
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, errs)
	}
	again := keysOf(t, []byte(out), "artifacts", "published", "functions")
	if !strings.Contains(errs, "skipped building "+layer) || !strings.Contains(errs, "attach: 1 unchanged") {
		t.Errorf("rerun stderr:\n%s", errs)
	}
	for _, c := range []struct{ command, key string }{{"build", "artifacts"}, {"publish", "published"}, {"attach", "functions"}} {
		code, out, errs := cmd(c.command, "-o", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", c.command, code, errs)
		}
		own := keysOf(t, []byte(out), c.key)
		if got, want := compact(t, again[c.key]), compact(t, own[c.key]); got != want {
			t.Errorf("deploy's %s:\n%s\n%s -o json's:\n%s", c.key, got, c.command, want)
		}
		if c.key != "artifacts" && strings.Count(string(own[c.key]), `"unchanged"`) != 1 {
			t.Errorf("%s after a rerun: %s", c.command, own[c.key])
		}
	}

	// The text: each step's table, as its command prints it.
	code, out, _ = cmd("deploy", "--dry-run")
	if code != 0 || !regexp.MustCompile(`(?m)^`+layer+`\s+us-east-1\s+1\s+unchanged\s`).MatchString(out) || !regexp.MustCompile(`(?m)^`+fn+`\s+us-east-1\s+unchanged\s`).MatchString(out) {
		t.Errorf("deploy --dry-run: exit %d\n%s", code, out)
	}
}

// The exit code is the worst of the steps': a function attach refuses is 3
// (the rest deployed); a region publish fails is 1 and nothing is
// attached.
func TestDeployExitCodeIsTheWorstStep(t *testing.T) {
	motoEnv(t)
	fake := fakelambda.New()
	defer fake.Close()
	fake.PutFunction(fakelambda.Function{Name: "py", Runtime: "python3.12"})
	fake.PutFunction(fakelambda.Function{Name: "node", Runtime: "nodejs22.x"})
	manifest := deployManifest(t, "shared", "py", "node")
	args := []string{"-f", manifest, "--endpoint-url", fake.URL, "deploy"}

	fake.Inject("PublishLayerVersion", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "not allowed"})
	code, _, errs := run(t, nil, args...)
	if code != ExitFailed || !strings.Contains(errs, "deploy: shared not attached: publishing it to us-east-1 failed") {
		t.Errorf("publish failed: exit %d\n%s", code, errs)
	}
	if fake.Calls("UpdateFunctionConfiguration") != 0 {
		t.Error("a layer that failed to publish was attached")
	}

	code, out, errs := run(t, nil, args...)
	if code != ExitPartial {
		t.Fatalf("a refused function: exit %d, want 3\n%s\n%s", code, out, errs)
	}
	if !regexp.MustCompile(`(?m)^py\s+us-east-1\s+attached\s+-\s+shared:1$`).MatchString(out) || !regexp.MustCompile(`(?m)^node\s+us-east-1\s+refused\s`).MatchString(out) {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(errs, "1 of 2 functions were not attached as asked") {
		t.Errorf("stderr:\n%s", errs)
	}
}

func TestWorstError(t *testing.T) {
	f := &Factory{Err: &strings.Builder{}}
	partial, failed, invalid := &partialError{errors.New("p")}, errors.New("f"), usagef("u")
	for _, c := range []struct {
		errs []error
		want int
	}{
		{nil, ExitOK},
		{[]error{nil, partial}, ExitPartial},
		{[]error{partial, failed}, ExitFailed},
		{[]error{failed, partial}, ExitFailed},
		{[]error{partial, invalid, failed}, ExitInvalid},
	} {
		if got := exitCode(worstError(f, c.errs...)); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.errs, got, c.want)
		}
	}
	bug := crash.New("boom")
	if got := worstError(f, failed, bug); !errors.Is(got, bug) {
		t.Errorf("a bug among failures: %v", got)
	}
}
