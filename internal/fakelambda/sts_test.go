package fakelambda

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// A run pointed at the double (--endpoint-url) asks STS there which
// account it is in: the real SDK's STS client reads the double's account.
func TestGetCallerIdentityIsTheDoublesAccount(t *testing.T) {
	s, _ := newServer(t)
	s.Account = "210987654321"
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != "210987654321" {
		t.Errorf("account %q", aws.ToString(out.Account))
	}
	if _, err := c.GetSessionToken(context.Background(), &sts.GetSessionTokenInput{}); err == nil {
		t.Error("another STS call was answered")
	}
}
