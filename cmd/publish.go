package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/awsclient"
	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/publish"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/manifest"
)

type publishOptions struct {
	layers      []string
	zip         string
	layer       string
	outDir      string
	dryRun      bool
	noCache     bool
	concurrency int
	shards      shardOptions
	command     string // the command run: names the sessions of the roles assumed
}

func newPublishCmd(f *Factory) *cobra.Command {
	opts := &publishOptions{}
	c := &cobra.Command{
		Use:   "publish [LAYER...]",
		Short: "Publish a new layer version where the content is new; record it in layerctl.lock",
		Long: `Publish builds each layer (the same bytes build makes), then in each of its
regions, concurrently, looks for a version that already holds this content
(by the digest layerctl puts in every description, confirmed by CodeSha256)
with the manifest's runtimes, architectures, license and description. If
there is one it is reported unchanged; otherwise a new version is published,
through S3 when the ZIP is too large to send inline (about 50 MB). Versions
are shared as the manifest's share says, and layerctl.lock records what is
where.`,
		Example: `  layerctl publish
  layerctl publish shared-python --region eu-west-1
  layerctl publish --dry-run
  layerctl publish --zip build/layer.zip --layer shared-python
  layerctl publish -o json | jq -r '.published[] | select(.status=="published") | .arn'`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.layers = args
			return publishRun(c, f, opts)
		},
		ValidArgsFunction: completeLayers(f),
	}
	fl := c.Flags()
	fl.BoolVar(&opts.dryRun, "dry-run", false, "say what would be uploaded and published, change nothing")
	fl.StringVar(&opts.zip, "zip", "", "publish this prebuilt ZIP (with --layer) instead of building")
	fl.StringVar(&opts.layer, "layer", "", "the manifest layer whose settings --zip is published with")
	fl.StringVar(&opts.outDir, "out", "", "folder for built ZIPs (default: dist/ beside the manifest)")
	fl.IntVar(&opts.concurrency, "concurrency", 8, "regions (of every account) published at once")
	addShardFlags(fl, &opts.shards)
	fl.BoolVar(&opts.noCache, "no-cache", false, "rebuild the layers before publishing, even when the build cache holds them")
	return c
}

func publishRun(c *cobra.Command, f *Factory, opts *publishOptions) error {
	if (opts.zip == "") != (opts.layer == "") {
		return usagef("--zip and --layer go together: --zip FILE --layer NAME")
	}
	if opts.zip != "" && len(opts.layers) > 0 {
		return usagef("give either layer names or --zip FILE --layer NAME, not both")
	}
	if opts.zip != "" && opts.noCache {
		return usagef("--no-cache rebuilds the layers; --zip publishes a ZIP built elsewhere: give one of them")
	}
	if opts.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	names := opts.layers
	if opts.layer != "" {
		names = []string{opts.layer}
	}
	shard, m, layers, err := selectUnits(f, names, &opts.shards)
	if m == nil {
		return err
	}
	opts.command = "publish"
	ro := publishStepOptions(f, m, layers, opts)
	ro.Shard = shard
	report, err := publish.Run(c.Context(), ro)
	if report != nil {
		tellLock(f, report)
	}
	if err != nil {
		return publishStepError(f, err)
	}
	view := viewOf(m, report.Caller)
	if !opts.dryRun {
		if err := githubOutputs(f, view, report.Results); err != nil {
			fmt.Fprintf(f.Err, "warning: %v\n", err)
		}
	}
	if err := printPublished(f, view, report.Results); err != nil {
		return err
	}
	return publishOutcome(f, report.Results)
}

// publishStepOptions are the publish step's options as the flags say.
func publishStepOptions(f *Factory, m *manifest.Manifest, layers []*manifest.Layer, opts *publishOptions) publish.RunOptions {
	ro := publish.RunOptions{
		Manifest: m, Layers: layers, Zip: opts.zip,
		Clients:       publishClients(f, m, opts.command),
		Regions:       regionFlag(f),
		DryRun:        opts.dryRun,
		Concurrency:   opts.concurrency,
		Log:           f.Err,
		UnknownRegion: func(r string) { warnUnknownRegion(f, r) },
		Waiting:       func(path string, pid int) { waitingForLock(f, path, pid) },
	}
	if f.ErrIsTerminal {
		ro.Progress = f.Err
	}
	ro.Build = func() (build.RunOptions, error) {
		bo, err := buildRunOptions(f, m, layers, opts.outDir, opts.noCache)
		return hasNoCacheFlag(f, bo), err
	}
	return ro
}

// publishOutcome is the error of a publish whose regions failed: each told.
// When the only failures are accounts whose role could not be assumed, and
// the other accounts were published, the run is partly done (exit 3).
func publishOutcome(f *Factory, results []publish.Result) error {
	var failed []error
	accountsOnly := true
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r.Err)
			var ae *units.AccountError
			accountsOnly = accountsOnly && errors.As(r.Err, &ae)
		}
	}
	err := summarize(f, failed, len(results), "publishes failed")
	if err != nil && accountsOnly && len(failed) < len(results) {
		return &partialError{err}
	}
	return err
}

