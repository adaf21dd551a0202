package output

import (
	"os"
	"path/filepath"
	"testing"
)

// A row of an account the manifest names gets its own step output, named
// with the account (two accounts' ARNs in one region would clash); the
// credentials' own rows keep arn-LAYER-REGION.
func TestGitHubPublishNamesTheAccount(t *testing.T) {
	dir := t.TempDir()
	outputs, summary := filepath.Join(dir, "out"), filepath.Join(dir, "summary")
	rows := []PublishRow{
		{Layer: "shared", Region: "us-east-1", Version: 3, Status: "published", ARN: "arn:aws:lambda:us-east-1:123456789012:layer:shared:3"},
		{Layer: "shared", Account: "111122223333", Region: "us-east-1", Version: 1, Status: "published", ARN: "arn:aws:lambda:us-east-1:111122223333:layer:shared:1"},
		{Layer: "shared", Account: "444455556666", Region: "us-east-1", Status: "failed"},
	}
	if err := GitHubPublish(outputs, summary, rows); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(outputs)
	want := "arn-shared-us-east-1=arn:aws:lambda:us-east-1:123456789012:layer:shared:3\n" +
		"arn-shared-111122223333-us-east-1=arn:aws:lambda:us-east-1:111122223333:layer:shared:1\n"
	if string(got) != want {
		t.Errorf("outputs:\n%s\nwant:\n%s", got, want)
	}
	table, _ := os.ReadFile(summary)
	wantTable := "### layerctl publish\n\n| Layer | Account | Region | Version | Status | ARN |\n|---|---|---|---|---|---|\n" +
		"| shared | - | us-east-1 | 3 | published | `arn:aws:lambda:us-east-1:123456789012:layer:shared:3` |\n" +
		"| shared | 111122223333 | us-east-1 | 1 | published | `arn:aws:lambda:us-east-1:111122223333:layer:shared:1` |\n" +
		"| shared | 444455556666 | us-east-1 | - | failed | `` |\n\n"
	if string(table) != wantTable {
		t.Errorf("summary:\n%s\nwant:\n%s", table, wantTable)
	}
}
