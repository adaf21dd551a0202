package cmd

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/manifest"
)

// shardOptions are --shard and --list-shards, which every command working
// on (layer, account, region) units takes.
type shardOptions struct {
	shard string
	list  int
}

func addShardFlags(fl *pflag.FlagSet, opts *shardOptions) {
	fl.StringVar(&opts.shard, "shard", "", "work on shard I of N of the (layer, account, region) units, e.g. 3/8 in the third of eight CI jobs")
	fl.IntVar(&opts.list, "list-shards", 0, "print which units each of N shards gets (for a CI matrix) and do nothing else")
}

// checkShard reads --shard, and refuses --list-shards with it.
func checkShard(opts *shardOptions) (units.Shard, error) {
	if opts.list != 0 {
		if opts.shard != "" {
			return units.Shard{}, usagef("--list-shards N prints every shard: give it without --shard")
		}
		if opts.list < 1 || opts.list > units.MaxShards {
			return units.Shard{}, usagef("--list-shards: the number of shards must be 1 to %d", units.MaxShards)
		}
		return units.Shard{}, nil
	}
	if opts.shard == "" {
		return units.Shard{}, nil
	}
	s, err := units.ParseShard(opts.shard)
	if err != nil {
		return units.Shard{}, usagef("--shard %v", err)
	}
	return s, nil
}

// selectUnits reads --shard and selects the layers named, for a command
// working on (layer, account, region) units. With --list-shards it prints
// each shard's units instead. A nil manifest means the command is done,
// err its outcome (nil once the shards are printed).
func selectUnits(f *Factory, names []string, opts *shardOptions) (units.Shard, *manifest.Manifest, []*manifest.Layer, error) {
	shard, err := checkShard(opts)
	if err != nil {
		return units.Shard{}, nil, nil, err
	}
	m, layers, err := selectLayers(f, names)
	if err != nil {
		return units.Shard{}, nil, nil, err
	}
	if opts.list > 0 {
		return units.Shard{}, nil, nil, listShards(f, layers, opts.list)
	}
	return shard, m, layers, nil
}

// The contract of `--list-shards N --output json` (README).
type (
	shardsJSON struct {
		Shards []shardJSON `json:"shards"`
	}
	shardJSON struct {
		Shard int        `json:"shard"`
		Of    int        `json:"of"`
		Units []unitJSON `json:"units"`
	}
	unitJSON struct {
		Layer   string `json:"layer"`
		Account string `json:"account"`
		Region  string `json:"region"`
	}
)

// listShards prints the units of the layers each of n shards gets: every
// shard, an empty one too. A unit of the credentials' own account has
// account "", and one in the SDK's configured region region "" (the
// assignment does not depend on AWS_REGION).
func listShards(f *Factory, layers []*manifest.Layer, n int) error {
	plan, err := units.Plan(layers, regionFlag(f), func(r string) { warnUnknownRegion(f, r) })
	if err != nil {
		return err
	}
	out := shardsJSON{Shards: []shardJSON{}}
	for i, us := range units.Assign(plan, n) {
		s := shardJSON{Shard: i + 1, Of: n, Units: []unitJSON{}}
		for _, u := range us {
			s.Units = append(s.Units, unitJSON{u.Layer.Name, u.Account.ID, u.Region})
		}
		out.Shards = append(out.Shards, s)
	}
	if f.Globals.JSON() {
		return output.JSON(f.Out, out)
	}
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tACCOUNT\tREGION\tLAYER")
	for _, s := range out.Shards {
		if len(s.Units) == 0 {
			fmt.Fprintf(tw, "%d/%d\t-\t-\t(nothing)\n", s.Shard, s.Of)
		}
		for _, u := range s.Units {
			fmt.Fprintf(tw, "%d/%d\t%s\t%s\t%s\n", s.Shard, s.Of, orDash(u.Account), orDash(u.Region), u.Layer)
		}
	}
	return tw.Flush()
}
