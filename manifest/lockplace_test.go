package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLockPlace(t *testing.T) {
	layers := "layers: {a: " + okLayer + "}\n"
	m, err := Parse("layerctl.yaml", []byte("version: 1\n"+layers))
	if err != nil || m.Lock.S3 != nil || m.Lock.String() != LockFile {
		t.Fatalf("no lock key: %+v, %v", m.Lock, err)
	}
	m, err = Parse("layerctl.yaml", []byte("version: 1\nlock: {s3: \"s3://org-layers/locks/layerctl.lock\", region: eu-west-1, local: true}\n"+layers))
	if err != nil {
		t.Fatal(err)
	}
	want := &LockObject{Bucket: "org-layers", Key: "locks/layerctl.lock", Region: "eu-west-1"}
	if d := cmp.Diff(want, m.Lock.S3); d != "" || !m.Lock.Local {
		t.Errorf("lock (-want +got):\n%s (local %v)", d, m.Lock.Local)
	}
	if got := m.Lock.String(); got != "the S3 lock s3://org-layers/locks/layerctl.lock" {
		t.Errorf("String = %q", got)
	}

	for src, want := range map[string]string{
		"lock: s3://b/k\n":                                 `layerctl.yaml:2:7: lock: must be a mapping with keys local, region, s3, e.g. {s3: "s3://my-bucket/layerctl.lock"}, got a string`,
		"lock: {local: true}\n":                            `layerctl.yaml:2:7: lock: s3 is required: the object that holds the lock, e.g. s3: "s3://my-bucket/layerctl.lock" (leave lock out to keep it in layerctl.lock beside the manifest)`,
		"lock: {s3: \"https://b/k\"}\n":                    `layerctl.yaml:2:12: lock.s3: "https://b/k" is not an S3 object URL: write s3://BUCKET/KEY, e.g. s3://my-bucket/layers/layerctl.lock`,
		"lock: {s3: \"s3://bucket\"}\n":                    `layerctl.yaml:2:12: lock.s3: "s3://bucket" is not an S3 object URL: write s3://BUCKET/KEY, e.g. s3://my-bucket/layers/layerctl.lock`,
		"lock: {s3: \"s3://My_Bucket/k\"}\n":               `layerctl.yaml:2:12: lock.s3: "s3://My_Bucket/k": "My_Bucket" is not a valid S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens`,
		"lock: {s3: \"s3://bucket/locks/\"}\n":             `layerctl.yaml:2:12: lock.s3: "s3://bucket/locks/": the key "locks/" must name an object: no empty segment, no trailing /, no backslash`,
		"lock: {s3: \"s3://bucket/k\", region: useast1}\n": `layerctl.yaml:2:37: lock.region: "useast1" is not an AWS region name: the region of the lock's bucket, e.g. us-east-1 (did you mean "us-east-1"?)`,
		"lock: {s3: \"s3://bucket/k\", locale: x}\n":       `layerctl.yaml:2:29: lock: unknown key "locale"; valid keys: local, region, s3 (did you mean "local"?)`,
	} {
		_, err := Parse("layerctl.yaml", []byte("version: 1\n"+src+layers))
		var e *Error
		if !errors.As(err, &e) || len(e.Problems) != 1 || e.Problems[0].String() != want {
			t.Errorf("%s: %v\nwant %s", strings.TrimSpace(src), err, want)
		}
	}
}
