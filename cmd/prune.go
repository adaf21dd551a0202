package cmd

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/prune"
)

type pruneOptions struct {
	layers        []string
	keep          int
	dryRun        bool
	includeShared bool
	shards        shardOptions
	pacingFlags   // --concurrency, --rate
}

func newPruneCmd(f *Factory) *cobra.Command {
	opts := &pruneOptions{}
	c := &cobra.Command{
		Use:   "prune [LAYER...] --keep N",
		Short: "Delete old layer versions, never one still in use, locked or shared",
		Long: `Prune deletes, in each of the layers' regions, the versions older than the
newest N, except every version that layerctl.lock names, that a function
configuration uses ($LATEST, a published function version, or one an
alias points at), or that is shared with another account or organization
(their functions cannot be seen from here) unless --include-shared. Every
version kept says why.

Right before deleting, prune lists the functions again and reads each
version's permissions again: a function that started using a version since
keeps it. While it deletes it holds layerctl.lock's turn, so a publish at
once cannot record a version it deletes. A delete that fails is reported
and the rest goes on (exit 3).`,
		Example: `  layerctl prune --keep 3 --dry-run
  layerctl prune shared-python --keep 1
  layerctl prune --keep 5 --include-shared --region eu-west-1
  layerctl prune --keep 3 -o json | jq -r '.pruned[] | select(.status=="deleted") | "\(.layer):\(.version)"'`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.layers = args
			return pruneRun(c, f, opts)
		},
		ValidArgsFunction: completeLayers(f),
	}
	fl := c.Flags()
	fl.IntVar(&opts.keep, "keep", 0, "keep the newest N versions whatever they are (required, 1 or more)")
	fl.BoolVar(&opts.dryRun, "dry-run", false, "say what would be deleted and why the rest is kept; delete nothing")
	fl.BoolVar(&opts.includeShared, "include-shared", false, "delete versions shared with other accounts or organizations too (their users are invisible here)")
	opts.pacingFlags.add(fl, regionsConcurrencyHelp, regionsRateHelp)
	addShardFlags(fl, &opts.shards)
	return c
}

func pruneRun(c *cobra.Command, f *Factory, opts *pruneOptions) error {
	shard, err := checkShard(&opts.shards)
	if err != nil {
		return err
	}
	if opts.shards.list > 0 {
		_, layers, err := selectLayers(f, opts.layers)
		if err != nil {
			return err
		}
		return listShards(f, layers, opts.shards.list)
	}
	if !c.Flags().Changed("keep") {
		return usagef("--keep N is required: how many of the newest versions to keep whatever they are (e.g. --keep 3)")
	}
	if opts.keep < 1 {
		return usagef("--keep must be 1 or more: prune never deletes the newest version")
	}
	if err := opts.pacingFlags.check(); err != nil {
		return err
	}
	m, layers, err := selectLayers(f, opts.layers)
	if err != nil {
		return err
	}
	report, err := prune.Run(c.Context(), prune.RunOptions{
		Manifest: m, Layers: layers,
		Clients:       stepClients(f, m, "prune", func(c *lambda.Client) prune.API { return c }),
		Regions:       regionFlag(f),
		Shard:         shard,
		UnknownRegion: func(r string) { warnUnknownRegion(f, r) },
		Keep:          opts.keep,
		DryRun:        opts.dryRun,
		IncludeShared: opts.includeShared,
		Concurrency:   opts.concurrency,
		Rate:          opts.rate,
		Waiting:       func(path string, pid int) { waitingForLock(f, path, pid) },
	})
	if report == nil {
		return err
	}
	if perr := printPruned(f, viewOf(m, report.Caller), report); perr != nil {
		return perr
	}
	if report.ReleaseErr != nil {
		fmt.Fprintf(f.Err, "warning: releasing %s: %v\n", m.LockPath(), report.ReleaseErr)
	}
	fmt.Fprintf(f.Err, "prune: %s\n", pruneSummary(report))
	if err != nil {
		return err
	}
	switch n := report.Failed(); {
	case n == 0:
		return nil
	case n == len(report.Results):
		return fmt.Errorf("prune failed for every version or region it looked at; see the report")
	default:
		return &partialError{fmt.Errorf("%d of %d could not be pruned as asked; see the report", n, len(report.Results))}
	}
}

// prunedJSON is the contract of `prune --output json` (README).
type prunedJSON struct {
	Layer   string `json:"layer"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Version int64  `json:"version"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
}

func pruneJSON(v accountView, r *prune.Report) any {
	out := struct {
		Pruned []prunedJSON `json:"pruned"`
	}{Pruned: []prunedJSON{}}
	for _, res := range r.Results {
		out.Pruned = append(out.Pruned, prunedJSON{res.Layer, v.of(res.Account), res.Region, res.Version, string(res.Status), res.Reason})
	}
	return out
}

// printPruned prints a row per version: what was done and why.
func printPruned(f *Factory, v accountView, r *prune.Report) error {
	if f.Globals.JSON() {
		return output.JSON(f.Out, pruneJSON(v, r))
	}
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, v.head("LAYER\t", "REGION\tVERSION\tSTATUS\tREASON"))
	for _, res := range r.Results {
		version := "-"
		if res.Version > 0 {
			version = fmt.Sprint(res.Version)
		}
		// A reason may quote an AWS message: one line, escaped.
		reason := strings.ReplaceAll(safetext.Text(res.Reason), "\n", " ")
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\n", res.Layer, v.cell(res.Account), res.Region, version, res.Status, reason)
	}
	return tw.Flush()
}

// pruneSummary counts the versions by status, e.g. "1 deleted, 3 kept".
func pruneSummary(r *prune.Report) string {
	counts := map[layer.Status]int{}
	for _, res := range r.Results {
		counts[res.Status]++
	}
	var parts []string
	for _, s := range []layer.Status{layer.StatusDeleted, layer.StatusWouldDelete, layer.StatusKept, layer.StatusFailed} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if len(parts) == 0 {
		return "no versions"
	}
	return strings.Join(parts, ", ")
}
