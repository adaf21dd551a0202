package fakests

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/layerctl/layerctl/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopMoto()
	os.Exit(code)
}

// Through the real SDK, over HTTP: a role denied answers AccessDenied as
// STS does; any other role is moto's, in the account its ARN names.
func TestDeniedRoleIsAccessDenied(t *testing.T) {
	p, err := New(testenv.MotoURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.URL), Credentials: testenv.Creds, RetryMaxAttempts: 1})
	ctx := context.Background()
	const denied, allowed = "arn:aws:iam::444455556666:role/layerctl", "arn:aws:iam::111122223333:role/layerctl"
	p.Deny(denied)

	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(denied), RoleSessionName: aws.String("layerctl")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("denied role: %v, want AccessDenied", err)
	}
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(allowed), RoleSessionName: aws.String("layerctl")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::111122223333:assumed-role/layerctl/layerctl" {
		t.Errorf("assumed %s", got)
	}
	id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "123456789012" {
		t.Errorf("GetCallerIdentity passed on: %v, %v", id, err)
	}
	if p.Assumed(denied) != 1 || p.Assumed(allowed) != 1 {
		t.Errorf("counted %d and %d AssumeRole calls, want 1 each", p.Assumed(denied), p.Assumed(allowed))
	}
}
