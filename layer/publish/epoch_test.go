package publish

import (
	"testing"
	"time"

	"github.com/layerctl/layerctl/layer"
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
