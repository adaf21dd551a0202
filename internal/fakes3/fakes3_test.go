package fakes3

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The proxy is asserted through the real SDK client, over HTTP: what the
// code under test sees. Behind it, a backend that answers everything.
func newProxy(t *testing.T) (*Proxy, *s3.Client, *atomic.Int32) {
	var passed atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		passed.Add(1)
		w.Header().Set("X-Amz-Bucket-Region", "us-east-1")
		if r.Method == http.MethodPut {
			w.Header().Set("ETag", `"e"`)
		}
	}))
	t.Cleanup(backend.Close)
	p, err := New(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	return p, c, &passed
}

// Queued answers reach the SDK as S3's errors, once each, with their
// headers; everything else is passed on.
func TestQueuedAnswersAreS3s(t *testing.T) {
	p, c, passed := newProxy(t)
	ctx := context.Background()
	p.Queue("HEAD", "/b", Answer{Status: 301, Header: map[string]string{"X-Amz-Bucket-Region": "eu-west-1"}})
	p.Queue("HEAD", "/b/k", Answer{Status: 403})
	p.Queue("PUT", "/b/k", Answer{Status: 403, Code: "AccessDenied", Message: "Access Denied"})

	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 301 || re.Response.Header.Get("X-Amz-Bucket-Region") != "eu-west-1" {
		t.Fatalf("HeadBucket: %v, want a 301 with the region header", err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Fatalf("HeadObject: %v, want a 403", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || ae.ErrorMessage() != "Access Denied" {
		t.Fatalf("PutObject: %v, want AccessDenied", err)
	}
	if passed.Load() != 0 {
		t.Fatalf("%d answered requests reached the backend", passed.Load())
	}

	// Each answer once: the same requests now reach the backend.
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if passed.Load() != 2 || p.Count("HEAD", "/b") != 2 || p.Count("PUT", "/b/k") != 1 {
		t.Errorf("passed %d, HEAD /b %d, PUT /b/k %d", passed.Load(), p.Count("HEAD", "/b"), p.Count("PUT", "/b/k"))
	}
	rs := p.Requests()
	if len(rs) != 5 || !rs[0].Answered || rs[3].Answered || !rs[0].Signed {
		t.Errorf("requests %+v", rs)
	}
}

// A request made with anonymous credentials is recorded as unsigned.
func TestRecordsUnsignedRequests(t *testing.T) {
	p, c, _ := newProxy(t)
	_, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("b")}, func(o *s3.Options) { o.Credentials = nil })
	if err != nil {
		t.Fatal(err)
	}
	if rs := p.Requests(); len(rs) != 1 || rs[0].Signed {
		t.Errorf("requests %+v, want one unsigned", rs)
	}
}
