package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/attach"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// The keys of `attach --output json` are a contract with users' pipelines.
func TestAttachJSON(t *testing.T) {
	report := &attach.Report{Functions: []attach.FunctionResult{
		{Function: "f", Region: "us-east-1", Status: layer.StatusAttached, From: []string{"arn:a:1"}, To: []string{"arn:a:2"}},
		{Function: "g", Region: "us-east-1", Status: layer.StatusRefused, Err: errors.New("it would use 6 layers")},
	}}
	report.Functions = append(report.Functions, attach.FunctionResult{Account: "111122223333", Region: "eu-west-1", Status: layer.StatusFailed,
		Err: errors.New("account 111122223333: assuming role arn:aws:iam::111122223333:role/layerctl: AccessDenied")})
	b, err := json.Marshal(attachJSON(accountView{caller: "123456789012"}, report))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"functions":[` +
		`{"function":"f","account":"123456789012","region":"us-east-1","status":"attached","from":["arn:a:1"],"to":["arn:a:2"],"error":""},` +
		`{"function":"g","account":"123456789012","region":"us-east-1","status":"refused","from":[],"to":[],"error":"it would use 6 layers"},` +
		`{"function":"","account":"111122223333","region":"eu-west-1","status":"failed","from":[],"to":[],"error":"account 111122223333: assuming role arn:aws:iam::111122223333:role/layerctl: AccessDenied"}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	empty, _ := json.Marshal(attachJSON(accountView{}, &attach.Report{}))
	if string(empty) != `{"functions":[]}` {
		t.Errorf("no functions: %s", empty)
	}
}

func TestExitPartial(t *testing.T) {
	if got := exitCode(&partialError{errors.New("2 of 3 failed")}); got != ExitPartial || ExitPartial != 3 {
		t.Errorf("exit code %d", got)
	}
}

// Ctrl-C midway, as a user sees it: the updates already sent end, the
// report lists every function, exit code 1.
func TestAttachInterruptedReports(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	fake.UpdateDuration = 100 * time.Millisecond
	v1 := fake.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	v2 := fake.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	other := fake.AddLayerVersion("other", nil, nil, 100)
	for i := range 20 {
		fake.PutFunction(fakelambda.Function{Name: fmt.Sprintf("f%02d", i), Runtime: "python3.12", Layers: []string{other, v1}})
	}
	dir := projectLockedAt(t, fake, v2)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for fake.Calls("UpdateFunctionConfiguration") < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	var out, errs bytes.Buffer
	f := &Factory{Out: &out, Err: &errs, Getenv: os.Getenv, Now: time.Now}
	code := Execute(ctx, []string{"-f", filepath.Join(dir, "layerctl.yaml"), "attach", "--endpoint-url", fake.URL, "--concurrency", "1", "-o", "json"}, f)
	if code != ExitFailed {
		t.Fatalf("exit code %d\nstderr:\n%s", code, errs.String())
	}
	var report struct {
		Functions []attachedJSON `json:"functions"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out.String())
	}
	counts := map[string]int{}
	for _, r := range report.Functions {
		counts[r.Status]++
		got := fake.FunctionState(r.Function)
		if got.Status != "Successful" || len(got.Layers) != 2 || got.Layers[0] != other {
			t.Errorf("%s left %s with %v", r.Function, got.Status, got.Layers)
		}
		if !slices.Equal(got.Layers, r.To) {
			t.Errorf("%s: report says %v, it has %v", r.Function, r.To, got.Layers)
		}
	}
	if len(report.Functions) != 20 || counts["attached"] < 3 || counts["skipped"] == 0 || counts["attached"]+counts["skipped"] != 20 {
		t.Errorf("statuses %v", counts)
	}
	if !strings.Contains(errs.String(), "layerctl: interrupted: ") {
		t.Errorf("stderr:\n%s", errs.String())
	}
}

// A reason may quote an answer from AWS (an STS or Lambda error message):
// its control characters reach stderr escaped, never acting on the
// terminal.
func TestAttachReasonsAreEscaped(t *testing.T) {
	var out, errs bytes.Buffer
	f := &Factory{Out: &out, Err: &errs}
	report := &attach.Report{Functions: []attach.FunctionResult{{Account: "111122223333", Region: "us-east-1", Status: layer.StatusFailed,
		Err: errors.New("account 111122223333: assuming role x: AccessDenied: \x1b]0;pwned\x07 not authorized")}}}
	if err := printAttached(f, accountView{column: true}, report); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(errs.String(), 0x1b) || !strings.Contains(errs.String(), "us-east-1 of account 111122223333: failed: account 111122223333: assuming role x: AccessDenied: ") {
		t.Errorf("stderr %q", errs.String())
	}
	if !strings.Contains(out.String(), "-         111122223333  us-east-1  failed") {
		t.Errorf("stdout:\n%s", out.String())
	}
}

// projectLockedAt is a project of layer shared whose lock records v2, the
// double's version 2 of it, and an environment that points the SDK at
// nothing of this machine's.
func projectLockedAt(t *testing.T, fake *fakelambda.Server, v2 string) string {
	t.Helper()
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL), Credentials: credentials.NewStaticCredentialsProvider("t", "t", "")})
	v, err := versions.Get(context.Background(), lc, "shared", 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "layerctl.yaml"), []byte("version: 1\nlayers:\n  shared:\n    runtimes: [python3.12]\n    files: [{from: src, to: python}]\n"), 0o644)
	lock := &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{"shared": {CodeSHA256: v.CodeSHA256, SHA256: strings.Repeat("0", 64),
		Regions: map[string]*manifest.LockRegion{"us-east-1": {ARN: v2, Version: 2}}}}}
	if err := lock.Save(filepath.Join(dir, manifest.LockFile)); err != nil {
		t.Fatal(err)
	}
	awsEnv(t)
	return dir
}
