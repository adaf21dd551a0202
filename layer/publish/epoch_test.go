package publish

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// The lock records the SOURCE_DATE_EPOCH new content was built with, and
// nothing when it was not set or is not known (a ZIP built elsewhere);
// content it already records keeps what it has.
func TestRecordKeepsTheEpoch(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	for _, tc := range []struct {
		name     string
		modified time.Time
		want     *int64
	}{
		{"set", epoch, ptr(1700000000)},
		{"not set", layer.DefaultModified, nil},
		{"a ZIP built elsewhere", time.Time{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lock := &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{}}
			l := &manifest.Layer{Name: "l"}
			art := &layer.Artifact{Layer: "l", SHA256: "aa", CodeSHA256: "qg==", Size: 1, Modified: tc.modified}
			targets := []Target{{Layer: l, Artifact: art, Regions: []string{"us-east-1"}}}
			res := []Result{{Layer: "l", Region: "us-east-1", Version: 1, ARN: "arn:l:1", Status: layer.StatusPublished}}
			Record(lock, targets, res)
			got := lock.Layers["l"].SourceDateEpoch
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("source_date_epoch %v, want %v", got, tc.want)
			}
			// Published again from elsewhere (--zip): the record stays.
			art.Modified = time.Time{}
			if changed, _ := Record(lock, targets, res); changed || (lock.Layers["l"].SourceDateEpoch == nil) != (tc.want == nil) {
				t.Errorf("the same content changed the lock")
			}
		})
	}
}

func ptr(v int64) *int64 { return &v }

// The same files built at another SOURCE_DATE_EPOCH are warned about once
// per layer, however many accounts it goes to, naming the lock where it is
// kept.
func TestSameFilesOtherTimeNamesTheLockOnce(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"src/m.py": "M = 1\n"})
	l := &manifest.Layer{Name: "l", Runtimes: []string{"python3.12"}, Files: []manifest.FileMap{{From: "src", To: "python"}}}
	then := mustBuildForPublish(t, dir, l, build.Options{})
	now := mustBuildForPublish(t, dir, l, build.Options{Modified: time.Unix(1700000000, 0).UTC()})
	if then.SHA256 == now.SHA256 {
		t.Fatal("the two times gave one digest")
	}
	lock := &manifest.Lock{Version: 1, Layers: map[string]*manifest.LockLayer{"l": {SHA256: then.SHA256, CodeSHA256: then.CodeSHA256, Regions: map[string]*manifest.LockRegion{}}}}
	targets := []Target{{Layer: l, Artifact: now, Regions: []string{"us-east-1"}}, {Layer: l, Artifact: now, Regions: []string{"us-east-1"}, Account: "111122223333"}}
	got := sameFilesOtherTime(context.Background(), lock, "the S3 lock s3://org-layers/layerctl.lock", targets)
	if len(got) != 1 || !strings.Contains(got[0], `layer "l": its files are those the S3 lock s3://org-layers/layerctl.lock records`) {
		t.Errorf("warnings %q", got)
	}
	// Other files: no warning.
	testenv.Tree(t, dir, map[string]string{"src/m.py": "M = 2\n"})
	other := mustBuildForPublish(t, dir, l, build.Options{Modified: time.Unix(1700000000, 0).UTC()})
	if got := sameFilesOtherTime(context.Background(), lock, manifest.LockFile, []Target{{Layer: l, Artifact: other}}); len(got) != 0 {
		t.Errorf("changed files warned about: %q", got)
	}
}
