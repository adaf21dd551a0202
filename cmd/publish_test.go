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
// pipelines; account says where each row is, the credentials' own
// account by the ID STS gave; a failed row says why in error, as
// attach's do.
func TestPublishJSON(t *testing.T) {
	results := []publish.Result{
		{Layer: "shared", Region: "us-east-1", Version: 3, ARN: "arn:aws:lambda:us-east-1:123456789012:layer:shared:3", Status: layer.StatusPublished, CodeSHA256: "qw=="},
		{Layer: "shared", Account: "111122223333", Region: "eu-west-1", Status: layer.StatusFailed, CodeSHA256: "qw==", Err: errors.New("AccessDeniedException: no")},
	}
	b, err := json.Marshal(publishJSON(accountView{caller: "123456789012"}, results))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"published":[` +
		`{"layer":"shared","account":"123456789012","region":"us-east-1","version":3,"arn":"arn:aws:lambda:us-east-1:123456789012:layer:shared:3","status":"published","code_sha256":"qw==","error":""},` +
		`{"layer":"shared","account":"111122223333","region":"eu-west-1","version":0,"arn":"","status":"failed","code_sha256":"qw==","error":"AccessDeniedException: no"}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	empty, _ := json.Marshal(publishJSON(accountView{}, nil))
	if string(empty) != `{"published":[]}` {
		t.Errorf("nothing published: %s", empty)
	}
}

// The text table has an ACCOUNT column only when the manifest names
// accounts: a manifest without them prints the table it always did.
func TestPublishTableAccountColumn(t *testing.T) {
	results := []publish.Result{{Layer: "shared", Account: "111122223333", Region: "eu-west-1", Version: 1, ARN: "arn:aws:lambda:eu-west-1:111122223333:layer:shared:1", Status: layer.StatusPublished}}
	var out, errs bytes.Buffer
	f := &Factory{Out: &out, Err: &errs}
	if err := printPublished(f, accountView{column: true, caller: "123456789012"}, results); err != nil {
		t.Fatal(err)
	}
	want := "LAYER   ACCOUNT       REGION     VERSION  STATUS     ARN\n" +
		"shared  111122223333  eu-west-1  1        published  arn:aws:lambda:eu-west-1:111122223333:layer:shared:1\n"
	if out.String() != want {
		t.Errorf("with accounts:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	results[0].Account = ""
	if err := printPublished(f, accountView{caller: "123456789012"}, results); err != nil {
		t.Fatal(err)
	}
	want = "LAYER   REGION     VERSION  STATUS     ARN\n" +
		"shared  eu-west-1  1        published  arn:aws:lambda:eu-west-1:111122223333:layer:shared:1\n"
	if out.String() != want {
		t.Errorf("without accounts:\n%s\nwant:\n%s", out.String(), want)
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
