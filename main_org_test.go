package main

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/layerctl/layerctl/internal/fakests"
)

// cmdSTS makes the STS proxy in front of moto (STS_PROXY_URL, which a
// script points AWS_ENDPOINT_URL_STS at) refuse a role, as STS refuses one
// whose trust policy does not name the caller:
//
//	sts deny ROLE_ARN
func cmdSTS(proxy *fakests.Proxy) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 || args[0] != "deny" {
			ts.Fatalf("usage: sts deny ROLE_ARN")
		}
		proxy.Deny(args[1])
	}
}

// cmdS3 sets up in moto what the S3 lock needs and layerctl does not make:
//
//	s3 mb BUCKET   (makes a bucket in us-east-1)
func cmdS3(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || args[0] != "mb" {
		ts.Fatalf("usage: s3 mb BUCKET")
	}
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.Getenv("MOTO_URL")), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(strings.TrimPrefix(args[1], "s3://"))})
	ts.Check(err)
}
