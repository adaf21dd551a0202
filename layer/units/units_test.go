package units

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/manifest"
)

// org is layers × accounts × regions units, as a manifest of an
// organisation makes them.
func org(layers, accounts, regions int) []Unit {
	all := []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1"}
	var out []Unit
	for l := range layers {
		layer := &manifest.Layer{Name: fmt.Sprintf("layer-%02d", l)}
		for a := range accounts {
			acct := manifest.Account{ID: fmt.Sprintf("%012d", 111111111111+a)}
			for r := range regions {
				out = append(out, Unit{Layer: layer, Account: acct, Region: all[r%len(all)]})
			}
		}
	}
	return out
}

func keys(us []Unit) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Account.ID+"/"+u.Region+"/"+u.Layer.Name)
	}
	return out
}

// The assignment is complete (every unit in a shard), disjoint (in one
// only), balanced (shards differ by at most one unit) and stable (the
// same whatever order the units come in), for every N from 1 to 64, with
// more units than shards and fewer.
func TestAssignIsStableCompleteAndDisjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, units := range [][]Unit{org(3, 7, 4), org(1, 10, 3), org(2, 2, 1), org(1, 1, 1)} {
		for n := 1; n <= 64; n++ {
			shards := Assign(units, n)
			if len(shards) != n {
				t.Fatalf("%d units, N=%d: %d shards", len(units), n, len(shards))
			}
			seen := map[string]int{}
			low, high := len(units), 0
			for i, s := range shards {
				for _, k := range keys(s) {
					if prev, dup := seen[k]; dup {
						t.Fatalf("%d units, N=%d: %s in shards %d and %d", len(units), n, k, prev+1, i+1)
					}
					seen[k] = i
				}
				low, high = min(low, len(s)), max(high, len(s))
			}
			if len(seen) != len(units) {
				t.Fatalf("%d units, N=%d: %d assigned", len(units), n, len(seen))
			}
			if high-low > 1 {
				t.Fatalf("%d units, N=%d: shards of %d to %d units", len(units), n, low, high)
			}

			shuffled := slices.Clone(units)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			again := Assign(shuffled, n)
			for i := range shards {
				if d := cmp.Diff(keys(shards[i]), keys(again[i])); d != "" {
					t.Fatalf("%d units, N=%d: shard %d changed with the units' order (-first +again):\n%s", len(units), n, i+1, d)
				}
			}

			// Shard.Of is each job's view: together, every unit once.
			var union []string
			for i := 1; i <= n; i++ {
				union = append(union, keys(Shard{Index: i, Count: n}.Of(shuffled))...)
			}
			slices.Sort(union)
			want := keys(units)
			slices.Sort(want)
			if d := cmp.Diff(want, union); d != "" {
				t.Fatalf("%d units, N=%d: the shards' units together (-all +union):\n%s", len(units), n, d)
			}
		}
	}
}

