package publish

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/fakes3"
	"github.com/layerctl/layerctl/layer"
)

// leastEnv publishes through S3 via a fakes3 proxy in front of moto, which
// answers what S3 answers under least privilege or from another region.
type leastEnv struct {
	*s3Env
	proxy *fakes3.Proxy
}

func newLeastEnv(t *testing.T) *leastEnv {
	e := &leastEnv{s3Env: newS3Env(t, false)}
	p, err := fakes3.New(e.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	e.proxy, e.s3URL = p, p.URL
	return e
}

func (e *leastEnv) bucketPath() string { return "/" + e.bucket }
func (e *leastEnv) keyPath() string    { return "/" + e.bucket + "/" + e.key() }

// uploads is how many requests wrote to the ZIP's key.
func (e *leastEnv) uploads() int {
	return e.proxy.Count("PUT", e.keyPath()) + e.proxy.Count("POST", e.keyPath())
}

// The bucket's region is asked without signing: it needs no permission.
func (e *leastEnv) wantUnsignedHeadBucket() {
	e.t.Helper()
	for _, r := range e.proxy.Requests() {
		if r.Method == "HEAD" && r.Path == e.bucketPath() && r.Signed {
			e.t.Errorf("HeadBucket was signed: %+v", r)
		}
	}
	if e.proxy.Count("HEAD", e.bucketPath()) != 1 {
		e.t.Errorf("HeadBucket sent %d times", e.proxy.Count("HEAD", e.bucketPath()))
	}
}

// Without s3:ListBucket S3 answers 403 to HeadObject on a missing key: the
// ZIP is uploaded, proven as always, and published.
func TestPublishUploadsWhenHeadObjectIsForbidden(t *testing.T) {
	e := newLeastEnv(t)
	e.proxy.Queue("HEAD", e.keyPath(), fakes3.Answer{Status: 403})
	wantResults(t, e.publish(false), "us-east-1 published 1")
	e.wantLog("S3 answered 403 to HeadObject on s3://" + e.bucket + "/" + e.key())
	if e.uploads() == 0 {
		t.Error("nothing was uploaded")
	}
	if n := e.proxy.Count("HEAD", e.keyPath()); n != 2 {
		t.Errorf("HeadObject sent %d times, want 2 (the check, the proof)", n)
	}
	if got := e.codeSHA256(1); got != e.art.CodeSHA256 {
		t.Errorf("version 1 holds %s, the ZIP %s", got, e.art.CodeSHA256)
	}
	e.wantUnsignedHeadBucket()
}

// Without s3:GetObject the object just uploaded cannot be proven: nothing
// is published, and the error names the permission.
func TestPublishDoesNotPublishAnObjectItCannotRead(t *testing.T) {
	e := newLeastEnv(t)
	e.proxy.Queue("HEAD", e.keyPath(), fakes3.Answer{Status: 403}, fakes3.Answer{Status: 403})
	res := e.publish(false)
	if res[0].Status != layer.StatusFailed || res[0].Err == nil ||
		!strings.Contains(res[0].Err.Error(), "after the upload: S3 answered 403 to HeadObject: proving the object needs s3:GetObject on it") {
		t.Fatalf("got %s: %v", res[0].Status, res[0].Err)
	}
	if vs := e.versions("us-east-1"); len(vs) != 0 {
		t.Errorf("versions %v", vs)
	}
}

// A bucket's region comes from S3's header whatever the status of its
// answer; a bucket elsewhere is refused before any upload or publish. A
// HeadBucket S3 denies (403: no s3:ListBucket) is no reason to stop.
func TestPublishBucketRegion(t *testing.T) {
	region := func(r string) map[string]string { return map[string]string{"X-Amz-Bucket-Region": r} }
	tests := []struct {
		name   string
		answer fakes3.Answer
		want   string // the error; "" when it publishes
		log    string
	}{
		{"301 from another region", fakes3.Answer{Status: 301, Header: region("eu-west-1")},
			"is in eu-west-1, but Lambda in us-east-1 reads layer ZIPs only from a bucket in its own region: name one with s3.buckets.us-east-1", ""},
		{"301 without the region", fakes3.Answer{Status: 301},
			"is not in us-east-1 (S3 answered 301 without saying where it is)", ""},
		{"403 in another region", fakes3.Answer{Status: 403, Header: region("ap-southeast-2")},
			"is in ap-southeast-2, but Lambda in us-east-1", ""},
		{"403 in this region", fakes3.Answer{Status: 403, Header: region("us-east-1")}, "", ""},
		{"403 without the region", fakes3.Answer{Status: 403}, "", "the region of bucket"},
		{"500", fakes3.Answer{Status: 500, Code: "InternalError", Message: "We encountered an internal error"}, "", "the region of bucket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newLeastEnv(t)
			for range 3 { // the SDK's own retries of a 500
				e.proxy.Queue("HEAD", e.bucketPath(), tc.answer)
			}
			res := e.publish(false)
			if tc.want == "" {
				wantResults(t, res, "us-east-1 published 1")
				if tc.log != "" {
					e.wantLog(tc.log)
				}
				return
			}
			if res[0].Status != layer.StatusFailed || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), tc.want) {
				t.Fatalf("got %s: %v, want %q", res[0].Status, res[0].Err, tc.want)
			}
			if n := e.uploads(); n != 0 {
				t.Errorf("%d upload requests", n)
			}
			if vs := e.versions("us-east-1"); len(vs) != 0 {
				t.Errorf("versions %v", vs)
			}
			e.wantUnsignedHeadBucket()
		})
	}
}

