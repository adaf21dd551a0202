package publish

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// s3Env is a small layer published through S3 (the inline limit lowered),
// to a fresh bucket in moto.
type s3Env struct {
	*publishEnv
	bucket string
	art    *layer.Artifact // what publish will build: builds are deterministic
}

func newS3Env(t *testing.T, versioned bool) *s3Env {
	e := &s3Env{publishEnv: newPublishEnv(t, map[string]string{"src/pkg/__init__.py": "", "src/pkg/a.py": "A = 1\n"})}
	e.inline = 64 // bytes: every ZIP goes through S3
	e.bucket = testenv.UniqueName("proof")
	ctx := context.Background()
	sc := testenv.S3At(e.url, "us-east-1")
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := sc.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(e.bucket),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	e.layer.S3 = manifest.S3{Bucket: e.bucket, Prefix: "layers/"}
	e.art = mustBuildForPublish(t, e.dir, e.layer, build.Options{OutDir: filepath.Join(e.dir, "dist")})
	return e
}

func (e *s3Env) key() string { return "layers/" + e.layer.Name + "/" + e.art.SHA256 + ".zip" }

// otherBytes is content of the ZIP's size that is not the ZIP.
func (e *s3Env) otherBytes() []byte {
	return bytes.Repeat([]byte{'x'}, int(e.art.Size))
}

// plant puts other bytes at the ZIP's key, sized and labelled as the ZIP,
// as someone with write access to the bucket could.
func (e *s3Env) plant(in func(*s3.PutObjectInput)) string {
	e.t.Helper()
	put := &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key()), Body: bytes.NewReader(e.otherBytes()),
		Metadata: map[string]string{shaMetadata: e.art.SHA256}}
	if in != nil {
		in(put)
	}
	out, err := testenv.S3At(e.url, "us-east-1").PutObject(context.Background(), put)
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.VersionId)
}

// object is what S3 holds at the ZIP's key now.
func (e *s3Env) object() []byte {
	e.t.Helper()
	out, err := testenv.S3At(e.url, "us-east-1").GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key())})
	if err != nil {
		e.t.Fatal(err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return b
}

// codeSHA256 is what Lambda holds as version n's CodeSha256.
func (e *s3Env) codeSHA256(n int64) string {
	e.t.Helper()
	out, err := testenv.LambdaAt(e.url, "us-east-1").GetLayerVersion(context.Background(), &lambda.GetLayerVersionInput{LayerName: aws.String(e.layer.Name), VersionNumber: aws.Int64(n)})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.Content.CodeSha256)
}

func TestPublishUploadsAgainAnObjectItCannotProve(t *testing.T) {
	tests := []struct {
		name string
		put  func(*s3.PutObjectInput)
	}{
		{"no checksum", nil},
		{"the checksum of other bytes", func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = s3types.ChecksumAlgorithmSha256 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newS3Env(t, false)
			e.plant(tc.put)

			wantResults(t, e.publish(false), "us-east-1 published 1")
			if got := e.codeSHA256(1); got != e.art.CodeSHA256 {
				t.Fatalf("version 1 holds CodeSha256 %s, the ZIP's is %s:\n%s", got, e.art.CodeSHA256, e.log.String())
			}
			if vs := e.versions("us-east-1"); len(vs) != 1 {
				t.Errorf("versions %v", vs)
			}
			if !strings.Contains(e.log.String(), "is there, but not proven to hold this ZIP") || !strings.Contains(e.log.String(), "uploading") {
				t.Errorf("log does not say the object was uploaded again:\n%s", e.log.String())
			}
			zip, _ := os.ReadFile(e.art.Path)
			if !bytes.Equal(e.object(), zip) {
				t.Error("the object at the key is not the ZIP after the publish")
			}
		})
	}
}

func TestPublishDryRunDoesNotTrustAnObjectItCannotProve(t *testing.T) {
	e := newS3Env(t, false)
	e.plant(nil)
	wantResults(t, e.publish(true), "us-east-1 would-publish 0")
	if !strings.Contains(e.log.String(), "would upload") {
		t.Errorf("log:\n%s", e.log.String())
	}
	if !bytes.Equal(e.object(), e.otherBytes()) {
		t.Error("--dry-run wrote to the bucket")
	}
}

// recordingLambda keeps the PublishLayerVersion requests it passes on.
type recordingLambda struct {
	LambdaAPI
	mu       sync.Mutex
	publishs []*lambda.PublishLayerVersionInput
}

