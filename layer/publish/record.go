package publish

import (
	"fmt"
	"maps"
	"slices"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/manifest"
)

// Record puts what publish found or made into the lock: per layer the
// content's digest and sizes, and per account and region the version
// holding exactly that content. A region that failed is left as it was
// when the content is the one the lock already records; when the content
// changed, the regions (of any account) that still hold older content are
// dropped from the lock, and said so. Record only adds to the lock what
// results hold, so it can be applied again to a lock another run wrote
// meanwhile (the S3 lock's read-modify-write).
func Record(lock *manifest.Lock, targets []Target, results []Result) (changed bool, notes []string) {
	done := map[string]bool{}
	for _, t := range targets {
		name, art := t.Layer.Name, t.Artifact
		if done[name] {
			continue // the layer's targets in other accounts: one content
		}
		done[name] = true
		var ok []Result
		for _, r := range results {
			if r.Layer == name && (r.Status == layer.StatusPublished || r.Status == layer.StatusUnchanged) {
				ok = append(ok, r)
			}
		}
		if len(ok) == 0 {
			continue
		}
		ll := lock.Layers[name]
		if ll == nil || ll.SHA256 != art.SHA256 {
			if ll != nil {
				notes = append(notes, stale(name, ll, ok)...)
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
			if cur := ll.RegionsIn(r.Account)[r.Region]; cur == nil || *cur != want {
				ll.Set(r.Account, r.Region, want)
				changed = true
			}
		}
	}
	return changed, notes
}

// stale says which of the lock's entries for older content are dropped:
// every account's regions that ok does not publish the new content to.
func stale(name string, ll *manifest.LockLayer, ok []Result) []string {
	var notes []string
	accounts := append([]string{""}, slices.Sorted(maps.Keys(ll.Accounts))...)
	for _, account := range accounts {
		regions := ll.RegionsIn(account)
		for _, region := range slices.Sorted(maps.Keys(regions)) {
			if slices.ContainsFunc(ok, func(r Result) bool { return r.Account == account && r.Region == region }) {
				continue
			}
			where := region
			if account != "" {
				where = fmt.Sprintf("%s of account %s", region, account)
			}
			notes = append(notes, fmt.Sprintf("%s: %s dropped from the lock: it holds older content (version %d); publish there to record the new one", name, where, regions[region].Version))
		}
	}
	return notes
}
