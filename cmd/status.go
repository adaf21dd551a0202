package cmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer/status"
)

type statusOptions struct {
	layers      []string
	exitCode    bool
	shards      shardOptions
	pacingFlags // --concurrency, --rate
}

func newStatusCmd(f *Factory) *cobra.Command {
	opts := &statusOptions{}
	c := &cobra.Command{
		Use:   "status [LAYER...]",
		Short: "Show each layer's versions per region, and which functions are behind the newest",
		Long: `Status lists, for each layer in each of its regions, every version (its
digest, when it was published, whether layerctl.lock names it, how many
function configurations use it) and every function configuration using
one: $LATEST and every published function version, with the aliases that
point at it, and how many versions behind the newest it is. It reads the
functions once per region (ListFunctions with FunctionVersion=ALL), paced
as attach is, and the account's code storage (GetAccountSettings), with a
warning above 80% of the quota.

With --exit-code it exits 4 when a $LATEST or an aliased configuration is
behind the newest version: a gate for CI. A published version no alias
names is shown, not counted.`,
		Example: `  layerctl status
  layerctl status shared-python --region eu-west-1
  layerctl status --exit-code      # exit 4 when a $LATEST or alias is behind
  layerctl status -o json | jq -r '.status[].functions[] | select(.behind > 0) | .function'`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.layers = args
			return statusRun(c, f, opts)
		},
		ValidArgsFunction: completeLayers(f),
	}
	fl := c.Flags()
	fl.BoolVar(&opts.exitCode, "exit-code", false, "exit 4 when a $LATEST or aliased configuration is behind the newest version")
	opts.pacingFlags.add(fl, regionsConcurrencyHelp, regionsRateHelp)
	addShardFlags(fl, &opts.shards)
	return c
}

func statusRun(c *cobra.Command, f *Factory, opts *statusOptions) error {
	if err := opts.pacingFlags.check(); err != nil {
		return err
	}
	shard, m, layers, err := selectUnits(f, opts.layers, &opts.shards)
	if m == nil {
		return err
	}
	report, err := status.Run(c.Context(), status.RunOptions{
		Manifest: m, Layers: layers,
		Clients:       stepClients(f, m, "status", func(c *lambda.Client) status.API { return c }),
		Regions:       regionFlag(f),
		Shard:         shard,
		UnknownRegion: func(r string) { warnUnknownRegion(f, r) },
		Concurrency:   opts.concurrency,
		Rate:          opts.rate,
	})
	if err != nil {
		return err
	}
	v := viewOf(m, report.Caller)
	if f.Globals.JSON() {
		if err := output.JSON(f.Out, statusJSON(v, report)); err != nil {
			return err
		}
		printStorage(f.Err, v, report.Storage)
	} else {
		if err := printStatus(f.Out, v, report); err != nil {
			return err
		}
		printStorage(f.Out, v, report.Storage)
	}
	warnStorage(f, v, report.Storage)
	if err := output.GitHubStatus(f.Getenv("GITHUB_STEP_SUMMARY"), statusRows(v, report)); err != nil {
		fmt.Fprintf(f.Err, "warning: %v\n", err)
	}
	n := report.Behind()
	if err := statusFailures(f, report); err != nil {
		if n > 0 {
			fmt.Fprintf(f.Err, "status: %d function configuration(s) ($LATEST or aliased) are behind the newest layer version in the accounts read\n", n)
		}
		return err
	}
	if opts.exitCode && n > 0 {
		return &behindError{fmt.Errorf("%d function configuration(s) ($LATEST or aliased) are behind the newest layer version", n)}
	}
	return nil
}

// statusFailures tells of the accounts status could not read, and is the
// run's error when there are any: partly done (exit 3), or failed when no
// account could be read.
func statusFailures(f *Factory, r *status.Report) error {
	if len(r.Failed) == 0 {
		return nil
	}
	for _, fl := range r.Failed {
		fmt.Fprintf(f.Err, "layerctl: %s\n", indentLines(safetext.Text(fl.Err.Error())))
	}
	err := fmt.Errorf("%d account(s) could not be read (see above); the report holds the others", len(r.Failed))
	if len(r.Layers) == 0 {
		return err
	}
	return &partialError{err}
}

// The contract of `status --output json` (README).
type (
	statusLayerJSON struct {
		Layer     string               `json:"layer"`
		Account   string               `json:"account"`
		Region    string               `json:"region"`
		Latest    int64                `json:"latest"`
		Versions  []statusVersionJSON  `json:"versions"`
		Functions []statusFunctionJSON `json:"functions"`
	}
	statusVersionJSON struct {
		Version    int64  `json:"version"`
		ARN        string `json:"arn"`
		CodeSHA256 string `json:"code_sha256"`
		Created    string `json:"created"`
		InLock     bool   `json:"in_lock"`
		UsedBy     int    `json:"used_by"`
	}
	statusFunctionJSON struct {
		Function  string   `json:"function"`
		Qualifier string   `json:"qualifier"`
		Aliases   []string `json:"aliases"`
		Version   int64    `json:"version"`
		Behind    int64    `json:"behind"`
	}
)

