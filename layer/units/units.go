package units

import (
	"cmp"
	"slices"
	"strings"

	"github.com/layerctl/layerctl/manifest"
)

// Unit is one layer in one account and region: what publish publishes,
// attach attaches, status reads and prune prunes, on its own.
type Unit struct {
	Layer   *manifest.Layer
	Account manifest.Account // manifest.Current for the credentials' own
	Region  string
}

// key identifies a unit.
func (u Unit) key() [3]string { return [3]string{u.Account.ID, u.Region, u.Layer.Name} }

// compare orders units by account, region, then layer: the order shards
// are cut from, so that each account and region (one of Lambda's quotas)
// falls to as few shards as can be.
func compare(a, b Unit) int {
	return cmp.Or(strings.Compare(a.Account.ID, b.Account.ID), strings.Compare(a.Region, b.Region), strings.Compare(a.Layer.Name, b.Layer.Name))
}

// Plan lists every unit of layers: each in each of its accounts
// (manifest.Layer.AccountsOf) and each of its regions there (RegionsIn),
// by layer in the order given, then account and region in the manifest's
// order. given (--region) replaces every account's regions; configured is
// the SDK's region, for layers that name none. unknown hears once of each
// region, shaped like one, that this layerctl does not know.
func Plan(layers []*manifest.Layer, given []string, configured string, unknown func(region string)) ([]Unit, error) {
	var out []Unit
	told := map[string]bool{}
	for _, l := range layers {
		for _, a := range l.AccountsOf() {
			regions, odd, err := l.RegionsIn(a, given, configured)
			if err != nil {
				return nil, err
			}
			for _, r := range odd {
				if unknown != nil && !told[r] {
					told[r] = true
					unknown(r)
				}
			}
			for _, r := range regions {
				out = append(out, Unit{Layer: l, Account: a, Region: r})
			}
		}
	}
	return out, nil
}

// Group is the units of one account: its layers, in the order of the
// units, each with its regions there.
type Group struct {
	Account manifest.Account
	Layers  []*manifest.Layer
	Regions map[string][]string // by layer name
}

// ByAccount groups units by account, in the order accounts first appear
// (the credentials' own first when it appears at all).
func ByAccount(units []Unit) []Group {
	var out []Group
	index := map[string]int{}
	for _, u := range units {
		i, ok := index[u.Account.ID]
		if !ok {
			i = len(out)
			index[u.Account.ID] = i
			out = append(out, Group{Account: u.Account, Regions: map[string][]string{}})
		}
		g := &out[i]
		if _, ok := g.Regions[u.Layer.Name]; !ok {
			g.Layers = append(g.Layers, u.Layer)
		}
		g.Regions[u.Layer.Name] = append(g.Regions[u.Layer.Name], u.Region)
	}
	slices.SortStableFunc(out, func(a, b Group) int {
		return cmp.Compare(btoi(!a.Account.IsCurrent()), btoi(!b.Account.IsCurrent()))
	})
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Layers is the layers of units, each once, in the order they first appear.
func Layers(units []Unit) []*manifest.Layer {
	var out []*manifest.Layer
	for _, u := range units {
		if !slices.Contains(out, u.Layer) {
			out = append(out, u.Layer)
		}
	}
	return out
}
