package cmd

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/output"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/layer/starter"
)

func newInitCmd(f *Factory) *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "init",
		Short: "Write a commented layerctl.yaml for this folder (never over an existing one)",
		Long: `Init looks at the manifest's folder (this one, or -f's) and writes a
commented layerctl.yaml that layerctl build builds as it is:
  requirements.txt                 a python layer (pip or uv installs it)
  package.json + package-lock.json a node layer (npm ci)
  go.mod                           a go layer: each main package into bin/
  anything else                    a files layer of its files and folders
Several of the first three give a layer each. Runtimes are those of the
local python3 and node (the ones verify loads the layer with), else the
newest AWS supports; the architecture is this machine's, with a comment on
the other. An existing file is never overwritten.`,
		Example: `  layerctl init && layerctl build
  layerctl init --name shared-deps
  layerctl -f layers/deps/layerctl.yaml init`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if name != "" {
				if msg := nameProblem(name); msg != "" {
					return usagef("--name %q: %s", name, msg)
				}
			}
			rep, err := starter.Write(c.Context(), starter.Options{Path: f.Globals.Manifest, Name: name,
				Arch: lambdafacts.ArchOfGOARCH(runtime.GOARCH), Tools: newTools(f), Now: f.Now()})
			var ee *starter.ExistsError
			if errors.As(err, &ee) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			return printInit(f, rep)
		},
	}
	c.Flags().StringVar(&name, "name", "", "the layer's name (default: the folder's)")
	return c
}

var layerName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// nameProblem says what is wrong with a layer name, "" when nothing.
func nameProblem(name string) string {
	if len(name) > 120 || !layerName.MatchString(name) {
		return "a layer name is 1 to 120 letters, digits, hyphens (-) or underscores (_) here (Lambda allows 140; init may add -python, -node or -go)"
	}
	return ""
}

// initJSON is the contract of `init --output json` (README).
type initJSON struct {
	Path   string          `json:"path"`
	Layers []initLayerJSON `json:"layers"`
}

type initLayerJSON struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Runtimes []string `json:"runtimes"`
}

func printInit(f *Factory, rep *starter.Report) error {
	for _, n := range rep.Notes {
		fmt.Fprintf(f.Err, "note: %s\n", n)
	}
	if f.Globals.JSON() {
		out := initJSON{Path: rep.Path, Layers: []initLayerJSON{}}
		for _, l := range rep.Layers {
			out.Layers = append(out.Layers, initLayerJSON{l.Name, l.Kind, l.Runtimes})
		}
		return output.JSON(f.Out, out)
	}
	fmt.Fprintln(f.Out, rep.Path)
	for _, l := range rep.Layers {
		fmt.Fprintf(f.Err, "layer %s: %s, for %v\n", l.Name, l.Kind, l.Runtimes)
	}
	fmt.Fprintf(f.Err, "wrote %s: check it, then run layerctl build\n", rep.Path)
	return nil
}
