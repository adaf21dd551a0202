package cmd

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

type buildOptions struct {
	layers     []string
	outDir     string
	noCache    bool
	keepBuilds int
}

func newBuildCmd(f *Factory) *cobra.Command {
	opts := &buildOptions{}
	c := &cobra.Command{
		Use:   "build [LAYER...]",
		Short: "Build reproducible layer ZIPs into dist/ (offline)",
		Long: `Build writes one ZIP per layer, named <layer>-<first 12 hex of its sha256>.zip,
into dist/ beside the manifest (or --out). The same sources always give the
same bytes, whatever the files' times, owners, umask or the machine.
SOURCE_DATE_EPOCH, when set, is the timestamp of every entry, so part of
the digest: leave it unset or fixed (a commit time changes the digest, and
so the version publish makes, with every commit). The newest 3 builds of
each layer stay in the output folder (--keep-builds): older ZIPs and their
cache entries are removed, never a ZIP another layerctl is using.`,
		Example: `  layerctl build
  layerctl build shared-python --out build/
  layerctl build -o json | jq -r '.artifacts[].path'`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.layers = args
			return buildRun(c, f, opts)
		},
		ValidArgsFunction: completeLayers(f),
	}
	c.Flags().StringVar(&opts.outDir, "out", "", "folder for the ZIPs (default: dist/ beside the manifest)")
	c.Flags().BoolVar(&opts.noCache, "no-cache", false, "rebuild every layer, even those the build cache holds unchanged")
	c.Flags().IntVar(&opts.keepBuilds, "keep-builds", build.DefaultKeep, "builds of each layer kept in the output folder, older ZIPs removed (0 keeps all)")
	return c
}

func buildRun(c *cobra.Command, f *Factory, opts *buildOptions) error {
	if opts.keepBuilds < 0 {
		return usagef("--keep-builds must be 0 (keep every build) or more, not %d", opts.keepBuilds)
	}
	m, layers, err := selectLayers(f, opts.layers)
	if err != nil {
		return err
	}
	ro, err := buildRunOptions(f, m, layers, opts.outDir, opts.noCache)
	if err != nil {
		return err
	}
	ro.Keep = opts.keepBuilds
	if ro.Keep == 0 {
		ro.Keep = -1 // the domain's 0 is its default
	}
	report, err := build.Run(c.Context(), hasNoCacheFlag(f, ro))
	if err != nil {
		return buildStepError("build", err)
	}
	arts := report.Built()

	if f.Globals.JSON() {
		if err := output.JSON(f.Out, buildJSON(arts)); err != nil {
			return err
		}
	} else {
		printBuilt(f, arts)
	}
	return summarize(f, report.Errors, len(layers), "layers failed to build")
}

// printBuilt prints each artifact: its path, digests, sizes and files.
func printBuilt(f *Factory, arts []*layer.Artifact) {
	for _, a := range arts {
		fmt.Fprintf(f.Out, "%s  %s\n", a.Layer, a.Path)
		fmt.Fprintf(f.Out, "  sha256         %s\n", a.SHA256)
		fmt.Fprintf(f.Out, "  code_sha256    %s\n", a.CodeSHA256)
		fmt.Fprintf(f.Out, "  size           %d (%s)\n", a.Size, size.Text(a.Size))
		fmt.Fprintf(f.Out, "  unzipped_size  %d (%s)\n", a.UnzippedSize, size.Text(a.UnzippedSize))
		fmt.Fprintf(f.Out, "  files          %d\n", a.Files)
	}
}

// artifactJSON is the contract of `build --output json` (README: JSON output).
type artifactJSON struct {
	Layer         string   `json:"layer"`
	Path          string   `json:"path"`
	SHA256        string   `json:"sha256"`
	CodeSHA256    string   `json:"code_sha256"`
	Size          int64    `json:"size"`
	UnzippedSize  int64    `json:"unzipped_size"`
	Files         int      `json:"files"`
	Runtimes      []string `json:"runtimes"`
	Architectures []string `json:"architectures"`
}

func buildJSON(arts []*layer.Artifact) any {
	out := struct {
		Artifacts []artifactJSON `json:"artifacts"`
	}{Artifacts: []artifactJSON{}}
	for _, a := range arts {
		out.Artifacts = append(out.Artifacts, artifactJSON{a.Layer, a.Path, a.SHA256, a.CodeSHA256, a.Size, a.UnzippedSize, a.Files, a.Runtimes, a.Architectures})
	}
	return out
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (reproducible-builds.org): the
// timestamp every ZIP entry gets.
func sourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return layer.DefaultModified, nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < 0 {
		return time.Time{}, usagef("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC, not %q", v)
	}
	return time.Unix(secs, 0).UTC(), nil
}

// selectLayers loads the manifest and picks the layers named (all if none).
func selectLayers(f *Factory, names []string) (*manifest.Manifest, []*manifest.Layer, error) {
	m, err := loadManifest(f)
	if err != nil {
		return nil, nil, err
	}
	layers, err := m.Select(names)
	if err != nil {
		return nil, nil, err
	}
	return m, layers, nil
}

// buildRunOptions are the build step's options for the layers: ZIPs into
// outDir (--out; "" is dist/ beside the manifest), entries timed by
// SOURCE_DATE_EPOCH, each layer built or taken from the cache told on
// stderr.
func buildRunOptions(f *Factory, m *manifest.Manifest, layers []*manifest.Layer, outDir string, noCache bool) (build.RunOptions, error) {
	modified, err := sourceDateEpoch(f.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return build.RunOptions{}, err
	}
	label := ""
	if outDir != "" {
		label = "--out " + outDir
	}
	return build.RunOptions{Manifest: m, Layers: layers, OutDir: outDir, OutLabel: label, Modified: modified, NoCache: noCache,
		Tools: newTools(f), Built: builtReporter(f, layers, rebuildBuild)}, nil
}

// buildStepError is the error of a command whose build step failed: an
// output folder that cannot be used is invalid usage; an interruption
// says which command it stopped.
func buildStepError(command string, err error) error {
	var oe *build.OutputError
	var se *build.StoppedError
	switch {
	case errors.As(err, &oe):
		return &usageError{err}
	case errors.As(err, &se):
		return fmt.Errorf("%s %w", command, err)
	}
	return err
}

func loadManifest(f *Factory) (*manifest.Manifest, error) {
	m, err := manifest.LoadAt(f.Globals.Manifest, f.Now())
	if err != nil {
		return nil, err
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(f.Err, "warning: %s\n", w.String())
	}
	return m, nil
}

// completeLayers offers the manifest's layer names.
func completeLayers(f *Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		m, err := manifest.LoadAt(f.Globals.Manifest, f.Now())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, l := range m.Layers {
			names = append(names, l.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
