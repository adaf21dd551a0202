package publish

import (
	"fmt"
	"slices"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

// Record puts what publish found or made into the lock: per layer the
// content's digest and sizes, and per region the version holding exactly
// that content. A region that failed is left as it was when the content is
// the one the lock already records; when the content changed, regions that
// still hold older content are dropped from the lock, and said so.
func Record(lock *manifest.Lock, targets []Target, results []Result) (changed bool, notes []string) {
	byLayer := map[string][]Result{}
	for _, r := range results {
		byLayer[r.Layer] = append(byLayer[r.Layer], r)
	}
	for _, t := range targets {
		name, art := t.Layer.Name, t.Artifact
		var ok []Result
		for _, r := range byLayer[name] {
			if r.Status == layer.StatusPublished || r.Status == layer.StatusUnchanged {
				ok = append(ok, r)
			}
		}
		if len(ok) == 0 {
			continue
		}
		ll := lock.Layers[name]
		if ll == nil || ll.SHA256 != art.SHA256 {
			if ll != nil {
				var stale []string
				for region := range ll.Regions {
					if !slices.ContainsFunc(ok, func(r Result) bool { return r.Region == region }) {
						stale = append(stale, region)
					}
				}
				slices.Sort(stale)
				for _, region := range stale {
					notes = append(notes, fmt.Sprintf("%s: %s dropped from the lock: it holds older content (version %d); publish there to record the new one", name, region, ll.Regions[region].Version))
				}
			}
			ll = &manifest.LockLayer{Regions: map[string]*manifest.LockRegion{}}
			lock.Layers[name] = ll
			changed = true
		}
		if ll.SHA256 != art.SHA256 || ll.CodeSHA256 != art.CodeSHA256 || ll.Size != art.Size || ll.UnzippedSize != art.UnzippedSize {
			if ll.SHA256 != art.SHA256 {
				ll.SourceDateEpoch = lockEpoch(art.Modified)
			}
			ll.SHA256, ll.CodeSHA256, ll.Size, ll.UnzippedSize = art.SHA256, art.CodeSHA256, art.Size, art.UnzippedSize
			changed = true
		}
		for _, r := range ok {
			want := manifest.LockRegion{ARN: r.ARN, Version: r.Version}
			if cur := ll.Regions[r.Region]; cur == nil || *cur != want {
				ll.Regions[r.Region] = &want
				changed = true
			}
		}
	}
	return changed, notes
}
