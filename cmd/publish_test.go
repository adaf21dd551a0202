package cmd

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/publish"
)

// The keys of `publish --output json` are a contract with users'
// pipelines; account says where each row is, the credentials' own
// account by the ID STS gave.
func TestPublishJSON(t *testing.T) {
	results := []publish.Result{
		{Layer: "shared", Region: "us-east-1", Version: 3, ARN: "arn:aws:lambda:us-east-1:123456789012:layer:shared:3", Status: layer.StatusPublished, CodeSHA256: "qw=="},
		{Layer: "shared", Account: "111122223333", Region: "eu-west-1", Status: layer.StatusFailed, CodeSHA256: "qw=="},
	}
	b, err := json.Marshal(publishJSON(accountView{caller: "123456789012"}, results))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"published":[` +
		`{"layer":"shared","account":"123456789012","region":"us-east-1","version":3,"arn":"arn:aws:lambda:us-east-1:123456789012:layer:shared:3","status":"published","code_sha256":"qw=="},` +
		`{"layer":"shared","account":"111122223333","region":"eu-west-1","version":0,"arn":"","status":"failed","code_sha256":"qw=="}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
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
