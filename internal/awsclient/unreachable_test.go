package awsclient

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// An endpoint nobody answers at: the error names the service, the
// endpoint and the region and says what to check, without the SDK's chain
// of retries; the chain is still there for errors.Is and errors.As.
func TestUnreachableEndpointIsSaidPlainly(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": ""} {
		t.Setenv(k, v)
	}
	addr := closedPort(t)
	c, err := Load(context.Background(), Options{EndpointURL: "http://" + addr, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	_, lerr := c.Lambda("eu-west-1").ListLayerVersions(context.Background(), &lambda.ListLayerVersionsInput{LayerName: aws.String("x")})
	_, serr := c.S3("us-east-1").HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("b")})
	for _, tc := range []struct {
		err  error
		want string
	}{
		{lerr, "operation error Lambda: ListLayerVersions, cannot reach Lambda at http://" + addr + " (eu-west-1): connection refused: is the endpoint up? check --endpoint-url/AWS_ENDPOINT_URL"},
		{serr, "operation error S3: HeadBucket, cannot reach S3 at http://" + addr + " (us-east-1): connection refused: is the endpoint up? check --endpoint-url/AWS_ENDPOINT_URL"},
	} {
		var ue *UnreachableError
		if tc.err == nil || tc.err.Error() != tc.want || !errors.As(tc.err, &ue) {
			t.Errorf("got  %v\nwant %s", tc.err, tc.want)
		}
		var opErr *net.OpError
		if !errors.As(tc.err, &opErr) {
			t.Errorf("%v: the SDK's error is not under it", tc.err)
		}
		if tc.err != nil && strings.Contains(tc.err.Error(), "attempts") {
			t.Errorf("the retry chain is in the message: %v", tc.err)
		}
	}
}

// Real AWS that cannot be reached points at the network, not at
// --endpoint-url.
func TestUnreachableAWSPointsAtTheNetwork(t *testing.T) {
	err := asUnreachable(&netURLError, "Lambda", "eu-west-1")
	want := "cannot reach Lambda at https://lambda.eu-west-1.amazonaws.com (eu-west-1): cannot resolve lambda.eu-west-1.amazonaws.com: no such host: check the network and any proxy (HTTPS_PROXY), and that the region is right"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

var netURLError = url.Error{Op: "Post", URL: "https://lambda.eu-west-1.amazonaws.com/2018-10-31/layers", Err: &net.OpError{Op: "dial", Net: "tcp",
	Err: &net.DNSError{Err: "no such host", Name: "lambda.eu-west-1.amazonaws.com", IsNotFound: true}}}
