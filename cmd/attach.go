package cmd

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/attach"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

type attachOptions struct {
	layers         []string
	functions      []string
	tags           []string
	version        int64
	publishVersion bool
	alias          string
	atomic         bool
	dryRun         bool
	allowBlocked   bool
	timeout        time.Duration
	shards         shardOptions
	pacingFlags    // --concurrency, --rate
}

func newAttachCmd(f *Factory) *cobra.Command {
	opts := &attachOptions{}
	c := &cobra.Command{
		Use:   "attach [LAYER...]",
		Short: "Move functions onto the layer's version: every other layer kept, safely, in bulk",
		Long: `Attach points functions at the layer's version in each of its regions: the
version layerctl.lock records, else the newest one holding the layer's
content, or --version N (a rollback).

The functions are those named with --function and those carrying every
--tag; without flags, the manifest's attach: {functions, tags}; without
either, every function already using some version of the layer.

Each function's Layers list is kept as it is, in the same order, with only
this layer's ARN replaced (or appended, for a named function that does not
use it yet). A function is refused, with the reason, when it would have more
than 5 layers, when its runtime or architecture is not among the version's,
when it is a container image, or when it would be over 250 MB unzipped.
Updates carry the RevisionId that was read: a function someone else changed
meanwhile is read and planned again, keeping their change. Updates in
progress are waited out, throttles backed off, and each update is waited for
until Lambda says it ended.`,
		Example: `  layerctl attach
  layerctl attach shared-python --dry-run
  layerctl attach shared-python --function orders-api --function billing-api
  layerctl attach shared-python --tag team=payments --publish-version --alias live
  layerctl attach shared-python --version 6 --atomic          # roll back to version 6
  layerctl attach -o json | jq -r '.functions[] | select(.status=="failed") | .function'`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.layers = args
			return attachRun(c, f, opts)
		},
		ValidArgsFunction: completeLayers(f),
	}
	fl := c.Flags()
	addAttachFlags(fl, opts)
	fl.Int64Var(&opts.version, "version", 0, "attach this layer version instead of the lock's (a rollback); one layer only")
	fl.BoolVar(&opts.dryRun, "dry-run", false, "read the functions and print the plan; change nothing")
	opts.pacingFlags.add(fl, "AWS calls in flight at once, over every function and region",
		"calls per second other than GetFunction (Lambda allows 15 per account and region for them all; GetFunction is paced at 80 of its 100); 0 paces nothing")
	addShardFlags(fl, &opts.shards)
	return c
}

// addAttachFlags adds the flags that say which functions attach moves and
// how, which attach and deploy share.
func addAttachFlags(fl *pflag.FlagSet, opts *attachOptions) {
	fl.StringArrayVar(&opts.functions, "function", nil, "a function to attach to, by name or ARN (repeatable); replaces the manifest's attach targets")
	fl.StringArrayVar(&opts.tags, "tag", nil, "attach to the functions carrying tag KEY=VALUE (repeatable: all must match); replaces the manifest's attach targets")
	fl.BoolVar(&opts.publishVersion, "publish-version", false, "publish a function version of what was set, after each update")
	fl.StringVar(&opts.alias, "alias", "", "then point this alias at the published version (implies --publish-version)")
	fl.BoolVar(&opts.atomic, "atomic", false, "if any function fails, put every function already changed back as it was")
	fl.BoolVar(&opts.allowBlocked, "allow-blocked-runtimes", false, "try to update functions whose runtime AWS has blocked for updates, instead of refusing them")
	fl.DurationVar(&opts.timeout, "timeout", 15*time.Minute, "the longest wait for one function's update to end, or for its new version to be Active before --alias moves (SnapStart)")
}

