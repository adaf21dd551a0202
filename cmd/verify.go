package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/layer/verify"
)

type verifyOptions struct {
	layers  []string
	outDir  string
	noCache bool
	zip     string
	verify.Options
}

// errVerifyFailed marks a verify that found a layer that would not work: exit 1, after the report.
var errVerifyFailed = errors.New("verify found problems (see above)")

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

Native code this machine cannot load (another CPU, another CPython version)
is skipped and said so; its ELF header is still checked. With --zip it
verifies any ZIP instead, for the --runtime and --architecture given.`,
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
	fmt.Fprintf(w, "  result: %d ok, %d skipped, %d warning, %d failed", r.Count(verify.CheckOK), r.Count(verify.CheckSkipped), r.Count(verify.CheckWarning), r.Count(verify.CheckFailed))
	if r.Failed() {
		fmt.Fprintf(w, ": FAILED\n")
	} else {
		fmt.Fprintf(w, ": passed\n")
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none given)"
	}
	return strings.Join(s, ", ")
}
