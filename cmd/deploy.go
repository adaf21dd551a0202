package cmd

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer/attach"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/deploy"
	"github.com/layerctl/layerctl/layer/publish"
)

type deployOptions struct {
	layers  []string
	outDir  string
	noCache bool
	attach  attachOptions // the flags of attach that deploy takes; dryRun, concurrency too
}

func newDeployCmd(f *Factory) *cobra.Command {
	opts := &deployOptions{}
	a := &opts.attach
	c := &cobra.Command{
		Use:   "deploy [LAYER...]",
		Short: "Build, publish and attach in one run, each step skipping what it has nothing to do for",
		Long: `Deploy is build, publish and attach in a row: it builds the layers (the
build cache skips what has not changed), publishes each one's content in
its regions where no version holds it yet (recording it in layerctl.lock),
and moves the functions onto the versions, as attach does: those the
manifest's attach names, else those already using the layer.

A layer whose publish failed in a region is not attached (its functions
stay as they are). With --dry-run it builds, then says what publish and
attach would do, changing nothing; a layer whose content is not published
yet cannot be planned for attach then, and says so.

The exit code is the worst of the steps': 1 (failed) over 3 (partly done)
over 0.`,
		Example: `  layerctl deploy
  layerctl deploy shared-python --dry-run
  layerctl deploy --function orders-api --publish-version --alias live
  layerctl deploy -o json | jq '{built: [.artifacts[].path], published: [.published[].arn], functions: [.functions[] | {function, status}]}'`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.layers = args
			return deployRun(c, f, opts)
		},
		ValidArgsFunction: completeLayers(f),
	}
	fl := c.Flags()
	fl.BoolVar(&a.dryRun, "dry-run", false, "build, then say what would be published and attached; change nothing in AWS")
	fl.StringVar(&opts.outDir, "out", "", "folder for the ZIPs (default: dist/ beside the manifest)")
	fl.BoolVar(&opts.noCache, "no-cache", false, "rebuild every layer, even those the build cache holds unchanged")
	addAttachFlags(fl, a)
	addShardFlags(fl, &a.shards)
	a.pacingFlags.add(fl, "at most this many regions published, and AWS calls of attach in flight, at once",
		"attach's calls per second other than GetFunction (Lambda allows 15 per account and region); 0 paces nothing")
	return c
}

func deployRun(c *cobra.Command, f *Factory, opts *deployOptions) error {
	tags, err := checkAttachFlags(&opts.attach)
	if err != nil {
		return err
	}
	shard, m, layers, err := selectUnits(f, opts.layers, &opts.attach.shards)
	if m == nil {
		return err
	}
	bo, err := buildRunOptions(f, m, layers, opts.outDir, opts.noCache)
	if err != nil {
		return err
	}
	dryRun := opts.attach.dryRun
	po := publishStepOptions(f, m, layers, &publishOptions{dryRun: dryRun, outDir: opts.outDir, concurrency: opts.attach.concurrency, command: "deploy"})
	ao := attachStepOptions(f, m, layers, &opts.attach, tags, "deploy")
	// What attach builds (a layer the lock does not record, under
	// --dry-run) the build step built already: the cache gives it back,
	// untold.
	ao.Build = func() (build.RunOptions, error) {
		quiet := bo
		quiet.Built = nil
		return quiet, nil
	}
	report, err := deploy.Run(c.Context(), deploy.RunOptions{Manifest: m, Layers: layers, Build: bo, Publish: po, Attach: ao, DryRun: dryRun, Shard: shard})
	if err != nil {
		var fe *build.FailedError
		if errors.As(err, &fe) {
			return summarize(f, fe.Errors, fe.Layers, "layers failed to build: nothing was published")
		}
		return buildStepError("deploy", err)
	}
	view := viewOf(m, deployCaller(report))
	if report.Publish != nil {
		tellLock(f, report.Publish)
		if !dryRun && report.PublishErr == nil {
			if err := githubOutputs(f, view, report.Publish.Results); err != nil {
				fmt.Fprintf(f.Err, "warning: %v\n", err)
			}
		}
	}
	if err := printDeployed(f, view, report); err != nil {
		return err
	}
	for _, s := range report.NotAttached {
		where := s.Layer
		if s.Account != "" {
			where += " in account " + s.Account
		}
		fmt.Fprintf(f.Err, "deploy: %s not attached: %s\n", where, safetext.Text(s.Reason))
	}
	var errs []error
	if report.PublishErr != nil {
		errs = append(errs, report.PublishErr)
	} else if report.Publish != nil {
		errs = append(errs, publishOutcome(f, report.Publish.Results))
	}
	if report.Attach != nil {
		errs = append(errs, attachOutcome(f, report.Attach, report.AttachErr))
	}
	return worstError(f, errs...)
}

// deployJSON is the contract of `deploy --output json` (README): each list
// exactly as its own command prints it.
type deployJSON struct {
	Artifacts json.RawMessage `json:"artifacts"`
	Published json.RawMessage `json:"published"`
	Functions json.RawMessage `json:"functions"`
}

// deployCaller is the account of the run's own credentials, as the steps
// learnt it.
func deployCaller(r *deploy.Report) string {
	switch {
	case r.Publish != nil && r.Publish.Caller != "":
		return r.Publish.Caller
	case r.Attach != nil:
		return r.Attach.Caller
	}
	return ""
}

func deployOutput(v accountView, r *deploy.Report) (any, error) {
	var out deployJSON
	var err1, err2, err3 error
	out.Artifacts, err1 = listOf(buildJSON(r.Artifacts), "artifacts")
	var published []publish.Result
	if r.Publish != nil {
		published = r.Publish.Results
	}
	out.Published, err2 = listOf(publishJSON(v, published), "published")
	functions := &attach.Report{}
	if r.Attach != nil {
		functions = r.Attach
	}
	out.Functions, err3 = listOf(attachJSON(v, functions), "functions")
	return out, errors.Join(err1, err2, err3)
}

// listOf is the list under key in a command's JSON output v.
func listOf(v any, key string) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m[key], nil
}

// printDeployed prints each step's report as its own command does: the
// artifacts, the publish table, the attach table (text), or one JSON
// object.
func printDeployed(f *Factory, v accountView, r *deploy.Report) error {
	if f.Globals.JSON() {
		out, err := deployOutput(v, r)
		if err != nil {
			return err
		}
		return output.JSON(f.Out, out)
	}
	printBuilt(f, r.Artifacts)
	if r.Publish != nil {
		fmt.Fprintln(f.Out)
		if err := printPublished(f, v, r.Publish.Results); err != nil {
			return err
		}
	}
	if r.Attach != nil {
		fmt.Fprintln(f.Out)
		return printAttached(f, v, r.Attach)
	}
	return nil
}

// worstError is the error whose exit code is the worst (invalid over
// failed over partly done); the others are told on stderr first.
func worstError(f *Factory, errs ...error) error {
	rank := map[int]int{ExitOK: 0, ExitPartial: 1, ExitFailed: 2, ExitInvalid: 3}
	var worst error
	for _, err := range errs {
		var ce *crash.Error
		if errors.As(err, &ce) {
			return err // a bug: it says so alone (see internalError)
		}
		if err != nil && (worst == nil || rank[exitCode(err)] > rank[exitCode(worst)]) {
			worst = err
		}
	}
	for _, err := range errs {
		if err != nil && err != worst {
			fmt.Fprintf(f.Err, "layerctl: %s\n", indentLines(safetext.Text(err.Error())))
		}
	}
	return worst
}