func (r *recordingLambda) PublishLayerVersion(ctx context.Context, in *lambda.PublishLayerVersionInput, o ...func(*lambda.Options)) (*lambda.PublishLayerVersionOutput, error) {
	r.mu.Lock()
	r.publishs = append(r.publishs, in)
	r.mu.Unlock()
	return r.LambdaAPI.PublishLayerVersion(ctx, in, o...)
}

// In a versioned bucket the version of the object that was proven is the
// one published, not whatever the key names when Lambda reads it.
func TestPublishPinsTheProvenObjectVersion(t *testing.T) {
	e := newS3Env(t, true)
	planted := e.plant(nil)
	rec := &recordingLambda{}
	e.lambdaWrap = func(c LambdaAPI) LambdaAPI { rec.LambdaAPI = c; return rec }

	wantResults(t, e.publish(false), "us-east-1 published 1")
	sc := testenv.S3At(e.url, "us-east-1")
	head, err := sc.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(e.key())})
	if err != nil {
		t.Fatal(err)
	}
	uploaded := aws.ToString(head.VersionId)
	if uploaded == "" || uploaded == planted {
		t.Fatalf("object versions: planted %q, current %q", planted, uploaded)
	}
	if len(rec.publishs) != 1 || aws.ToString(rec.publishs[0].Content.S3ObjectVersion) != uploaded {
		t.Fatalf("published from S3ObjectVersion %q, want the uploaded and proven %q", aws.ToString(rec.publishs[0].Content.S3ObjectVersion), uploaded)
	}

	// The version is deleted: the next publish proves the object there and
	// pins it, without uploading.
	if _, err := testenv.LambdaAt(e.url, "us-east-1").DeleteLayerVersion(context.Background(), &lambda.DeleteLayerVersionInput{LayerName: aws.String(e.layer.Name), VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	e.log.Reset()
	wantResults(t, e.publish(false), "us-east-1 published 2")
	if !strings.Contains(e.log.String(), "is already uploaded") {
		t.Errorf("log:\n%s", e.log.String())
	}
	if got := aws.ToString(rec.publishs[1].Content.S3ObjectVersion); got != uploaded {
		t.Errorf("second publish from S3ObjectVersion %q, want %q", got, uploaded)
	}
}

// racingS3 is another writer of the bucket: right after the first object
// that is there is checked (the proof after the upload), it writes other
// bytes to the same key.
type racingS3 struct {
	S3API
	once sync.Once
	put  func()
}

func (r *racingS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	out, err := r.S3API.HeadObject(ctx, in, o...)
	if err == nil {
		r.once.Do(r.put)
	}
	return out, err
}

// In a bucket without versions nothing pins what Lambda reads: if the
// object is replaced between its proof and the publish, the version made
// holds other bytes. It is deleted, and the run fails.
func TestPublishDeletesAVersionThatHoldsOtherBytes(t *testing.T) {
	e := newS3Env(t, false)
	e.s3wrap = func(c S3API) S3API { return &racingS3{S3API: c, put: func() { e.plant(nil) }} }

	res := e.publish(false)
	if res[0].Status != layer.StatusFailed || res[0].Err == nil {
		t.Fatalf("got %s %d, want failed:\n%s", res[0].Status, res[0].Version, e.log.String())
	}
	for _, want := range []string{"Lambda reports CodeSha256", "but the ZIP's is " + e.art.CodeSHA256, "version 1 was deleted, nothing was published"} {
		if !strings.Contains(res[0].Err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, res[0].Err)
		}
	}
	if !strings.Contains(e.log.String(), "deleted version 1") {
		t.Errorf("log:\n%s", e.log.String())
	}
	if vs := e.versions("us-east-1"); len(vs) != 0 {
		t.Errorf("a version with other bytes was left: %v", vs)
	}
	if e.lock.Layers[e.layer.Name] != nil {
		t.Errorf("the lock records %+v", e.lock.Layers[e.layer.Name])
	}

	// The next run, with nobody racing it, uploads again and publishes.
	e.s3wrap = nil
	e.log.Reset()
	wantResults(t, e.publish(false), "us-east-1 published 2")
	if got := e.codeSHA256(2); got != e.art.CodeSHA256 {
		t.Errorf("version 2 holds %s", got)
	}
}
