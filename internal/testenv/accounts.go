package testenv

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// accountCreds caches, per moto URL and account, credentials of a role
// assumed in that account: moto answers their calls in that account.
var accountCreds struct {
	sync.Mutex
	m map[[2]string]aws.CredentialsProvider
}

// AccountCreds are credentials in account of the moto (or STS proxy) at
// url: a role there assumed with stscreds, as layerctl assumes one.
func AccountCreds(url, account string) aws.CredentialsProvider {
	accountCreds.Lock()
	defer accountCreds.Unlock()
	if accountCreds.m == nil {
		accountCreds.m = map[[2]string]aws.CredentialsProvider{}
	}
	k := [2]string{url, account}
	if p, ok := accountCreds.m[k]; ok {
		return p
	}
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: Creds})
	p := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(c, "arn:aws:iam::"+account+":role/layerctl-test"))
	accountCreds.m[k] = p
	return p
}

// LambdaIn is a Lambda client acting in account and region of moto at url.
func LambdaIn(url, account, region string) *lambda.Client {
	return lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(url), Credentials: AccountCreds(url, account)})
}

// S3In is an S3 client acting in account and region of moto at url.
func S3In(url, account, region string) *s3.Client {
	return s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(url), Credentials: AccountCreds(url, account), UsePathStyle: true})
}

// CallerAccount is the account of the credentials of moto at url (moto's
// default, 123456789012), as STS says.
func CallerAccount(url string) (string, error) {
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: Creds})
	out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}
