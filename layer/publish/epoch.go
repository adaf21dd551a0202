package publish

import (
	"context"
	"fmt"
	"time"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/manifest"
)

// lockEpoch is what the lock records of a ZIP's entry time: its
// SOURCE_DATE_EPOCH, nil when it was not set (or is not known).
func lockEpoch(modified time.Time) *int64 {
	if modified.IsZero() || modified.Equal(layer.DefaultModified) {
		return nil
	}
	s := modified.Unix()
	return &s
}

// epochText names an entry time for people: the SOURCE_DATE_EPOCH value,
// or that it was not set.
func epochText(t time.Time) string {
	if t.Equal(layer.DefaultModified) {
		return "not set (1980-01-01)"
	}
	return fmt.Sprintf("%d (%s)", t.Unix(), t.UTC().Format(time.RFC3339))
}

// sameFilesOtherTime returns a warning for each target whose ZIP holds the
// very files the lock records for its layer, and differs only because
// SOURCE_DATE_EPOCH (every entry's time) does: publishing it makes a new
// version of unchanged files. A ZIP rebuilt at the lock's time (the same
// entries, only the times changed: archive.DigestAt) has the lock's
// digest exactly, or no warning is given. lockName names the lock.
func sameFilesOtherTime(ctx context.Context, lock *manifest.Lock, lockName string, targets []Target) []string {
	var out []string
	seen := map[string]bool{} // a layer is a target in each of its accounts
	for _, t := range targets {
		art := t.Artifact
		if seen[t.Layer.Name] {
			continue
		}
		seen[t.Layer.Name] = true
		ll := lock.Layers[t.Layer.Name]
		if ll == nil || ll.SHA256 == art.SHA256 || art.Modified.IsZero() {
			continue
		}
		then := layer.DefaultModified
		if ll.SourceDateEpoch != nil {
			then = time.Unix(*ll.SourceDateEpoch, 0).UTC()
		}
		if then.Equal(art.Modified) {
			continue // the same time: the files changed
		}
		// The ZIP must come out as itself at its own time first: else
		// nothing can be told from it.
		if own, err := archive.DigestAt(ctx, art.Path, art.Modified); err != nil || own != art.SHA256 {
			continue
		}
		if at, err := archive.DigestAt(ctx, art.Path, then); err != nil || at != ll.SHA256 {
			continue
		}
		out = append(out, fmt.Sprintf("layer %q: its files are those %s records (sha256 %s), but SOURCE_DATE_EPOCH, every entry's time and so part of the digest, was %s and is %s: this publishes a new version of unchanged files. Unset SOURCE_DATE_EPOCH or keep it fixed (a commit time changes with every commit) to publish only when files change",
			t.Layer.Name, lockName, ll.SHA256[:12], epochText(then), epochText(art.Modified)))
	}
	return out
}
