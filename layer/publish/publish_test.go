package publish

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// publishEnv is a layer's sources and a lock, published to moto.
type publishEnv struct {
	t      *testing.T
	url    string
	dir    string
	layer  *manifest.Layer
	lock   *manifest.Lock
	log    bytes.Buffer
	s3wrap func(S3API) S3API
	// lambdaWrap, when set, wraps each Lambda client; inline lowers the
	// size over which ZIPs go through S3.
	lambdaWrap func(LambdaAPI) LambdaAPI
	inline     int64
	// s3URL, when set, is the S3 endpoint publish uses (a fakes3 proxy
	// in front of moto).
	s3URL string
}

func newPublishEnv(t *testing.T, files map[string]string) *publishEnv {
	e := &publishEnv{t: t, url: testenv.MotoURL(t), dir: t.TempDir()}
	testenv.Tree(t, e.dir, files)
	e.layer = testenv.PyLayer(testenv.UniqueName("pub"), manifest.FileMap{From: "src", To: "python"})
	e.layer.Regions = []string{"us-east-1"}
	e.lock = &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{}}
	return e
}

func (e *publishEnv) publish(dryRun bool) []Result {
	e.t.Helper()
	art := mustBuildForPublish(e.t, e.dir, e.layer, build.Options{OutDir: filepath.Join(e.dir, "dist")})
	targets := []Target{{Layer: e.layer, Artifact: art, Regions: e.layer.Regions}}
	res := Publish(context.Background(), targets, e.lock, Options{
		Lambda: func(r string) LambdaAPI {
			var c LambdaAPI = testenv.LambdaAt(e.url, r)
			if e.lambdaWrap != nil {
				c = e.lambdaWrap(c)
			}
			return c
		},
		InlineLimit: e.inline,
		S3: func(r string) S3API {
			url := e.url
			if e.s3URL != "" {
				url = e.s3URL
			}
			var c S3API = testenv.S3At(url, r)
			if e.s3wrap != nil {
				c = e.s3wrap(c)
			}
			return c
		},
		DryRun: dryRun,
		Log:    &e.log,
	})
	if !dryRun {
		Record(e.lock, targets, res)
	}
	return res
}

func (e *publishEnv) versions(region string) []int64 {
	out, err := testenv.LambdaAt(e.url, region).ListLayerVersions(context.Background(), &lambda.ListLayerVersionsInput{LayerName: aws.String(e.layer.Name)})
	if err != nil {
		e.t.Fatal(err)
	}
	var vs []int64
	for _, v := range out.LayerVersions {
		vs = append(vs, v.Version)
	}
	return vs
}

func wantResults(t *testing.T, got []Result, want ...string) {
	t.Helper()
	var s []string
	for _, r := range got {
		if r.Err != nil {
			t.Errorf("%s %s: %v", r.Layer, r.Region, r.Err)
		}
		s = append(s, r.Region+" "+string(r.Status)+" "+itoa(r.Version))
	}
	if strings.Join(s, ", ") != strings.Join(want, ", ") {
		t.Fatalf("results %v, want %v", s, want)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestPublishOnlyNewContent(t *testing.T) {
	e := newPublishEnv(t, map[string]string{"src/pkg/__init__.py": "", "src/pkg/a.py": "A = 1\n"})

	wantResults(t, e.publish(false), "us-east-1 published 1")
	wantResults(t, e.publish(false), "us-east-1 unchanged 1")
	if vs := e.versions("us-east-1"); len(vs) != 1 {
		t.Fatalf("versions in AWS after an unchanged publish: %v", vs)
	}

	// The lock is lost: the version is still found by its digest.
	e.lock = &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{}}
	wantResults(t, e.publish(false), "us-east-1 unchanged 1")

	testenv.Tree(t, e.dir, map[string]string{"src/pkg/a.py": "A = 2\n"})
	wantResults(t, e.publish(true), "us-east-1 would-publish 0")
	if vs := e.versions("us-east-1"); len(vs) != 1 {
		t.Fatalf("--dry-run published: %v", vs)
	}
	wantResults(t, e.publish(false), "us-east-1 published 2")

	ll := e.lock.Layers[e.layer.Name]
	if ll == nil || ll.Regions["us-east-1"].Version != 2 || !strings.HasSuffix(ll.Regions["us-east-1"].ARN, e.layer.Name+":2") {
		t.Fatalf("lock: %+v", ll)
	}

	// The description carries the digest; GetLayerVersion confirms the bytes.
	out, err := testenv.LambdaAt(e.url, "us-east-1").GetLayerVersion(context.Background(), &lambda.GetLayerVersionInput{LayerName: aws.String(e.layer.Name), VersionNumber: aws.Int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(out.Description), strings.TrimSpace(manifest.DigestTag(ll.SHA256))) || aws.ToString(out.Content.CodeSha256) != ll.CodeSHA256 {
		t.Errorf("version 2: description %q, CodeSha256 %s; lock %+v", aws.ToString(out.Description), aws.ToString(out.Content.CodeSha256), ll)
	}
	if rs := out.CompatibleRuntimes; len(rs) != 1 || rs[0] != "python3.12" {
		t.Errorf("runtimes %v", rs)
	}
}

func TestPublishTwoRegions(t *testing.T) {
	e := newPublishEnv(t, map[string]string{"src/m.py": "x = 1\n"})
	e.layer.Regions = []string{"us-east-1", "eu-west-1"}
	wantResults(t, e.publish(false), "us-east-1 published 1", "eu-west-1 published 1")
	// A new region added later gets the same content; the others are untouched.
	e.layer.Regions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	wantResults(t, e.publish(false), "us-east-1 unchanged 1", "eu-west-1 unchanged 1", "ap-southeast-2 published 1")
	ll := e.lock.Layers[e.layer.Name]
	if len(ll.Regions) != 3 || !strings.HasPrefix(ll.Regions["eu-west-1"].ARN, "arn:aws:lambda:eu-west-1:") {
		t.Fatalf("lock regions: %+v", ll.Regions)
	}

	// New content published in one region only: the others leave the lock.
	testenv.Tree(t, e.dir, map[string]string{"src/m.py": "x = 2\n"})
	e.layer.Regions = []string{"eu-west-1"}
	wantResults(t, e.publish(false), "eu-west-1 published 2")
	ll = e.lock.Layers[e.layer.Name]
	if len(ll.Regions) != 1 || ll.Regions["eu-west-1"].Version != 2 {
		t.Fatalf("lock regions after a one-region publish of new content: %+v", ll.Regions)
	}
}

func TestPublishShares(t *testing.T) {
	e := newPublishEnv(t, map[string]string{"src/m.py": "x = 1\n"})
	wantResults(t, e.publish(false), "us-east-1 published 1")

	// Sharing asked for later is added to the unchanged version.
	e.layer.Share = manifest.Share{Accounts: []string{"111122223333"}, Organizations: []string{"o-abc123defg"}}
	wantResults(t, e.publish(false), "us-east-1 unchanged 1")
	pol, err := testenv.LambdaAt(e.url, "us-east-1").GetLayerVersionPolicy(context.Background(), &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(e.layer.Name), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, sid := range []string{"layerctl-account-111122223333", "layerctl-org-o-abc123defg"} {
		if !strings.Contains(aws.ToString(pol.Policy), sid) {
			t.Errorf("policy lacks %s: %s", sid, aws.ToString(pol.Policy))
		}
	}
	if !strings.Contains(aws.ToString(pol.Policy), "o-abc123defg") {
		t.Errorf("organization condition missing: %s", aws.ToString(pol.Policy))
	}

	// A new version is shared as it is published.
	testenv.Tree(t, e.dir, map[string]string{"src/m.py": "x = 2\n"})
	wantResults(t, e.publish(false), "us-east-1 published 2")
	pol, err = testenv.LambdaAt(e.url, "us-east-1").GetLayerVersionPolicy(context.Background(), &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(e.layer.Name), VersionNumber: aws.Int64(2)})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), "layerctl-account-111122223333") {
		t.Fatalf("version 2 policy: %v %v", aws.ToString(pol.Policy), err)
	}
	// Nothing to add on a re-run.
	e.log.Reset()
	wantResults(t, e.publish(false), "us-east-1 unchanged 2")
	if strings.Contains(e.log.String(), "shared") {
		t.Errorf("shared again:\n%s", e.log.String())
	}
}