func attachRun(c *cobra.Command, f *Factory, opts *attachOptions) error {
	tags, err := checkAttachFlags(opts)
	if err != nil {
		return err
	}
	shard, m, layers, err := selectUnits(f, opts.layers, &opts.shards)
	if m == nil {
		return err
	}
	if opts.version > 0 && len(layers) != 1 {
		return usagef("--version N names a version of one layer: give that layer's name (layers: %s)", strings.Join(layerNames(layers), ", "))
	}
	ro := attachStepOptions(f, m, layers, opts, tags, "attach")
	ro.Shard = shard
	report, err := attach.Run(c.Context(), ro)
	if report == nil {
		return publishStepError(f, err)
	}
	if perr := printAttached(f, viewOf(m, report.Caller), report); perr != nil {
		return perr
	}
	return attachOutcome(f, report, err)
}

// checkAttachFlags checks attach's flags, and returns the --tag ones.
func checkAttachFlags(opts *attachOptions) (map[string]string, error) {
	if err := opts.pacingFlags.check(); err != nil {
		return nil, err
	}
	if opts.timeout <= 0 {
		return nil, usagef("--timeout must be more than 0, e.g. --timeout 10m")
	}
	if opts.version < 0 {
		return nil, usagef("--version must be a layer version number, 1 or more")
	}
	for _, fn := range opts.functions {
		if msg := manifest.CheckFunction(fn); msg != "" {
			return nil, usagef("--function: %s", msg)
		}
	}
	tags := map[string]string{}
	for _, t := range opts.tags {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return nil, usagef("--tag %q: write KEY=VALUE, e.g. --tag team=payments", t)
		}
		if msg := manifest.CheckTag(k, v); msg != "" {
			return nil, usagef("--tag: %s", msg)
		}
		tags[k] = v
	}
	if opts.alias != "" {
		if !aliasName.MatchString(opts.alias) || allDigits.MatchString(opts.alias) {
			return nil, usagef("--alias %q is not an alias name: 1 to 128 letters, digits, hyphens (-) or underscores (_), not only digits", opts.alias)
		}
		opts.publishVersion = true
	}
	return tags, nil
}

// attachStepOptions are the attach step's options as the flags say.
func attachStepOptions(f *Factory, m *manifest.Manifest, layers []*manifest.Layer, opts *attachOptions, tags map[string]string, command string) attach.RunOptions {
	ro := attach.RunOptions{
		Manifest: m, Layers: layers, Version: opts.version, Functions: opts.functions, Tags: tags,
		Clients:       stepClients(f, m, command, func(c *lambda.Client) attach.API { return c }),
		Regions:       regionFlag(f),
		UnknownRegion: func(r string) { warnUnknownRegion(f, r) },
		Building: func(ls []*manifest.Layer) {
			fmt.Fprintf(f.Err, "%s: not in %s; building to find the published version by its content\n", strings.Join(layerNames(ls), ", "), m.Lock.String())
		},
		Options: attach.Options{
			DryRun:         opts.dryRun,
			Atomic:         opts.atomic,
			PublishVersion: opts.publishVersion,
			Alias:          opts.alias,
			Concurrency:    opts.concurrency,
			Rate:           opts.rate,
			ReadRate:       readRate(opts.rate),
			Log:            f.Err,
			Now:            f.Now,

			AllowBlockedRuntimes: opts.allowBlocked,
			UpdateTimeout:        opts.timeout,
		},
	}
	ro.Build = func() (build.RunOptions, error) { return buildRunOptions(f, m, layers, "", false) }
	return ro
}

// attachOutcome tells what attach did, in a line on stderr, and returns
// the error of its run (err) or of its functions not attached as asked.
func attachOutcome(f *Factory, report *attach.Report, err error) error {
	if report.RolledBack {
		fmt.Fprintf(f.Err, "--atomic: a function failed or the run was stopped; the functions already changed were put back (see rolled-back)\n")
	}
	if len(report.Functions) == 0 && err == nil {
		for _, hint := range noFunctionsHints(report) {
			fmt.Fprintf(f.Err, "attach: %s\n", hint)
		}
		return nil
	}
	fmt.Fprintf(f.Err, "attach: %s\n", report.Summary())
	if err != nil {
		return err
	}
	if n := report.Problems(); n > 0 {
		if !anyAsAsked(report) {
			// Nothing was done: a failure, not "partly done".
			return fmt.Errorf("none of the %d functions was attached as asked; see the report", len(report.Functions))
		}
		return &partialError{fmt.Errorf("%d of %d functions were not attached as asked; see the report", n, len(report.Functions))}
	}
	return nil
}

