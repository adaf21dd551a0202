package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/steptest"
	"github.com/layerctl/layerctl/layer/status"
)

// The keys of `status --output json` are a contract with users' pipelines;
// lists are [] when empty, never null.
func TestStatusJSON(t *testing.T) {
	when := time.Date(2026, 11, 30, 14, 16, 37, 827e6, time.UTC)
	r := &status.Report{Layers: []status.Layer{
		{Layer: "shared", Region: "us-east-1", Latest: 2,
			Versions:  []status.Version{{Number: 2, ARN: "arn:l:2", CodeSHA256: "c2=", Created: when, InLock: true, UsedBy: 1}, {Number: 1, ARN: "arn:l:1"}},
			Functions: []status.Function{{Function: "f", Qualifier: "$LATEST", Version: 1, Behind: 1}, {Function: "g", Qualifier: "3", Aliases: []string{"live"}, Version: 2}}},
		{Layer: "shared", Account: "111122223333", Region: "eu-west-1"},
	}}
	b, err := json.Marshal(statusJSON(accountView{caller: "123456789012"}, r))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"status":[` +
		`{"layer":"shared","account":"123456789012","region":"us-east-1","latest":2,"versions":[` +
		`{"version":2,"arn":"arn:l:2","code_sha256":"c2=","created":"2026-11-30T14:16:37.827Z","in_lock":true,"used_by":1},` +
		`{"version":1,"arn":"arn:l:1","code_sha256":"","created":"","in_lock":false,"used_by":0}],` +
		`"functions":[{"function":"f","qualifier":"$LATEST","aliases":[],"version":1,"behind":1},` +
		`{"function":"g","qualifier":"3","aliases":["live"],"version":2,"behind":0}]},` +
		`{"layer":"shared","account":"111122223333","region":"eu-west-1","latest":0,"versions":[],"functions":[]}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	empty, _ := json.Marshal(statusJSON(accountView{}, &status.Report{}))
	if string(empty) != `{"status":[]}` {
		t.Errorf("no layers: %s", empty)
	}
}

func TestExitBehind(t *testing.T) {
	if got := exitCode(&behindError{fmt.Errorf("1 behind")}); got != ExitBehind || ExitBehind != 4 {
		t.Errorf("exit code %d", got)
	}
}

// motoEnv points the SDK at nothing of this machine's: dummy credentials,
// no config files (the endpoint is given with --endpoint-url).
func motoEnv(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": ""} {
		t.Setenv(k, v)
	}
}

// run runs layerctl with args, and returns its exit code, stdout and stderr.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	f := &Factory{Out: &out, Err: &errs, Getenv: getenv, Now: time.Now}
	code := Execute(context.Background(), args, f)
	return code, out.String(), errs.String()
}

var createdDate = regexp.MustCompile(`"created": "([^"]*)"`)

