package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPublishingInherits(t *testing.T) {
	src := `version: 1
defaults:
  runtimes: [python3.12]
  regions: [us-east-1, eu-west-1]
  s3: {bucket: my-layers, prefix: layers/}
  share: {accounts: ["111122223333"]}
layers:
  plain:
    files: [{from: a}]
  own:
    files: [{from: a}]
    regions: [ap-southeast-2]
    s3: {buckets: {ap-southeast-2: syd-layers}}
    share: {organizations: [o-abc123defg], public: false}
`
	m, err := Parse("layerctl.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Publishing{}
	for _, l := range m.Layers {
		got[l.Name] = l.Publishing
	}
	want := map[string]Publishing{
		"plain": {
			Regions: []string{"us-east-1", "eu-west-1"},
			S3:      S3{Bucket: "my-layers", Prefix: "layers/"},
			Share:   Share{Accounts: []string{"111122223333"}},
		},
		"own": {
			Regions: []string{"ap-southeast-2"},
			S3:      S3{Buckets: map[string]string{"ap-southeast-2": "syd-layers"}},
			Share:   Share{Organizations: []string{"o-abc123defg"}},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("publishing (-want +got):\n%s", d)
	}
	if b := want["own"].S3.BucketFor("ap-southeast-2"); b != "syd-layers" {
		t.Errorf("BucketFor = %q", b)
	}
	if k := want["plain"].S3.Key("shared", "ab12"); k != "layers/shared/ab12.zip" {
		t.Errorf("Key = %q", k)
	}
}

func TestPublishingProblems(t *testing.T) {
	tests := []struct {
		name, stanza, want string
	}{
		{"region typo", "regions: [us-east1]", `layers.a.regions[0]: "us-east1" is not an AWS region name; regions look like us-east-1 or eu-west-2 (did you mean "us-east-1"?)`},
		{"empty regions", "regions: []", "layers.a.regions: must list at least one region"},
		{"bucket name", "s3: {bucket: My_Bucket}", `layers.a.s3.bucket: "My_Bucket" is not a valid S3 bucket name`},
		{"no bucket", "s3: {prefix: x/}", "layers.a.s3: needs bucket (one bucket for every region) or buckets (a bucket per region)"},
		{"absolute prefix", "s3: {bucket: b-1, prefix: /x}", `layers.a.s3.prefix: "/x" must not start with /`},
		{"bucket region", "s3: {buckets: {useast1: b-1}}", `layers.a.s3.buckets: "useast1" is not an AWS region name`},
		{"account as number", "share: {accounts: [111122223333]}", `layers.a.share.accounts[0]: must be a string, got a number; quote it: "111122223333"`},
		{"short account", `share: {accounts: ["1234"]}`, `layers.a.share.accounts[0]: "1234" is not an AWS account ID`},
		{"organization", "share: {organizations: [abc]}", `layers.a.share.organizations[0]: "abc" is not an AWS Organizations ID`},
		{"unknown share key", "share: {acounts: []}", `layers.a.share: unknown key "acounts"; valid keys: accounts, organizations, public (did you mean "accounts"?)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: x}]\n    " + tc.stanza + "\n"
			_, err := Parse("layerctl.yaml", []byte(src))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want *Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
}
