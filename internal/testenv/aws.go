package testenv

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/layerctl/layerctl/internal/moto"
)

// motoServer is the one moto of a test binary, started by the first test
// that needs it and stopped by StopMoto.
var motoServer struct {
	once sync.Once
	srv  *moto.Server
	err  error
}

// MotoURL starts the moto emulator once for the test binary and returns
// its URL. It is an integration test's: skipped in -short mode.
func MotoURL(t testing.TB) string {
	t.Helper()
	Integration(t)
	motoServer.once.Do(func() { motoServer.srv, motoServer.err = moto.Start() })
	if motoServer.err != nil {
		t.Fatalf("moto: %v", motoServer.err)
	}
	return motoServer.srv.URL
}

// StopMoto ends the moto MotoURL started, if any: call it from TestMain
// after m.Run.
func StopMoto() { motoServer.srv.Stop() }

// Creds are the dummy credentials every test client signs with.
var Creds = credentials.NewStaticCredentialsProvider("testing", "testing", "")

// LambdaAt is a Lambda client for endpoint (moto or a fake) in region.
func LambdaAt(endpoint, region string) *lambda.Client {
	return lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: Creds})
}

// S3At is an S3 client for endpoint in region, path-style as moto wants.
func S3At(endpoint, region string) *s3.Client {
	return s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: Creds, UsePathStyle: true})
}

// nameSeq numbers UniqueName's names.
var nameSeq struct {
	sync.Mutex
	n int
}

// UniqueName gives each test its own layer names in a shared emulator.
func UniqueName(prefix string) string {
	nameSeq.Lock()
	defer nameSeq.Unlock()
	nameSeq.n++
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), nameSeq.n)
}
