package cmd

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/check"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/layer/publish"
	"github.com/layerctl/layerctl/manifest"
)

type publishOptions struct {
	layers      []string
	zip         string
	layer       string
	outDir      string
	dryRun      bool
	concurrency int
}

func newPublishCmd(f *Factory) *cobra.Command {
	opts := &publishOptions{}
	c := &cobra.Command{
		Use:   "publish [LAYER...]",
		Short: "Publish a new layer version where the content is new; record it in layerctl.lock",
		Long: `Publish builds each layer (the same bytes build makes), then in each of its
regions, concurrently, looks for a version that already holds this content
(by the digest layerctl puts in every description, confirmed by CodeSha256).
If there is one it is reported unchanged; otherwise a new version is
published, through S3 when the ZIP is over 50 MB. Versions are shared as the
manifest's share says, and layerctl.lock records what is where.`,
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
	fl.IntVar(&opts.concurrency, "concurrency", 8, "regions published at once")
	return c
}

func publishRun(c *cobra.Command, f *Factory, opts *publishOptions) error {
	ctx := c.Context()
	if (opts.zip == "") != (opts.layer == "") {
		return usagef("--zip and --layer go together: --zip FILE --layer NAME")
	}
	if opts.zip != "" && len(opts.layers) > 0 {
		return usagef("give either layer names or --zip FILE --layer NAME, not both")
	}
	if opts.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	names := opts.layers
	if opts.layer != "" {
		names = []string{opts.layer}
	}
	m, layers, err := selectLayers(f, names)
	if err != nil {
		return err
	}
	// Read now so that a broken lock file fails before any build; a run
	// that publishes reads it again in its turn (publishInTurn).
	lock, err := manifest.LoadLock(m.LockPath())
	if err != nil {
		return err
	}

	arts, err := publishArtifacts(c, f, m, layers, opts)
	if err != nil {
		return err
	}

	clients, err := awsClients(ctx, f)
	if err != nil {
		return err
	}
	var targets []publish.Target
	for i, l := range layers {
		regions, err := regionsFor(f, l, clients.Region())
		if err != nil {
			return err
		}
		targets = append(targets, publish.Target{Layer: l, Artifact: arts[i], Regions: regions})
	}

	po := publish.Options{
		Lambda:      func(r string) publish.LambdaAPI { return clients.Lambda(r) },
		S3:          func(r string) publish.S3API { return clients.S3(r) },
		DryRun:      opts.dryRun,
		Concurrency: opts.concurrency,
		Log:         f.Err,
	}
	if f.ErrIsTerminal {
		po.Progress = f.Err
	}
	var results []publish.Result
	if opts.dryRun {
		results = publish.Publish(ctx, targets, lock, po)
	} else {
		if results, err = publishInTurn(c, f, m.LockPath(), targets, po); err != nil {
			return err
		}
		if err := githubOutputs(f, results); err != nil {
			fmt.Fprintf(f.Err, "warning: %v\n", err)
		}
	}
	if err := printPublished(f, results); err != nil {
		return err
	}
	var failed []error
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r.Err)
		}
	}
	return summarize(f, failed, len(results), "publishes failed")
}

