package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// flagsEnv is a project whose layer "shared" (python3.12 and 3.13) the
// lock records as version 2 of a fake Lambda in region, for attach's flags.
type flagsEnv struct {
	t        *testing.T
	fake     *fakelambda.Server
	dir      string
	v1, v2   string
	now      time.Time
	out, err bytes.Buffer
}

func newFlagsEnv(t *testing.T, region string) *flagsEnv {
	fake := fakelambda.Start(t)
	fake.Region, fake.UpdateDuration = region, 20*time.Millisecond
	py := []string{"python3.12", "python3.13"}
	e := &flagsEnv{t: t, fake: fake, dir: t.TempDir(), now: time.Now()}
	e.v1 = fake.AddLayerVersion("shared", py, nil, 100)
	e.v2 = fake.AddLayerVersion("shared", py, nil, 100)
	lc := lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(fake.URL), Credentials: credentials.NewStaticCredentialsProvider("t", "t", "")})
	v, err := versions.Get(context.Background(), lc, "shared", 2)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(e.dir, "layerctl.yaml"), []byte("version: 1\nlayers:\n  shared:\n    runtimes: [python3.12, python3.13]\n    files: [{from: src, to: python}]\n"), 0o644)
	lock := &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{"shared": {CodeSHA256: v.CodeSHA256, SHA256: strings.Repeat("0", 64),
		Regions: map[string]*manifest.LockRegion{region: {ARN: e.v2, Version: 2}}}}}
	if err := lock.Save(filepath.Join(e.dir, manifest.LockFile)); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_REGION": region,
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	return e
}

// run runs layerctl attach with args on the day e.now, and returns its exit code.
func (e *flagsEnv) run(args ...string) int {
	e.out.Reset()
	e.err.Reset()
	f := &Factory{Out: &e.out, Err: &e.err, Getenv: os.Getenv, Now: func() time.Time { return e.now }}
	return Execute(context.Background(), append([]string{"-f", filepath.Join(e.dir, "layerctl.yaml"), "attach", "--endpoint-url", e.fake.URL}, args...), f)
}

// The day comes from the Factory's clock: on 2029-02-01 python3.12 is
// blocked for updates, and its function is refused unless
// --allow-blocked-runtimes.
func TestAttachBlockedRuntimeFlag(t *testing.T) {
	e := newFlagsEnv(t, "us-east-1")
	e.now = time.Date(2029, 2, 1, 12, 0, 0, 0, time.UTC)
	e.fake.PutFunction(fakelambda.Function{Name: "old", Runtime: "python3.12", Layers: []string{e.v1}})
	e.fake.PutFunction(fakelambda.Function{Name: "new", Runtime: "python3.13", Layers: []string{e.v1}})
	if code := e.run(); code != ExitPartial {
		t.Fatalf("exit code %d, want %d\nstderr:\n%s", code, ExitPartial, e.err.String())
	}
	if !strings.Contains(e.err.String(), "old us-east-1: refused: its runtime python3.12 is past its end of life") ||
		!regexp.MustCompile(`(?m)^new\s+us-east-1\s+attached\s`).MatchString(e.out.String()) {
		t.Errorf("stdout:\n%s\nstderr:\n%s", e.out.String(), e.err.String())
	}
	if code := e.run("--allow-blocked-runtimes"); code != ExitOK {
		t.Fatalf("--allow-blocked-runtimes: exit code %d\nstderr:\n%s", code, e.err.String())
	}
	if got := e.fake.FunctionState("old").Layers; len(got) != 1 || got[0] != e.v2 {
		t.Errorf("old: %v", got)
	}
}

// --timeout bounds the wait for a SnapStart version to be Active before
// --alias moves: past it, the function is failed and its alias left.
func TestAttachTimeoutFlag(t *testing.T) {
	e := newFlagsEnv(t, "us-east-1")
	e.fake.SnapStartDuration = time.Minute
	// Updates end at once, so that the time --timeout bounds is the wait
	// for the SnapStart version alone, however busy the machine.
	e.fake.UpdateDuration = 0
	e.fake.PutFunction(fakelambda.Function{Name: "snap", Runtime: "python3.12", Layers: []string{e.v1}, SnapStart: true})
	e.fake.PutFunction(fakelambda.Function{Name: "plain", Runtime: "python3.12", Layers: []string{e.v1}})
	for _, name := range []string{"snap", "plain"} {
		e.fake.PutAlias(name, "live", "$LATEST")
	}
	if code := e.run("--alias", "live", "--timeout", "0s"); code != ExitInvalid || !strings.Contains(e.err.String(), "--timeout must be more than 0") {
		t.Fatalf("--timeout 0s: exit code %d\nstderr:\n%s", code, e.err.String())
	}
	start := time.Now()
	if code := e.run("--alias", "live", "--timeout", "2s"); code != ExitPartial {
		t.Fatalf("exit code %d\nstderr:\n%s", code, e.err.String())
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v with --timeout 2s", took)
	}
	if !strings.Contains(e.err.String(), "snap us-east-1: failed: published version 1, but it was still Pending after 2s (--timeout)") {
		t.Errorf("stderr:\n%s", e.err.String())
	}
	if a := e.fake.FunctionState("snap").Aliases["live"]; a != "$LATEST" {
		t.Errorf("snap's alias moved to %s", a)
	}
	if a := e.fake.FunctionState("plain").Aliases["live"]; a != "1" {
		t.Errorf("plain's alias: %s", a)
	}
}

// A function named by its ARN in the European Sovereign Cloud's partition
// (arn:aws-eusc:lambda:eusc-de-east-1:...) is a valid --function.
func TestAttachEuscFunctionARN(t *testing.T) {
	e := newFlagsEnv(t, "eusc-de-east-1")
	e.fake.PutFunction(fakelambda.Function{Name: "orders", Runtime: "python3.12"})
	if code := e.run("--function", "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders"); code != ExitOK {
		t.Fatalf("exit code %d\nstderr:\n%s", code, e.err.String())
	}
	if !regexp.MustCompile(`(?m)^orders\s+eusc-de-east-1\s+attached\s+-\s+shared:2$`).MatchString(e.out.String()) {
		t.Errorf("stdout:\n%s", e.out.String())
	}
	if got := e.fake.FunctionState("orders").Layers; len(got) != 1 || got[0] != "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:layer:shared:2" {
		t.Errorf("orders: %v", got)
	}
}
