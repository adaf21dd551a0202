package awsclient

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/layerctl/layerctl/internal/fakests"
	"github.com/layerctl/layerctl/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopMoto()
	os.Exit(code)
}

// clients loads the SDK's configuration as a CI job would have it, every
// call going to the STS proxy in front of moto.
func clients(t *testing.T) (*Clients, *fakests.Proxy) {
	p, err := fakests.New(testenv.MotoURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": ""} {
		t.Setenv(k, v)
	}
	c, err := Load(context.Background(), Options{EndpointURL: p.URL, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

// A role in another account is assumed once, named for layerctl, and its
// clients act in that account; the run's own account is STS's answer.
func TestAssumeActsInTheRolesAccount(t *testing.T) {
	c, p := clients(t)
	ctx := context.Background()
	const role = "arn:aws:iam::111122223333:role/layerctl"
	a, err := c.Assume(ctx, role, "platform-ci", "publish")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := c.Assume(ctx, role, "platform-ci", "publish"); err != nil || again != a {
		t.Errorf("assumed again: %p, %v; want the same clients", again, err)
	}
	if n := p.Assumed(role); n != 1 {
		t.Errorf("AssumeRole called %d times, want 1", n)
	}
	if id, err := a.AccountID(ctx); err != nil || id != "111122223333" {
		t.Errorf("assumed AccountID = %q, %v", id, err)
	}
	if id, err := c.AccountID(ctx); err != nil || id != "123456789012" {
		t.Errorf("own AccountID = %q, %v", id, err)
	}

	// The session says it is layerctl's, and Lambda acts in the account.
	who, err := sts.NewFromConfig(a.cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(p.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::111122223333:assumed-role/layerctl/layerctl-publish" {
		t.Errorf("caller %v, %v", aws.ToString(who.Arn), err)
	}
	name := testenv.UniqueName("assume")
	out, err := a.Lambda("eu-west-1").PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String(name),
		Content: &types.LayerVersionContentInput{ZipFile: oneFileZip(t)}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.LayerVersionArn), "arn:aws:lambda:eu-west-1:111122223333:layer:"+name+":1"; got != want {
		t.Errorf("published %s, want %s", got, want)
	}
	if own, err := c.Lambda("eu-west-1").ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String(name)}); err != nil || len(own.LayerVersions) != 0 {
		t.Errorf("the run's own account sees %v, %v; want nothing", own, err)
	}
}

// A role whose trust policy does not let the credentials in fails at once,
// naming the role and saying what to fix; it is not cached.
func TestAssumeDeniedSaysWhatToFix(t *testing.T) {
	c, p := clients(t)
	const role = "arn:aws:iam::444455556666:role/layerctl"
	p.Deny(role)
	_, err := c.Assume(context.Background(), role, "platform-ci", "deploy")
	if err == nil {
		t.Fatal("assumed a denied role")
	}
	for _, want := range []string{"assuming role " + role + ": AccessDenied: ", "its trust policy must let these credentials assume it with the condition sts:ExternalId \"platform-ci\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nwant it to contain %q", err, want)
		}
	}
	c.Assume(context.Background(), role, "platform-ci", "deploy")
	if n := p.Assumed(role); n != 2 {
		t.Errorf("AssumeRole called %d times after two tries, want 2 (a failure is not cached)", n)
	}
}

func TestSessionName(t *testing.T) {
	for in, want := range map[string]string{"": "layerctl", "publish": "layerctl-publish", "lock pull": "layerctl-lock-pull", strings.Repeat("x", 80): "layerctl-" + strings.Repeat("x", 55)} {
		if got := SessionName(in); got != want {
			t.Errorf("SessionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func oneFileZip(t *testing.T) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("python/x.py")
	w.Write([]byte("X = 1\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