// countingS3 counts uploads on the way to the real client.
type countingS3 struct {
	S3API
	puts, parts atomic.Int32
}

func (c *countingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c.puts.Add(1)
	return c.S3API.PutObject(ctx, in, o...)
}

func (c *countingS3) UploadPart(ctx context.Context, in *s3.UploadPartInput, o ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	c.parts.Add(1)
	return c.S3API.UploadPart(ctx, in, o...)
}

func TestPublishLargeThroughS3(t *testing.T) {
	blob := make([]byte, 60<<20) // incompressible: the ZIP stays over 50 MB
	rand.Read(blob)
	e := newPublishEnv(t, map[string]string{"src/blob.bin": string(blob)})
	ctx := context.Background()

	// No bucket: a clear error, nothing published.
	res := e.publish(false)
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "no S3 bucket is set for us-east-1: add s3: {bucket: NAME}") {
		t.Fatalf("no bucket: %v", res[0].Err)
	}

	// A bucket in another region: refused.
	other := testenv.UniqueName("eu-bucket")
	if _, err := testenv.S3At(e.url, "eu-west-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(other),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	e.layer.S3 = manifest.S3{Bucket: other}
	res = e.publish(false)
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "is in eu-west-1, but Lambda in us-east-1 reads layer ZIPs only from a bucket in its own region") {
		t.Fatalf("bucket in another region: %v", res[0].Err)
	}

	bucket := testenv.UniqueName("layers")
	if _, err := testenv.S3At(e.url, "us-east-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	e.layer.S3 = manifest.S3{Buckets: map[string]string{"us-east-1": bucket}, Prefix: "layers/"}
	counter := &countingS3{}
	e.s3wrap = func(c S3API) S3API { counter.S3API = c; return counter }
	wantResults(t, e.publish(false), "us-east-1 published 1")
	if counter.parts.Load() < 2 {
		t.Errorf("a 60 MB ZIP went up in %d parts, want a multipart upload", counter.parts.Load())
	}
	sha := e.lock.Layers[e.layer.Name].SHA256
	head, err := testenv.S3At(e.url, "us-east-1").HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("layers/" + e.layer.Name + "/" + sha + ".zip")})
	if err != nil {
		t.Fatalf("content-addressed object missing: %v", err)
	}
	if head.Metadata[shaMetadata] != sha {
		t.Errorf("object metadata %v", head.Metadata)
	}

	// The version is deleted: publishing again needs a new version, but
	// the object is already there with this content, so nothing is uploaded.
	if _, err := testenv.LambdaAt(e.url, "us-east-1").DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(e.layer.Name), VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	counter.puts.Store(0)
	counter.parts.Store(0)
	wantResults(t, e.publish(false), "us-east-1 published 2")
	if n := counter.puts.Load() + counter.parts.Load(); n != 0 {
		t.Errorf("uploaded again (%d requests) though the object was there", n)
	}
	if !strings.Contains(e.log.String(), "is already uploaded") {
		t.Errorf("log does not say the upload was skipped:\n%s", e.log.String())
	}
	os.Remove(filepath.Join(e.dir, "src/blob.bin"))
}
