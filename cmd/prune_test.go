package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/prune"
)

// The keys of `prune --output json` are a contract with users' pipelines.
func TestPruneJSON(t *testing.T) {
	r := &prune.Report{Results: []prune.Result{
		{Layer: "shared", Region: "us-east-1", Version: 2, Status: layer.StatusKept, Reason: "newest version"},
		{Layer: "shared", Region: "us-east-1", Version: 1, Status: layer.StatusDeleted, Reason: "older"},
		{Layer: "shared", Account: "111122223333", Region: "eu-west-1", Status: layer.StatusFailed, Reason: "account 111122223333: assuming role x: AccessDenied; nothing was deleted"},
	}}
	b, err := json.Marshal(pruneJSON(accountView{caller: "123456789012"}, r))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"pruned":[{"layer":"shared","account":"123456789012","region":"us-east-1","version":2,"status":"kept","reason":"newest version"},` +
		`{"layer":"shared","account":"123456789012","region":"us-east-1","version":1,"status":"deleted","reason":"older"},` +
		`{"layer":"shared","account":"111122223333","region":"eu-west-1","version":0,"status":"failed","reason":"account 111122223333: assuming role x: AccessDenied; nothing was deleted"}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if empty, _ := json.Marshal(pruneJSON(accountView{}, &prune.Report{})); string(empty) != `{"pruned":[]}` {
		t.Errorf("nothing: %s", empty)
	}
}

// Against moto, as users run it: --keep is required; --dry-run and the run
// print exactly the JSON contract; the run deletes the one unused,
// unshared, unlocked version; a rerun deletes nothing.
func TestPruneAgainstMoto(t *testing.T) {
	motoEnv(t)
	e := steptest.NewLifecycle(t)
	e.Moto.SetLayers(e.On1, e.ARN[4])
	e.Moto.SetLayers(e.On3, e.ARN[4])
	args := []string{"-f", e.Manifest.Path, "--endpoint-url", e.URL, "prune"}

	if code, _, errs := run(t, nil, args...); code != ExitInvalid || !strings.Contains(errs, "--keep N is required") {
		t.Errorf("without --keep: exit %d\n%s", code, errs)
	}
	if code, _, errs := run(t, nil, append(args, "--keep", "0")...); code != ExitInvalid || !strings.Contains(errs, "--keep must be 1 or more") {
		t.Errorf("--keep 0: exit %d\n%s", code, errs)
	}

	l := e.Layer.Name
	rowsFor := func(last string) string {
		return fmt.Sprintf(`{"pruned": [
  {"layer": %[1]q, "account": "123456789012", "region": "us-east-1", "version": 4, "status": "kept", "reason": "newest version; named in layerctl.lock; used by %[2]s, %[3]s, %[4]s, %[5]s"},
  {"layer": %[1]q, "account": "123456789012", "region": "us-east-1", "version": 3, "status": "kept", "reason": "shared with account 111122223333: their functions are invisible here (--include-shared deletes it)"},
  {"layer": %[1]q, "account": "123456789012", "region": "us-east-1", "version": 2, "status": "kept", "reason": "used by %[2]s:1 (live)"}%[6]s
]}`, l, e.Aliased, e.On1, e.On3, e.On4, last)
	}
	one := func(status string) string {
		return fmt.Sprintf(`, {"layer": %q, "account": "123456789012", "region": "us-east-1", "version": 1, "status": %q, "reason": "older than the newest version, not in layerctl.lock, used by no function configuration or alias, shared with no one"}`, l, status)
	}
	for _, c := range []struct {
		args    []string
		want    string
		summary string
	}{
		{[]string{"--keep", "1", "--dry-run"}, rowsFor(one("would-delete")), "prune: 1 would-delete, 3 kept"},
		{[]string{"--keep", "1"}, rowsFor(one("deleted")), "prune: 1 deleted, 3 kept"},
		{[]string{"--keep", "1"}, rowsFor(""), "prune: 3 kept"},
	} {
		code, out, errs := run(t, nil, append(append(args, c.args...), "-o", "json")...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", c.args, code, errs)
		}
		if want := expandJSON(t, c.want); out != want {
			t.Errorf("%v:\n%s\nwant:\n%s", c.args, out, want)
		}
		if !strings.Contains(errs, c.summary+"\n") {
			t.Errorf("%v: stderr:\n%s", c.args, errs)
		}
	}
	code, out, _ := run(t, nil, append(args, "--keep", "1", "--dry-run")...)
	if code != 0 || !strings.Contains(out, "LAYER") || !strings.Contains(out, l+"  us-east-1  3        kept    shared with account 111122223333") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
}

// A delete that fails leaves the others going: exit 3, the reason in the
// report.
func TestPruneFailureIsPartial(t *testing.T) {
	motoEnv(t)
	fake := fakelambda.New()
	defer fake.Close()
	for range 3 {
		fake.AddLayerVersion("shared", nil, nil, 100)
	}
	fake.Inject("DeleteLayerVersion", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "not allowed"})
	dir := t.TempDir()
	os.WriteFile(dir+"/layerctl.yaml", []byte("version: 1\nlayers:\n  shared:\n    runtimes: [python3.12]\n    files: [{from: src, to: python}]\n"), 0o644)
	code, out, errs := run(t, nil, "-f", dir+"/layerctl.yaml", "--endpoint-url", fake.URL, "prune", "--keep", "1")
	if code != ExitPartial {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "shared  us-east-1  2        failed   deleting it: AccessDeniedException: not allowed; prune needs") ||
		!strings.Contains(out, "shared  us-east-1  1        deleted") {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(errs, "prune: 1 deleted, 1 kept, 1 failed") || !strings.Contains(errs, "1 of 3 could not be pruned as asked") {
		t.Errorf("stderr:\n%s", errs)
	}
}
