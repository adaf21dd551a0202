package cmd

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/layer/verify"
)

type verifyOptions struct {
	layers     []string
	outDir     string
	noCache    bool
	zip        string
	allowEmpty bool
	verify.Options
}

// errVerifyFailed marks a verify that found a layer that would not work: exit 1, after the report.
var errVerifyFailed = errors.New("verify found problems (see above)")

// errNothingVerified marks a verify that loaded nothing of a layer, so
// showed nothing of it to work: exit 1, after the report.
var errNothingVerified = errors.New("verify loaded nothing from a layer (see above), so nothing shows it works: a layer with nothing to load passes with --allow-empty")

func newVerifyCmd(f *Factory) *cobra.Command {
	opts := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify [LAYER...]",
		Short: "Unpack layers as Lambda does and import their packages with the local python3/node",
		Long: `Verify builds the layers (the build cache makes this free when nothing
changed), unpacks each ZIP into a temporary folder laid out as Lambda lays
out /opt, and imports every top-level Python module or requires every
Node.js package with the local python3 or node, with PYTHONPATH, NODE_PATH,
PATH and LD_LIBRARY_PATH set as the Lambda runtime sets them.

For Node.js, the packages required are those a function would require:
the dependencies of the layer's nodejs/package.json, else the packages no
other package of the layer depends on (the rest load through them). For
Python, the modules the installed distributions declare, and code no
distribution installed.

What this machine cannot load (native code for another CPU, another
CPython; types, platform binaries) is skipped with the reason; its ELF
header is still checked. A layer where nothing could be loaded is "nothing
verified", exit code 1, unless --allow-empty. With --zip it verifies any
ZIP instead, for the --runtime and --architecture given.`,
		Example: `  layerctl verify
  layerctl verify shared-python -o json
  layerctl verify --zip layer.zip --runtime python3.12 --architecture arm64`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.layers = args
			return verifyRun(c, f, opts)
		},
		ValidArgsFunction: completeLayers(f),
	}
	c.Flags().StringVar(&opts.outDir, "out", "", "folder for the ZIPs (default: dist/ beside the manifest)")
	c.Flags().BoolVar(&opts.noCache, "no-cache", false, "rebuild the layers even when the build cache holds them")
	c.Flags().StringVar(&opts.zip, "zip", "", "verify this ZIP instead of the manifest's layers")
	c.Flags().StringSliceVar(&opts.Runtimes, "runtime", nil, "with --zip: runtime the layer is for (repeatable)")
	c.Flags().StringSliceVar(&opts.Architectures, "architecture", nil, "with --zip: architecture the layer is for (repeatable)")
	c.Flags().BoolVar(&opts.allowEmpty, "allow-empty", false, "pass a layer where nothing could be loaded here (all skipped, or nothing to load)")
	return c
}

func verifyRun(c *cobra.Command, f *Factory, opts *verifyOptions) error {
	ro := verify.RunOptions{Zip: opts.zip, Options: opts.Options}
	if opts.zip != "" {
		if len(opts.layers) > 0 {
			return usagef("give either LAYER names or --zip, not both")
		}
		if err := validateTargets(opts.Runtimes, opts.Architectures); err != nil {
			return err
		}
		ro.Tools = newTools(f)
	} else {
		if len(opts.Runtimes) > 0 || len(opts.Architectures) > 0 {
			return usagef("--runtime and --architecture go with --zip; a manifest's layers declare their own")
		}
		m, layers, err := selectLayers(f, opts.layers)
		if err != nil {
			return err
		}
		if ro.Build, err = buildRunOptions(f, m, layers, opts.outDir, opts.noCache); err != nil {
			return err
		}
		ro.Build = hasNoCacheFlag(f, ro.Build)
	}
	result, err := verify.Run(c.Context(), ro)
	if err != nil {
		return buildStepError("verify", err)
	}
	reports, errs := result.Reports, result.Errors

	if f.Globals.JSON() {
		if reports == nil {
			reports = []*verify.Report{}
		}
		if err := output.JSON(f.Out, map[string]any{"reports": reports}); err != nil {
			return err
		}
	} else {
		for _, r := range reports {
			printVerify(f, r)
		}
	}
	failed := result.Failed()
	switch {
	case len(errs) == 1 && !failed:
		return errs[0]
	case len(errs) > 0:
		for _, err := range errs {
			fmt.Fprintf(f.Err, "layerctl: %s\n", indentLines(err.Error()))
		}
		return errVerifyFailed
	case failed:
		return errVerifyFailed
	case !opts.allowEmpty && slices.ContainsFunc(reports, (*verify.Report).NothingVerified):
		return errNothingVerified
	}
	return nil
}

func printVerify(f *Factory, r *verify.Report) {
	w := f.Out
	name := r.Layer
	if name == "" {
		name = r.Path
	} else {
		name += "  " + r.Path
	}
	fmt.Fprintf(w, "%s\n", name)
	fmt.Fprintf(w, "  for %s on %s; checked on %s\n", orNone(r.Runtimes), orNone(r.Architectures), r.Machine)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %s\n", c)
	}
	for _, fd := range r.Findings {
		fmt.Fprintf(w, "  %s\n", fd)
	}
	skipped := fmt.Sprintf("%d skipped", r.Count(verify.CheckSkipped))
	if why := r.Skipped(); why != "" {
		skipped += " (" + why + ")"
	}
	verdict := r.Verdict
	if verdict != verify.VerdictPassed {
		verdict = strings.ToUpper(verdict)
	}
	fmt.Fprintf(w, "  result: %d ok, %s, %d warning, %d failed: %s\n", r.Count(verify.CheckOK), skipped, r.Count(verify.CheckWarning), r.Count(verify.CheckFailed), verdict)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none given)"
	}
	return strings.Join(s, ", ")
}
