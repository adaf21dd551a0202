package units

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

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
// order. given (--region) replaces every account's regions. A layer that
// names no region there gets one unit whose Region is "", the SDK's
// configured region, which Resolve fills in once the clients are made:
// so the units, and the shards cut from them, do not depend on AWS_REGION.
// unknown hears once of each region, shaped like one, that this layerctl
// does not know.
func Plan(layers []*manifest.Layer, given []string, unknown func(region string)) ([]Unit, error) {
	var out []Unit
	told := map[string]bool{}
	for _, l := range layers {
		for _, a := range l.AccountsOf() {
			if len(given) == 0 && len(a.Regions) == 0 && len(l.Regions) == 0 {
				out = append(out, Unit{Layer: l, Account: a})
				continue
			}
			regions, odd, err := l.RegionsIn(a, given, "")
			if err != nil {
				return nil, err
			}
			tell(odd, told, unknown)
			for _, r := range regions {
				out = append(out, Unit{Layer: l, Account: a, Region: r})
			}
		}
	}
	return out, nil
}

// Resolve fills in the configured region of the units that have none; it
// fails, as RegionsFor does, when there is none either.
func Resolve(units []Unit, configured string, unknown func(region string)) ([]Unit, error) {
	out := slices.Clone(units)
	told := map[string]bool{}
	for i, u := range out {
		if u.Region != "" {
			continue
		}
		regions, odd, err := u.Layer.RegionsFor(nil, configured)
		if err != nil {
			return nil, err
		}
		tell(odd, told, unknown)
		out[i].Region = regions[0]
	}
	return out, nil
}

func tell(regions []string, told map[string]bool, unknown func(string)) {
	for _, r := range regions {
		if unknown != nil && !told[r] {
			told[r] = true
			unknown(r)
		}
	}
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

// AccountError is an account a step could not work in at all: its role
// could not be assumed. The other accounts go on, so a run with one is
// partly done.
type AccountError struct {
	Account string
	Err     error
}

func (e *AccountError) Error() string { return fmt.Sprintf("account %s: %v", e.Account, e.Err) }
func (e *AccountError) Unwrap() error { return e.Err }

// ForAccounts makes the clients of each group's account, at most n at once
// (n < 1: one at a time): own for the credentials' own account, assume for
// an account the manifest names (its role assumed). An account whose
// clients cannot be made is in failed, an *AccountError: its units fail,
// the others go on.
func ForAccounts[C any](ctx context.Context, groups []Group, own C, assume func(context.Context, manifest.Account) (C, error), n int) (clients map[string]C, failed map[string]error) {
	clients, failed = map[string]C{}, map[string]error{}
	sem := make(chan struct{}, max(n, 1))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, g := range groups {
		a := g.Account
		if a.IsCurrent() {
			clients[a.ID] = own
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var c C
			err := fmt.Errorf("account %s: this run cannot assume roles", a.ID)
			if assume != nil {
				c, err = assume(ctx, a)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[a.ID] = &AccountError{Account: a.ID, Err: err}
				return
			}
			clients[a.ID] = c
		})
	}
	wg.Wait()
	return clients, failed
}
