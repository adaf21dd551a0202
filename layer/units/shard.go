package units

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxShards is the most shards a run may be split into: more than any CI
// system runs jobs of one matrix (GitHub Actions: 256).
const MaxShards = 1000

// Shard is one of Count shards of a run (Index from 1), as --shard I/N
// names it. The zero Shard is the whole run.
type Shard struct{ Index, Count int }

// ParseShard reads I/N: integers with 1 <= I <= N <= MaxShards.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("%q is not I/N: give this job's shard and the number of shards, e.g. --shard 3/8", s)
	case count < 1 || count > MaxShards:
		return Shard{}, fmt.Errorf("%q: the number of shards must be 1 to %d", s, MaxShards)
	case index < 1 || index > count:
		return Shard{}, fmt.Errorf("%q: the shard must be 1 to %d (shards are numbered from 1)", s, count)
	}
	return Shard{Index: index, Count: count}, nil
}

// String is I/N, or "" for the whole run.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Of is the units of units that fall to this shard (all of them for the
// whole run), in the order given.
func (s Shard) Of(units []Unit) []Unit {
	if s.Count <= 1 {
		return units
	}
	mine := map[[3]string]bool{}
	for _, u := range Assign(units, s.Count)[s.Index-1] {
		mine[u.key()] = true
	}
	return slices.DeleteFunc(slices.Clone(units), func(u Unit) bool { return !mine[u.key()] })
}

// Assign splits units into n shards (n >= 1): shard i (from 0) gets the
// units from i*len/n to (i+1)*len/n of units sorted by account, region and
// layer. So the assignment depends only on which units there are, not on
// their order or on the machine (every job of a matrix computes the same);
// every unit is in exactly one shard; shards differ by at most one unit;
// and each account and region falls to one shard or two neighbours, so
// shards seldom share one of Lambda's per account and region quotas. With
// fewer units than shards, some shards are empty.
func Assign(units []Unit, n int) [][]Unit {
	sorted := slices.Clone(units)
	slices.SortFunc(sorted, compare)
	sorted = slices.CompactFunc(sorted, func(a, b Unit) bool { return compare(a, b) == 0 })
	out := make([][]Unit, n)
	for i := range n {
		out[i] = sorted[i*len(sorted)/n : (i+1)*len(sorted)/n]
	}
	return out
}