// A bucket that does not exist is said so (moto answers the unsigned
// HeadBucket 404, as S3 does).
func TestPublishBucketThatDoesNotExist(t *testing.T) {
	e := newS3Env(t, false)
	e.layer.S3.Bucket = e.bucket + "-none"
	res := e.publish(false)
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "bucket "+e.bucket+"-none does not exist (S3 answered 404): create it in us-east-1") {
		t.Fatalf("got %s: %v", res[0].Status, res[0].Err)
	}
}

// An upload S3 refuses names every permission publish needs, the S3 ones
// with it.
func TestPublishUploadDeniedNamesThePermissions(t *testing.T) {
	e := newLeastEnv(t)
	e.proxy.Queue("PUT", e.keyPath(), fakes3.Answer{Status: 403, Code: "AccessDenied", Message: "Access Denied"})
	res := e.publish(false)
	if res[0].Err == nil {
		t.Fatalf("got %s", res[0].Status)
	}
	for _, want := range []string{"AccessDenied: Access Denied; the credentials need lambda:ListLayerVersions",
		"s3:PutObject and s3:GetObject on the objects", "optionally s3:ListBucket on the bucket", " in us-east-1"} {
		if !strings.Contains(res[0].Err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, res[0].Err)
		}
	}
}

// The permissions an access error names are those docs/permissions.md
// lists for publish, no more, no fewer.
func TestPublishNeedsWhatTheDocsSay(t *testing.T) {
	doc, err := os.ReadFile("../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	section = section[strings.Index(section, "## `layerctl publish`"):strings.Index(section, "## `layerctl attach`")]
	action := regexp.MustCompile("`((?:lambda|s3):[A-Za-z]+)`")
	inDoc := map[string]bool{}
	for _, m := range action.FindAllStringSubmatch(section, -1) {
		inDoc[m[1]] = true
	}
	inNeeds := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:lambda|s3):[A-Za-z]+`).FindAllString(publishNeeds, -1) {
		inNeeds[m] = true
	}
	if len(inDoc) < 10 {
		t.Fatalf("docs/permissions.md lists %d actions for publish: %v", len(inDoc), inDoc)
	}
	for a := range inDoc {
		if !inNeeds[a] {
			t.Errorf("docs/permissions.md lists %s, the access error does not", a)
		}
	}
	for a := range inNeeds {
		if !inDoc[a] {
			t.Errorf("the access error names %s, docs/permissions.md does not", a)
		}
	}
}