// noFunctionsHints say, layer by layer, where no function was found and
// how to name some.
func noFunctionsHints(report *attach.Report) []string {
	var out []string
	for _, l := range report.Looked {
		where := strings.Join(l.Regions, ", ")
		if l.ByUse {
			out = append(out, fmt.Sprintf("no function uses layer %s in %s: name functions with --function NAME or --tag KEY=VALUE, or attach: in the manifest", l.Layer, where))
			continue
		}
		var tags []string
		for k, v := range l.Tags {
			tags = append(tags, k+"="+v)
		}
		slices.Sort(tags)
		out = append(out, fmt.Sprintf("no function in %s carries the tags %s (layer %s): check them, or name functions with --function NAME", where, strings.Join(tags, ", "), l.Layer))
	}
	if len(out) == 0 {
		out = append(out, "no functions")
	}
	return out
}

// anyAsAsked reports whether some function ended as asked: attached,
// already on the version, or (--dry-run) would be.
func anyAsAsked(report *attach.Report) bool {
	return slices.ContainsFunc(report.Functions, func(r attach.FunctionResult) bool {
		return r.Status == layer.StatusAttached || r.Status == layer.StatusUnchanged || r.Status == layer.StatusWouldAttach
	})
}

var (
	aliasName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	allDigits = regexp.MustCompile(`^[0-9]+$`)
)

func layerNames(ls []*manifest.Layer) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

// attachedJSON is the contract of `attach --output json` (README).
type attachedJSON struct {
	Function string   `json:"function"`
	Account  string   `json:"account"`
	Region   string   `json:"region"`
	Status   string   `json:"status"`
	From     []string `json:"from"`
	To       []string `json:"to"`
	Error    string   `json:"error"`
}

func attachJSON(v accountView, report *attach.Report) any {
	out := struct {
		Functions []attachedJSON `json:"functions"`
	}{Functions: []attachedJSON{}}
	for _, r := range report.Functions {
		msg := ""
		if r.Err != nil {
			msg = r.Err.Error()
		}
		out.Functions = append(out.Functions, attachedJSON{r.Function, v.of(r.Account), r.Region, string(r.Status), nonNil(r.From), nonNil(r.To), msg})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// printAttached prints the report: the table (or JSON) on stdout, the
// reasons on stderr.
func printAttached(f *Factory, v accountView, report *attach.Report) error {
	if f.Globals.JSON() {
		return output.JSON(f.Out, attachJSON(v, report))
	}
	if len(report.Functions) == 0 {
		return nil // no table of nothing: stderr says why
	}
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, v.head("FUNCTION\t", "REGION\tSTATUS\tFROM\tTO"))
	for _, r := range report.Functions {
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\n", orDash(r.Function), v.cell(r.Account), r.Region, r.Status, layerList(r.From), layerList(r.To))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range report.Functions {
		if r.Err == nil {
			continue
		}
		where := r.Function + " " + r.Region
		switch {
		case r.Function == "":
			where = r.Region + " of account " + v.of(r.Account)
		case r.Account != "":
			where += " of account " + r.Account
		}
		fmt.Fprintf(f.Err, "%s: %s: %s\n", where, r.Status, indentLines(safetext.Text(r.Err.Error())))
	}
	return nil
}

// layerList is a Layers list as NAME:VERSION, comma-separated, in order;
// "-" for none.
func layerList(arns []string) string {
	if len(arns) == 0 {
		return "-"
	}
	out := make([]string, len(arns))
	for i, a := range arns {
		out[i] = a
		if j := strings.Index(a, ":layer:"); j >= 0 {
			out[i] = a[j+len(":layer:"):]
		}
	}
	return strings.Join(out, ",")
}