// An account and region falls to one shard, or to two neighbours: shards
// seldom pace themselves against the same quota.
func TestAssignKeepsAnAccountAndRegionTogether(t *testing.T) {
	units := org(4, 10, 3) // 30 accounts and regions of 4 units each
	for _, n := range []int{2, 3, 4, 8, 30} {
		where := map[string][]int{}
		for i, s := range Assign(units, n) {
			for _, u := range s {
				k := u.Account.ID + "/" + u.Region
				if !slices.Contains(where[k], i) {
					where[k] = append(where[k], i)
				}
			}
		}
		for k, shards := range where {
			if len(shards) > 2 || len(shards) == 2 && shards[1] != shards[0]+1 {
				t.Errorf("N=%d: %s is in shards %v", n, k, shards)
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"1/1": {1, 1}, "3/8": {3, 8}, " 2 / 4 ": {2, 4}, "1000/1000": {1000, 1000}} {
		if got, err := ParseShard(in); err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v", in, got, err)
		}
	}
	for in, want := range map[string]string{
		"3":                      `"3" is not I/N: give this job's shard and the number of shards, e.g. --shard 3/8`,
		"a/8":                    `"a/8" is not I/N`,
		"1.5/8":                  `"1.5/8" is not I/N`,
		"0/8":                    `"0/8": the shard must be 1 to 8 (shards are numbered from 1)`,
		"9/8":                    `"9/8": the shard must be 1 to 8`,
		"1/0":                    `"1/0": the number of shards must be 1 to 1000`,
		"1/1001":                 `"1/1001": the number of shards must be 1 to 1000`,
		"-1/8":                   `"-1/8": the shard must be 1 to 8`,
		"1/8/2":                  `"1/8/2" is not I/N`,
		"99999999999999999999/8": `is not I/N`,
	} {
		_, err := ParseShard(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseShard(%q): %v, want %q", in, err, want)
		}
	}
}

func TestPlanAndByAccount(t *testing.T) {
	a := manifest.Account{ID: "111122223333", Regions: []string{"eu-west-1"}}
	b := manifest.Account{ID: "444455556666"}
	org := &manifest.Layer{Name: "org", Accounts: []manifest.Account{a, b}, Publishing: manifest.Publishing{Regions: []string{"us-east-1", "us-west-2"}}}
	home := &manifest.Layer{Name: "home"}
	var told []string
	planned, err := Plan([]*manifest.Layer{org, home}, nil, func(r string) { told = append(told, r) })
	if err != nil {
		t.Fatal(err)
	}
	// The layer with no region has the configured one, once it is known:
	// the plan (and the shards) do not depend on AWS_REGION.
	want := []string{"111122223333/eu-west-1/org", "444455556666/us-east-1/org", "444455556666/us-west-2/org", "//home"}
	if d := cmp.Diff(want, keys(planned)); d != "" {
		t.Errorf("planned (-want +got):\n%s", d)
	}
	units, err := Resolve(planned, "xx-mars-1", func(r string) { told = append(told, r) })
	if err != nil {
		t.Fatal(err)
	}
	want[3] = "/xx-mars-1/home"
	if d := cmp.Diff(want, keys(units)); d != "" {
		t.Errorf("units (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"xx-mars-1"}, told); d != "" {
		t.Errorf("unknown regions told (-want +got):\n%s", d)
	}
	groups := ByAccount(units)
	var got []string
	for _, g := range groups {
		for _, l := range g.Layers {
			got = append(got, fmt.Sprintf("%s:%s:%v", g.Account.ID, l.Name, g.Regions[l.Name]))
		}
	}
	wantGroups := []string{":home:[xx-mars-1]", "111122223333:org:[eu-west-1]", "444455556666:org:[us-east-1 us-west-2]"}
	if d := cmp.Diff(wantGroups, got); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	if _, err := Resolve(planned, "", nil); err == nil || err.Error() != `no region for layer "home": set regions: in the manifest (layer or defaults), pass --region, or set AWS_REGION` {
		t.Errorf("no region at all: %v", err)
	}
	if _, err := Plan([]*manifest.Layer{home}, []string{"useast1"}, nil); err == nil {
		t.Error("--region useast1: no error")
	}
}

// An account whose clients cannot be made fails alone; the credentials'
// own account needs none made.
func TestForAccounts(t *testing.T) {
	groups := []Group{{Account: manifest.Current}, {Account: manifest.Account{ID: "111122223333"}}, {Account: manifest.Account{ID: "444455556666"}}}
	clients, failed := ForAccounts(context.Background(), groups, "own", func(_ context.Context, a manifest.Account) (string, error) {
		if a.ID == "444455556666" {
			return "", errors.New("assuming role x: AccessDenied")
		}
		return "assumed " + a.ID, nil
	}, 2)
	if d := cmp.Diff(map[string]string{"": "own", "111122223333": "assumed 111122223333"}, clients); d != "" {
		t.Errorf("clients (-want +got):\n%s", d)
	}
	var ae *AccountError
	if err := failed["444455556666"]; !errors.As(err, &ae) || err.Error() != "account 444455556666: assuming role x: AccessDenied" || len(failed) != 1 {
		t.Errorf("failed %v", failed)
	}
}
