package verify

import (
	"context"
	"fmt"

	"github.com/layerctl/layerctl/layer/build"
)

// RunOptions are the verify step's: the manifest layers to build and
// verify, or one ZIP.
type RunOptions struct {
	// Build is the layers to build (the build cache makes that free when
	// nothing changed) and verify, each for its own runtimes and
	// architectures. Unused with Zip.
	Build build.RunOptions
	// Zip, when set, is the one ZIP verified, for Options' runtimes and
	// architectures.
	Zip string
	Options
}

// RunReport is what the verify step found.
type RunReport struct {
	Reports []*Report // one for each ZIP verified, in order
	Errors  []error   // layers that failed to build or to verify
}

// Failed reports whether a layer would not work: a failed check or an
// error finding.
func (r *RunReport) Failed() bool {
	for _, rep := range r.Reports {
		if rep.Failed() {
			return true
		}
	}
	return false
}

// Run is the verify step: it verifies the ZIP, or builds the layers and
// verifies each one built. A layer that fails to build or to verify is in
// the report's errors; Run's own error is the build step's (nothing was
// verified), or the ZIP's.
func Run(ctx context.Context, opts RunOptions) (*RunReport, error) {
	// The ZIPs stay held while they are unpacked: no other run's cleanup
	// of old builds removes them meanwhile.
	holds := &build.Holds{}
	defer holds.Release()
	if opts.Zip != "" {
		holds.Use(opts.Zip)
		r, err := Verify(ctx, opts.Zip, opts.Options)
		if err != nil {
			return nil, err
		}
		return &RunReport{Reports: []*Report{r}}, nil
	}
	bo := opts.Build
	bo.Holds = holds
	built, err := build.Run(ctx, bo)
	if err != nil {
		return nil, err
	}
	out := &RunReport{Errors: built.Errors}
	for i, a := range built.Artifacts {
		if a == nil {
			continue
		}
		l := opts.Build.Layers[i]
		r, err := Verify(ctx, a.Path, Options{Runtimes: l.Runtimes, Architectures: l.Architectures, Tools: opts.Build.Tools})
		if err != nil {
			out.Errors = append(out.Errors, fmt.Errorf("verifying layer %q: %w", l.Name, err))
			continue
		}
		r.Layer = l.Name
		out.Reports = append(out.Reports, r)
	}
	return out, nil
}
