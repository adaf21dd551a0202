package manifest

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// LockPlace says where the lock is kept: the file beside the manifest
// (S3 nil), or an S3 object that parallel jobs share.
type LockPlace struct {
	S3 *LockObject // nil: the local file only
	// Local, with S3, also writes the local file whenever the S3 lock
	// changes (the S3 object stays what is read).
	Local bool
	Pos   Pos // position of the lock key
}

// LockObject is the S3 object holding the lock.
type LockObject struct {
	Bucket, Key string
	// Region is the bucket's region; "" means the SDK's configured one.
	Region string
}

// URL is the object as s3://BUCKET/KEY.
func (o *LockObject) URL() string { return "s3://" + o.Bucket + "/" + o.Key }

var lockKeys = []string{"local", "region", "s3"}

// maxS3Key is S3's longest object key, in bytes.
const maxS3Key = 1024

func (w *walker) lockPlace(n *yaml.Node, at Pos) LockPlace {
	p := LockPlace{Pos: at}
	if isNull(n) {
		return p
	}
	if n.Kind != yaml.MappingNode {
		w.fail(n, "lock", `must be a mapping with keys %s, e.g. {s3: "s3://my-bucket/layerctl.lock"}, got %s`, strings.Join(lockKeys, ", "), describe(n))
		return p
	}
	keys := byKey(w.entries(n, "lock", lockKeys))
	e, ok := keys["s3"]
	if !ok || isNull(e.value) {
		w.fail(n, "lock", `s3 is required: the object that holds the lock, e.g. s3: "s3://my-bucket/layerctl.lock" (leave lock out to keep it in %s beside the manifest)`, LockFile)
		return p
	}
	p.S3 = w.lockObject(e.value)
	if r, ok := keys["region"]; ok && !isNull(r.value) && p.S3 != nil {
		if s, ok := w.str(r.value, "lock.region"); ok {
			if !lambdafacts.ValidRegion(s) {
				w.fail(r.value, "lock.region", "%q is not an AWS region name: the region of the lock's bucket, e.g. us-east-1%s", s, didYouMean(s, lambdafacts.KnownRegions))
			} else {
				p.S3.Region = s
			}
		}
	}
	if l, ok := keys["local"]; ok && !isNull(l.value) {
		p.Local = w.boolean(l.value, "lock.local")
	}
	return p
}

// lockObject reads s3://BUCKET/KEY.
func (w *walker) lockObject(n *yaml.Node) *LockObject {
	s, ok := w.str(n, "lock.s3")
	if !ok {
		return nil
	}
	rest, ok := strings.CutPrefix(s, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	switch {
	case !ok || bucket == "" || key == "":
		w.fail(n, "lock.s3", "%q is not an S3 object URL: write s3://BUCKET/KEY, e.g. s3://my-bucket/layers/layerctl.lock", s)
	case !bucketFormat.MatchString(bucket) || strings.Contains(bucket, ".."):
		w.fail(n, "lock.s3", "%q: %q is not a valid S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens", s, bucket)
	case strings.HasSuffix(key, "/") || strings.Contains(key, "//") || strings.Contains(key, `\`):
		w.fail(n, "lock.s3", "%q: the key %q must name an object: no empty segment, no trailing /, no backslash", s, key)
	case len(key) > maxS3Key:
		w.fail(n, "lock.s3", "the key is %d bytes; S3 allows at most %d", len(key), maxS3Key)
	default:
		return &LockObject{Bucket: bucket, Key: key}
	}
	return nil
}

// String is where the lock is, for messages.
func (p LockPlace) String() string {
	if p.S3 == nil {
		return LockFile
	}
	return fmt.Sprintf("the S3 lock %s", p.S3.URL())
}