// Against moto, the command as users run it: the JSON is exactly the
// contract (dates aside, checked to be RFC 3339), the text marks what is
// behind, --exit-code exits 4, and the job summary gets a table.
func TestStatusAgainstMoto(t *testing.T) {
	motoEnv(t)
	e := steptest.NewLifecycle(t)
	args := []string{"-f", e.Manifest.Path, "--endpoint-url", e.URL, "status"}
	summary := t.TempDir() + "/summary.md"
	env := map[string]string{"GITHUB_STEP_SUMMARY": summary}

	code, out, errs := run(t, env, append(args, "-o", "json")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, m := range createdDate.FindAllStringSubmatch(out, -1) {
		if _, err := time.Parse(time.RFC3339, m[1]); err != nil {
			t.Errorf("created %q is not RFC 3339", m[1])
		}
	}
	got := createdDate.ReplaceAllString(out, `"created": "DATE"`)
	l := e.Layer.Name
	lock := e.Lock.Layers[l]
	digest := func(n int) string { return codeOf(t, e, n) }
	want := fmt.Sprintf(`{
  "status": [
    {
      "layer": %[1]q,
      "account": "123456789012",
      "region": "us-east-1",
      "latest": 4,
      "versions": [
        {"version": 4, "arn": %[2]q, "code_sha256": %[6]q, "created": "DATE", "in_lock": true, "used_by": 2},
        {"version": 3, "arn": %[3]q, "code_sha256": %[7]q, "created": "DATE", "in_lock": false, "used_by": 1},
        {"version": 2, "arn": %[4]q, "code_sha256": %[8]q, "created": "DATE", "in_lock": false, "used_by": 1},
        {"version": 1, "arn": %[5]q, "code_sha256": %[9]q, "created": "DATE", "in_lock": false, "used_by": 1}
      ],
      "functions": [
        {"function": %[10]q, "qualifier": "$LATEST", "aliases": [], "version": 4, "behind": 0},
        {"function": %[10]q, "qualifier": "1", "aliases": ["live"], "version": 2, "behind": 2},
        {"function": %[11]q, "qualifier": "$LATEST", "aliases": [], "version": 1, "behind": 3},
        {"function": %[12]q, "qualifier": "$LATEST", "aliases": [], "version": 3, "behind": 1},
        {"function": %[13]q, "qualifier": "$LATEST", "aliases": [], "version": 4, "behind": 0}
      ]
    }
  ]
}
`, l, e.ARN[4], e.ARN[3], e.ARN[2], e.ARN[1], lock.CodeSHA256, digest(3), digest(2), digest(1), e.Aliased, e.On1, e.On3, e.On4)
	if got != expandJSON(t, want) {
		t.Errorf("status -o json:\n%s\nwant:\n%s", got, expandJSON(t, want))
	}
	if !strings.Contains(errs, "code storage in us-east-1: unknown (GetAccountSettings did not answer: HTTP 404)") {
		t.Errorf("stderr:\n%s", errs)
	}

	code, out, errs = run(t, env, append(args, "--exit-code")...)
	if code != ExitBehind {
		t.Fatalf("--exit-code with configurations behind: exit %d, want 4\n%s", code, errs)
	}
	for _, line := range []string{
		l + "  us-east-1  (newest version 4)",
		"code storage in us-east-1: unknown (GetAccountSettings did not answer: HTTP 404)\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("stdout lacks %q:\n%s", line, out)
		}
	}
	for _, re := range []string{
		`(?m)^  4\s+\S+Z\s+lock\s+2\s+` + regexp.QuoteMeta(lock.CodeSHA256) + `$`,
		`(?m)^  ` + e.On1 + `\s+\$LATEST\s+-\s+1\s+3  <- behind$`,
		`(?m)^  ` + e.Aliased + `\s+1\s+live\s+2\s+2  <- behind$`,
		`(?m)^  ` + e.On4 + `\s+\$LATEST\s+-\s+4\s+0$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("stdout does not match %s:\n%s", re, out)
		}
	}
	if !strings.Contains(errs, "layerctl: 3 function configuration(s) ($LATEST or aliased) are behind the newest layer version") {
		t.Errorf("stderr:\n%s", errs)
	}
	md, err := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(md), "| "+l+" | us-east-1 | "+e.On1+" | `$LATEST` | - | 1 | 4 | **3 behind** |") {
		t.Errorf("job summary (%v):\n%s", err, md)
	}

	// Every $LATEST and alias on 4: --exit-code exits 0.
	e.Moto.SetLayers(e.On1, e.ARN[4])
	e.Moto.SetLayers(e.On3, e.ARN[4])
	e.Moto.SetLayers(e.Aliased, e.ARN[4])
	e.Moto.CreateAlias(e.Aliased, "next", e.Moto.PublishVersion(e.Aliased), nil)
	if _, err := e.Moto.LC.DeleteAlias(context.Background(), deleteAlias(e.Aliased, "live")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, env, append(args, "--exit-code")...); code != 0 {
		t.Errorf("all on 4: exit %d\n%s", code, errs)
	}
}

// expandJSON is s as output.JSON writes it: two-space indent, keys in the
// order written.
func expandJSON(t *testing.T, s string) string {
	t.Helper()
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, []byte(s)); err != nil {
		t.Fatalf("want: %v", err)
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	return out.String() + "\n"
}

// codeOf is version n's CodeSha256 as Lambda reports it.
func codeOf(t *testing.T, e *steptest.Lifecycle, n int) string {
	t.Helper()
	out, err := e.Moto.LC.GetLayerVersion(context.Background(), &lambda.GetLayerVersionInput{LayerName: aws.String(e.Layer.Name), VersionNumber: aws.Int64(int64(n))})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Content.CodeSha256)
}

func deleteAlias(fn, alias string) *lambda.DeleteAliasInput {
	return &lambda.DeleteAliasInput{FunctionName: aws.String(fn), Name: aws.String(alias)}
}

// Past 80% of the code storage quota, status warns and says what to do;
// the numbers are on stdout with the tables.
func TestStatusWarnsOfCrowdedStorage(t *testing.T) {
	motoEnv(t)
	fake := fakelambda.New()
	defer fake.Close()
	fake.SetAccountSettings(&fakelambda.AccountSettings{TotalCodeSizeUsed: 61 << 30, TotalCodeSizeLimit: 75 << 30})
	dir := t.TempDir()
	os.WriteFile(dir+"/layerctl.yaml", []byte("version: 1\nlayers:\n  shared:\n    runtimes: [python3.12]\n    files: [{from: src, to: python}]\n"), 0o644)
	code, out, errs := run(t, nil, "-f", dir+"/layerctl.yaml", "--endpoint-url", fake.URL, "status")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(out, "shared  us-east-1  (no versions)\n  no function uses it\ncode storage in us-east-1: 61.0 GB of 75.0 GB (81.3%)\n") {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(errs, "warning: code storage in us-east-1 is 81.3% full (61.0 GB of 75.0 GB): past the limit PublishLayerVersion fails with CodeStorageExceededException; layerctl prune --keep N deletes the versions nothing uses") {
		t.Errorf("stderr:\n%s", errs)
	}
}

// Names in Lambda's answers reach the terminal escaped: an endpoint cannot
// send it control sequences through a function or alias name.
func TestStatusEscapesNames(t *testing.T) {
	motoEnv(t)
	fake := fakelambda.New()
	defer fake.Close()
	v1 := fake.AddLayerVersion("shared", nil, nil, 100)
	fake.AddLayerVersion("shared", nil, nil, 100)
	fake.PutFunction(fakelambda.Function{Name: "evil\x1b[2Jfn", Runtime: "python3.12", Layers: []string{v1}})
	fake.PutAlias("evil\x1b[2Jfn", "live\x07", "$LATEST")
	dir := t.TempDir()
	os.WriteFile(dir+"/layerctl.yaml", []byte("version: 1\nlayers:\n  shared:\n    runtimes: [python3.12]\n    files: [{from: src, to: python}]\n"), 0o644)
	code, out, errs := run(t, nil, "-f", dir+"/layerctl.yaml", "--endpoint-url", fake.URL, "status")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `"evil\x1b[2Jfn"`) || !strings.Contains(out, `"live\a"`) {
		t.Errorf("stdout:\n%q", out)
	}
}
