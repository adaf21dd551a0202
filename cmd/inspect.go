package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer/check"
)

type inspectOptions struct {
	zip   string
	depth int
	check.InspectOptions
}

// errFindings marks an inspect whose ZIP has problems: exit 1, after the report.
var errFindings = errors.New("the ZIP has problems (see the findings above)")

func newInspectCmd(f *Factory) *cobra.Command {
	opts := &inspectOptions{}
	c := &cobra.Command{
		Use:   "inspect ZIP",
		Short: "Show a layer ZIP's contents, largest entries and problems",
		Long: `Inspect reads any layer ZIP (built by layerctl or downloaded from AWS) without
unpacking it: the entries as a tree with sizes, the ten largest files, and
what Lambda would make of them: content outside the paths the runtimes read,
native code for the wrong machine, unsafe entry names, size limits.
With --runtime and --architecture the checks are those of build, and problems
make the exit code 1.`,
		Example: `  layerctl inspect dist/shared-python-0123456789ab.zip
  layerctl inspect layer.zip --runtime python3.12 --architecture arm64
  layerctl inspect layer.zip -o json | jq '.findings'`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.zip = args[0]
			return inspectRun(c, f, opts)
		},
	}
	c.Flags().StringSliceVar(&opts.Runtimes, "runtime", nil, "runtime the layer is for (repeatable), e.g. python3.12")
	c.Flags().StringSliceVar(&opts.Architectures, "architecture", nil, "architecture the layer is for: x86_64 or arm64 (repeatable)")
	c.Flags().IntVar(&opts.depth, "depth", 3, "fold folders deeper than this in the tree (0: show everything)")
	return c
}

func inspectRun(c *cobra.Command, f *Factory, opts *inspectOptions) error {
	if err := validateTargets(opts.Runtimes, opts.Architectures); err != nil {
		return err
	}
	r, err := check.Inspect(c.Context(), opts.zip, opts.InspectOptions)
	if err != nil {
		return err
	}
	if f.Globals.JSON() {
		if err := output.JSON(f.Out, r); err != nil {
			return err
		}
	} else {
		printReport(f, r, opts.depth)
	}
	if r.HasErrors() {
		return errFindings
	}
	return nil
}

func printReport(f *Factory, r *check.Report, depth int) {
	w := f.Out
	// Names from the ZIP are escaped when they hold control characters: a
	// ZIP from elsewhere must not act on the terminal that lists it. The
	// JSON output has them exact (encoding/json escapes them).
	fmt.Fprintf(w, "%s\n", safetext.Name(r.Path))
	fmt.Fprintf(w, "  sha256         %s\n", r.SHA256)
	fmt.Fprintf(w, "  code_sha256    %s\n", r.CodeSHA256)
	fmt.Fprintf(w, "  size           %d (%s)\n", r.Size, size.Text(r.Size))
	fmt.Fprintf(w, "  unzipped_size  %d (%s)\n", r.UnzippedSize, size.Text(r.UnzippedSize))
	fmt.Fprintf(w, "  files          %d\n\n", r.Files)

	tree := make([]output.TreeEntry, 0, len(r.Entries))
	for _, e := range r.Entries {
		note := e.Machine
		if e.Type == "symlink" {
			note = "-> " + safetext.Name(e.Target)
		}
		tree = append(tree, output.TreeEntry{Path: e.Path, Size: e.Size, Note: note})
	}
	output.Tree(w, tree, depth)

	if len(r.Largest) > 0 {
		fmt.Fprintf(w, "\nlargest files:\n")
		for _, e := range r.Largest {
			fmt.Fprintf(w, "  %10s  %s\n", size.Text(e.Size), safetext.Name(e.Path))
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\nfindings:\n")
		for _, fd := range r.Findings {
			fmt.Fprintf(w, "  %s\n", safetext.Text(fd.String()))
		}
	} else {
		fmt.Fprintf(w, "\nfindings: none\n")
	}
}
