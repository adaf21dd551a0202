package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/publish"
)

// The keys of `publish --output json` are a contract with users'
// pipelines: a failed row says why in error, as attach's do.
func TestPublishJSON(t *testing.T) {
	b, err := json.Marshal(publishJSON([]publish.Result{
		{Layer: "l", Region: "us-east-1", Version: 3, ARN: "arn:l:3", Status: layer.StatusPublished, CodeSHA256: "c="},
		{Layer: "l", Region: "eu-west-1", Status: layer.StatusFailed, CodeSHA256: "c=", Err: errors.New("AccessDeniedException: no")},
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"published":[` +
		`{"layer":"l","region":"us-east-1","version":3,"arn":"arn:l:3","status":"published","code_sha256":"c=","error":""},` +
		`{"layer":"l","region":"eu-west-1","version":0,"arn":"","status":"failed","code_sha256":"c=","error":"AccessDeniedException: no"}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	empty, _ := json.Marshal(publishJSON(nil))
	if string(empty) != `{"published":[]}` {
		t.Errorf("nothing published: %s", empty)
	}
}

// awsEnv points the SDK at nothing of this machine's configuration.
func awsEnv(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL": "", "SOURCE_DATE_EPOCH": ""} {
		t.Setenv(k, v)
	}
}

// A region that fails is a row with its reason in the JSON, the others
// with "" (and the reason is on stderr too).
func TestPublishJSONRowsSayWhyTheyFailed(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	fake.Inject("ListLayerVersions", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "not allowed here"})
	awsEnv(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "m.py"), []byte("M = 1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "layerctl.yaml"), []byte("version: 1\nlayers:\n  shared:\n    runtimes: [python3.12]\n    regions: [us-east-1, eu-west-1]\n    files: [{from: src, to: python}]\n"), 0o644)
	var out, errs bytes.Buffer
	f := &Factory{Out: &out, Err: &errs, Getenv: os.Getenv, Now: time.Now}
	code := Execute(context.Background(), []string{"-f", filepath.Join(dir, "layerctl.yaml"), "publish", "--endpoint-url", fake.URL, "-o", "json"}, f)
	if code != ExitFailed {
		t.Fatalf("exit code %d\nstderr:\n%s", code, errs.String())
	}
	var report struct {
		Published []map[string]any `json:"published"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out.String())
	}
	statuses := map[string]int{}
	for _, r := range report.Published {
		status, msg := r["status"].(string), r["error"].(string)
		statuses[status]++
		switch {
		case status == "failed" && !strings.Contains(msg, "AccessDeniedException: not allowed here"):
			t.Errorf("failed row without its reason: %v", r)
		case status != "failed" && msg != "":
			t.Errorf("%s row with an error: %v", status, r)
		}
	}
	if len(report.Published) != 2 || statuses["failed"] != 1 || statuses["published"] != 1 {
		t.Errorf("rows %v", report.Published)
	}
	if !strings.Contains(errs.String(), "AccessDeniedException: not allowed here") {
		t.Errorf("stderr:\n%s", errs.String())
	}
}
