package cmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

type buildOptions struct {
	layers  []string
	outDir  string
	noCache bool
}

func newBuildCmd(f *Factory) *cobra.Command {
	opts := &buildOptions{}
	c := &cobra.Command{
		Use:   "build [LAYER...]",
		Short: "Build reproducible layer ZIPs into dist/ (offline)",
		Long: `Build writes one ZIP per layer, named <layer>-<first 12 hex of its sha256>.zip,
into dist/ beside the manifest (or --out). The same sources always give the
same bytes, whatever the files' times, owners, umask or the machine.
SOURCE_DATE_EPOCH, when set, is the timestamp of every entry.`,
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
	return c
}

func buildRun(c *cobra.Command, f *Factory, opts *buildOptions) error {
	m, layers, err := selectLayers(f, opts.layers)
	if err != nil {
		return err
	}
	out, modified, err := buildInputs(c.Context(), f, m, layers, opts.outDir)
	if err != nil {
		return err
	}

	built, errs, err := buildEach(c, f, m, layers, out, modified, opts.noCache)
	if err != nil {
		return fmt.Errorf("build %w", err)
	}
	var arts []*layer.Artifact
	for _, a := range built {
		if a != nil {
			arts = append(arts, a)
		}
	}

	if f.Globals.JSON() {
		if err := output.JSON(f.Out, buildJSON(arts)); err != nil {
			return err
		}
	} else {
		for _, a := range arts {
			fmt.Fprintf(f.Out, "%s  %s\n", a.Layer, a.Path)
			fmt.Fprintf(f.Out, "  sha256         %s\n", a.SHA256)
			fmt.Fprintf(f.Out, "  code_sha256    %s\n", a.CodeSHA256)
			fmt.Fprintf(f.Out, "  size           %d (%s)\n", a.Size, output.Bytes(a.Size))
			fmt.Fprintf(f.Out, "  unzipped_size  %d (%s)\n", a.UnzippedSize, output.Bytes(a.UnzippedSize))
			fmt.Fprintf(f.Out, "  files          %d\n", a.Files)
		}
	}
	return summarize(f, errs, len(layers), "layers failed to build")
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

// buildInputs checks that the layers' sources exist and that their package
// tools would run nothing the manifest does not allow, and says where their
// ZIPs go (--out, else dist/ beside the manifest; never a source folder or
// one holding a source) and the time their entries carry
// (SOURCE_DATE_EPOCH).
func buildInputs(ctx context.Context, f *Factory, m *manifest.Manifest, layers []*manifest.Layer, outDir string) (string, time.Time, error) {
	modified, err := sourceDateEpoch(f.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return "", time.Time{}, err
	}
	if err := m.CheckSources(layers); err != nil {
		return "", time.Time{}, err
	}
	if err := build.CheckInputs(ctx, m, layers, newTools(f)); err != nil {
		return "", time.Time{}, err
	}
	label := "--out " + outDir
	if outDir == "" {
		outDir = filepath.Join(m.Dir, "dist")
		label = ""
	}
	if err := build.CheckOutput(m, layers, outDir, label); err != nil {
		var oe *build.OutputError
		if errors.As(err, &oe) {
			return "", time.Time{}, &usageError{err}
		}
		return "", time.Time{}, err
	}
	return outDir, modified, nil
}

func loadManifest(f *Factory) (*manifest.Manifest, error) {
	m, err := manifest.Load(f.Globals.Manifest)
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
		m, err := manifest.Load(f.Globals.Manifest)
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