// publishStepError is the error of a step that builds every layer before
// it publishes or attaches: the build's, each failed layer told.
func publishStepError(f *Factory, err error) error {
	var fe *build.FailedError
	if errors.As(err, &fe) {
		return summarize(f, fe.Errors, fe.Layers, "layers failed to build: nothing was published")
	}
	return buildStepError("publish", err)
}

// tellLock says on stderr what recording in layerctl.lock noticed and did.
func tellLock(f *Factory, r *publish.Report) {
	for _, w := range r.Warnings {
		fmt.Fprintf(f.Err, "warning: %s\n", w)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(f.Err, "note: %s\n", n)
	}
	if r.LockWritten {
		fmt.Fprintf(f.Err, "wrote %s\n", r.LockPath)
	}
	if r.ReleaseErr != nil {
		fmt.Fprintf(f.Err, "warning: releasing %s: %v\n", r.LockPath, r.ReleaseErr)
	}
}

// waitingForLock says that another layerctl has its turn with the lock file.
func waitingForLock(f *Factory, lockPath string, pid int) {
	who := ""
	if pid > 0 {
		who = fmt.Sprintf(" (pid %d)", pid)
	}
	fmt.Fprintf(f.Err, "waiting for another layerctl to finish with %s%s...\n", lockPath, who)
}

// publishClients makes the AWS clients once the step asks for them; the
// roles of the manifest's accounts are assumed as the step asks, in
// sessions naming the command.
func publishClients(f *Factory, m *manifest.Manifest, command string) func(context.Context) (*publish.Clients, error) {
	return func(ctx context.Context) (*publish.Clients, error) {
		clients, err := awsClients(ctx, f)
		if err != nil {
			return nil, err
		}
		return publishClientsOf(clients, ownAccount(ctx, f, clients), m, command), nil
	}
}

func publishClientsOf(c *awsclient.Clients, id string, m *manifest.Manifest, command string) *publish.Clients {
	return &publish.Clients{
		Lambda: func(r string) publish.LambdaAPI { return c.Lambda(r) },
		S3:     func(r string) publish.S3API { return c.S3(r) },
		Region: c.Region(),
		ID:     id,
		Lock:   lockClient(m, c),
		Account: func(ctx context.Context, a manifest.Account) (*publish.Clients, error) {
			assumed, err := c.Assume(ctx, a.Role, a.ExternalID, command)
			if err != nil {
				return nil, err
			}
			return publishClientsOf(assumed, a.ID, m, command), nil
		},
	}
}

// regionFlag is --region as a list: comma-separated, spaces trimmed.
func regionFlag(f *Factory) []string {
	if f.Globals.Region == "" {
		return nil
	}
	var out []string
	for _, r := range strings.Split(f.Globals.Region, ",") {
		out = append(out, strings.TrimSpace(r))
	}
	return out
}

// warnUnknownRegion warns of a region this layerctl does not know.
func warnUnknownRegion(f *Factory, r string) {
	fmt.Fprintf(f.Err, "warning: %s is not a region this layerctl knows%s; using it anyway\n", r, manifest.RegionHint(r))
}

// publishedJSON is the contract of `publish --output json` (README).
type publishedJSON struct {
	Layer      string `json:"layer"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	Version    int64  `json:"version"`
	ARN        string `json:"arn"`
	Status     string `json:"status"`
	CodeSHA256 string `json:"code_sha256"`
	Error      string `json:"error"` // why it failed; "" otherwise, as attach's
}

func publishJSON(v accountView, results []publish.Result) any {
	out := struct {
		Published []publishedJSON `json:"published"`
	}{Published: []publishedJSON{}}
	for _, r := range results {
		msg := ""
		if r.Err != nil {
			msg = r.Err.Error()
		}
		out.Published = append(out.Published, publishedJSON{r.Layer, v.of(r.Account), r.Region, r.Version, r.ARN, string(r.Status), r.CodeSHA256, msg})
	}
	return out
}

// printPublished prints a row per layer, region (and account, when the
// manifest names accounts): the version and what was done.
func printPublished(f *Factory, v accountView, results []publish.Result) error {
	if f.Globals.JSON() {
		return output.JSON(f.Out, publishJSON(v, results))
	}
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, v.head("LAYER\t", "REGION\tVERSION\tSTATUS\tARN"))
	for _, r := range results {
		version, arn := "-", r.ARN
		if r.Version > 0 {
			version = fmt.Sprint(r.Version)
		}
		if arn == "" {
			arn = "-"
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\n", r.Layer, v.cell(r.Account), r.Region, version, r.Status, arn)
	}
	return tw.Flush()
}

// githubOutputs hands the results to GitHub Actions when run there.
func githubOutputs(f *Factory, v accountView, results []publish.Result) error {
	rows := make([]output.PublishRow, len(results))
	for i, r := range results {
		rows[i] = output.PublishRow{Layer: r.Layer, Account: r.Account, Region: r.Region, Version: r.Version, Status: string(r.Status), ARN: r.ARN}
	}
	return output.GitHubPublish(f.Getenv("GITHUB_OUTPUT"), f.Getenv("GITHUB_STEP_SUMMARY"), rows)
}
