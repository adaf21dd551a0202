package layer

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

var (
	motoOnce sync.Once
	motoSrv  *moto.Server
	motoErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	motoSrv.Stop()
	os.Exit(code)
}

// motoURL starts the moto emulator once for the package's tests.
func motoURL(t *testing.T) string {
	t.Helper()
	motoOnce.Do(func() { motoSrv, motoErr = moto.Start() })
	if motoErr != nil {
		t.Fatalf("moto: %v", motoErr)
	}
	return motoSrv.URL
}

var testCreds = credentials.NewStaticCredentialsProvider("testing", "testing", "")

func lambdaAt(endpoint, region string) *lambda.Client {
	return lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: testCreds})
}

func s3At(endpoint, region string) *s3.Client {
	return s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: testCreds, UsePathStyle: true})
}

// uniqueName gives each test its own layer names in the shared emulator.
var nameSeq struct {
	sync.Mutex
	n int
}

func uniqueName(prefix string) string {
	nameSeq.Lock()
	defer nameSeq.Unlock()
	nameSeq.n++
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), nameSeq.n)
}