// publishInTurn publishes and records in layerctl.lock while this run has
// its turn with the lock file: runs at once in one checkout wait for each
// other, so the second finds the first's version (unchanged, not published
// twice) and adds its entries to what the first wrote.
func publishInTurn(c *cobra.Command, f *Factory, lockPath string, targets []publish.Target, po publish.Options) ([]publish.Result, error) {
	release, err := manifest.HoldLock(c.Context(), lockPath, func(pid int) {
		who := ""
		if pid > 0 {
			who = fmt.Sprintf(" (pid %d)", pid)
		}
		fmt.Fprintf(f.Err, "waiting for another layerctl to finish with %s%s...\n", lockPath, who)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: nothing was published", err)
	}
	defer func() {
		if err := release(); err != nil {
			fmt.Fprintf(f.Err, "warning: releasing %s: %v\n", lockPath, err)
		}
	}()
	// Read again: another run may have written it while this one built.
	lock, err := manifest.LoadLock(lockPath)
	if err != nil {
		return nil, err
	}
	results := publish.Publish(c.Context(), targets, lock, po)
	changed, notes := publish.Record(lock, targets, results)
	for _, n := range notes {
		fmt.Fprintf(f.Err, "note: %s\n", n)
	}
	if changed {
		if err := lock.Save(lockPath); err != nil {
			return nil, err
		}
		fmt.Fprintf(f.Err, "wrote %s\n", lockPath)
	}
	return results, nil
}

// publishArtifacts builds each layer, or takes the --zip given.
func publishArtifacts(c *cobra.Command, f *Factory, m *manifest.Manifest, layers []*manifest.Layer, opts *publishOptions) ([]*layer.Artifact, error) {
	if opts.zip != "" {
		a, err := check.ArtifactFromZip(c.Context(), opts.zip, layers[0])
		if err != nil {
			return nil, err
		}
		return []*layer.Artifact{a}, nil
	}
	out, modified, err := buildInputs(c.Context(), f, m, layers, opts.outDir)
	if err != nil {
		return nil, err
	}
	arts, errs, err := buildEach(c, f, m, layers, out, modified, false)
	if err != nil {
		return nil, fmt.Errorf("publish %w", err)
	}
	if err := summarize(f, errs, len(layers), "layers failed to build: nothing was published"); err != nil {
		return nil, err
	}
	return arts, nil
}

// regionsFor picks a layer's regions: --region, else the manifest's, else
// the SDK's configured region. A region named twice is kept once, where it
// first appears: publishing it twice at once would race for one version.
func regionsFor(f *Factory, l *manifest.Layer, configured string) ([]string, error) {
	var regions []string
	switch {
	case f.Globals.Region != "":
		for _, r := range strings.Split(f.Globals.Region, ",") {
			if r = strings.TrimSpace(r); r != "" && !slices.Contains(regions, r) {
				regions = append(regions, r)
			}
		}
	case len(l.Regions) > 0:
		regions = l.Regions
	case configured != "":
		regions = []string{configured}
	default:
		return nil, fmt.Errorf("no region for layer %q: set regions: in the manifest (layer or defaults), pass --region, or set AWS_REGION", l.Name)
	}
	for _, r := range regions {
		if !lambdafacts.ValidRegion(r) {
			return nil, fmt.Errorf("%q is not an AWS region%s: regions look like us-east-1 or eu-west-2", r, manifest.RegionHint(r))
		}
		if !lambdafacts.KnownRegion(r) {
			fmt.Fprintf(f.Err, "warning: %s is not a region this layerctl knows%s; using it anyway\n", r, manifest.RegionHint(r))
		}
	}
	return regions, nil
}

// publishedJSON is the contract of `publish --output json` (README).
type publishedJSON struct {
	Layer      string `json:"layer"`
	Region     string `json:"region"`
	Version    int64  `json:"version"`
	ARN        string `json:"arn"`
	Status     string `json:"status"`
	CodeSHA256 string `json:"code_sha256"`
}

func printPublished(f *Factory, results []publish.Result) error {
	if f.Globals.JSON() {
		out := struct {
			Published []publishedJSON `json:"published"`
		}{Published: []publishedJSON{}}
		for _, r := range results {
			out.Published = append(out.Published, publishedJSON{r.Layer, r.Region, r.Version, r.ARN, string(r.Status), r.CodeSHA256})
		}
		return output.JSON(f.Out, out)
	}
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tREGION\tVERSION\tSTATUS\tARN")
	for _, r := range results {
		version, arn := "-", r.ARN
		if r.Version > 0 {
			version = fmt.Sprint(r.Version)
		}
		if arn == "" {
			arn = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Layer, r.Region, version, r.Status, arn)
	}
	return tw.Flush()
}

// githubOutputs hands the results to GitHub Actions when run there.
func githubOutputs(f *Factory, results []publish.Result) error {
	rows := make([]output.PublishRow, len(results))
	for i, r := range results {
		rows[i] = output.PublishRow{Layer: r.Layer, Region: r.Region, Version: r.Version, Status: string(r.Status), ARN: r.ARN}
	}
	return output.GitHubPublish(f.Getenv("GITHUB_OUTPUT"), f.Getenv("GITHUB_STEP_SUMMARY"), rows)
}