func statusJSON(v accountView, r *status.Report) any {
	out := struct {
		Status []statusLayerJSON `json:"status"`
	}{Status: []statusLayerJSON{}}
	for _, l := range r.Layers {
		j := statusLayerJSON{Layer: l.Layer, Account: v.of(l.Account), Region: l.Region, Latest: l.Latest, Versions: []statusVersionJSON{}, Functions: []statusFunctionJSON{}}
		for _, v := range l.Versions {
			j.Versions = append(j.Versions, statusVersionJSON{v.Number, v.ARN, v.CodeSHA256, created(v.Created), v.InLock, v.UsedBy})
		}
		for _, fn := range l.Functions {
			j.Functions = append(j.Functions, statusFunctionJSON{fn.Function, fn.Qualifier, nonNil(fn.Aliases), fn.Version, fn.Behind})
		}
		out.Status = append(out.Status, j)
	}
	return out
}

// created is a version's date in RFC 3339, UTC, to the millisecond; ""
// when Lambda's could not be read.
func created(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// printStatus prints a table per layer and region: its versions, then the
// configurations using them, the watched ones behind marked.
func printStatus(w io.Writer, v accountView, r *status.Report) error {
	for i, l := range r.Layers {
		if i > 0 {
			fmt.Fprintln(w)
		}
		newest := "no versions"
		if l.Latest > 0 {
			newest = fmt.Sprintf("newest version %d", l.Latest)
		}
		fmt.Fprintf(w, "%s  %s%s  (%s)\n", l.Layer, l.Region, inAccount(v, l.Account), newest)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if len(l.Versions) > 0 {
			fmt.Fprintln(tw, "  VERSION\tCREATED\tLOCK\tUSED BY\tCODE_SHA256")
			for _, v := range l.Versions {
				lock := "-"
				if v.InLock {
					lock = "lock"
				}
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\n", v.Number, orDash(created(v.Created)), lock, v.UsedBy, orDash(safetext.Name(v.CodeSHA256)))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(l.Functions) == 0 {
			fmt.Fprintln(tw, "  no function uses it")
		} else {
			fmt.Fprintln(tw, "  FUNCTION\tQUALIFIER\tALIASES\tVERSION\tBEHIND")
			for _, fn := range l.Functions {
				mark := ""
				if fn.Behind > 0 && fn.Watched() {
					mark = "  <- behind"
				}
				// Names come from Lambda's answers: escaped, they cannot act on the terminal.
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d%s\n", safetext.Name(fn.Function), safetext.Name(fn.Qualifier),
					orDash(safetext.Name(strings.Join(fn.Aliases, ","))), fn.Version, fn.Behind, mark)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// printStorage says each region's code storage: used, limit and share, or
// unknown and why.
func printStorage(w io.Writer, v accountView, storage []status.Storage) {
	for _, s := range storage {
		if s.Err != nil {
			fmt.Fprintf(w, "code storage in %s%s: unknown (%s)\n", s.Region, inAccount(v, s.Account), safetext.Text(s.Err.Error()))
			continue
		}
		fmt.Fprintf(w, "code storage in %s%s: %s of %s (%.1f%%)\n", s.Region, inAccount(v, s.Account), size.Text(s.Used), size.Text(s.Limit), percent(s))
	}
}

// inAccount is " of account ID" when the manifest names accounts, for
// the lines that say where something is.
func inAccount(v accountView, account string) string {
	if !v.column {
		return ""
	}
	return " of account " + orDash(v.of(account))
}

// warnStorage warns, on stderr, of a region past status.CrowdedAt of its
// code storage quota.
func warnStorage(f *Factory, v accountView, storage []status.Storage) {
	for _, s := range storage {
		if s.Crowded() {
			fmt.Fprintf(f.Err, "warning: code storage in %s%s is %.1f%% full (%s of %s): past the limit PublishLayerVersion fails with CodeStorageExceededException; layerctl prune --keep N deletes the versions nothing uses\n",
				s.Region, inAccount(v, s.Account), percent(s), size.Text(s.Used), size.Text(s.Limit))
		}
	}
}

func percent(s status.Storage) float64 {
	if s.Limit <= 0 {
		return 0
	}
	return 100 * float64(s.Used) / float64(s.Limit)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// statusRows are the report's configurations for the job summary.
func statusRows(v accountView, r *status.Report) []output.StatusRow {
	var rows []output.StatusRow
	for _, l := range r.Layers {
		for _, fn := range l.Functions {
			rows = append(rows, output.StatusRow{Layer: l.Layer, Region: l.Region + inAccount(v, l.Account), Function: fn.Function, Qualifier: fn.Qualifier,
				Aliases: fn.Aliases, Version: fn.Version, Latest: l.Latest, Behind: fn.Behind, Watched: fn.Watched()})
		}
	}
	return rows
}
