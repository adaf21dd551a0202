package build

import (
	"context"
	"path/filepath"
	"time"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// RunOptions are the build step's: which layers of a manifest to build,
// where their ZIPs go and how.
type RunOptions struct {
	Manifest *manifest.Manifest
	Layers   []*manifest.Layer
	OutDir   string // "" means dist/ beside the manifest
	// OutLabel is how errors name OutDir: the flag that gave it ("--out
	// build/"); "" names it by its path.
	OutLabel string
	Modified time.Time      // the one timestamp every entry gets
	NoCache  bool           // rebuild even what the build cache holds
	Tools    *builder.Tools // nil means the process's environment, no log
	// Built, when set, hears of each layer as soon as it is built or found
	// in the build cache (a.Cached: the build was skipped), with how long
	// that took.
	Built func(a *layer.Artifact, took time.Duration)
	// Keep is how many builds of each layer stay in OutDir (Options.Keep:
	// 0 means DefaultKeep, negative every one).
	Keep int
	// Holds, when set, keeps each layer's ZIP from other runs' cleanups
	// until the caller releases it: a step that uploads or unpacks the
	// ZIPs sets it. nil releases each when its build returns.
	Holds *Holds
}

// Report is what the build step did.
type Report struct {
	// Artifacts are by layer, in the order of RunOptions.Layers: nil for a
	// layer that failed.
	Artifacts []*layer.Artifact
	Errors    []error // one for each layer that failed, in order
}

// Built is the artifacts of the layers that built, in order.
func (r *Report) Built() []*layer.Artifact {
	var out []*layer.Artifact
	for _, a := range r.Artifacts {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

// StoppedError is a build step interrupted: the layers after the one it
// was building were not built.
type StoppedError struct{ Err error }

func (e *StoppedError) Error() string { return "stopped: " + e.Err.Error() }
func (e *StoppedError) Unwrap() error { return e.Err }

// FailedError is layers that failed to build, when a step needs them all
// (publish, attach): each layer's error, and how many layers there were.
type FailedError struct {
	Errors []error
	Layers int
}

func (e *FailedError) Error() string {
	if len(e.Errors) == 1 {
		return e.Errors[0].Error()
	}
	return "layers failed to build"
}
func (e *FailedError) Unwrap() []error { return e.Errors }

// Run is the build step: it checks that the layers' sources exist, that
// their package tools would run nothing the manifest does not allow, and
// that the output folder is neither a source nor holds one (an
// *OutputError), then builds each layer in turn through the build cache. A
// layer that fails does not stop the others: its error is in the report.
// Run's own error is one of those checks (nothing was built) or a
// *StoppedError.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	if err := prepare(ctx, &opts); err != nil {
		return nil, err
	}
	r := &Report{Artifacts: make([]*layer.Artifact, len(opts.Layers))}
	for i, l := range opts.Layers {
		// An interrupt stops the run before the next layer, even one the
		// cache would give back at once.
		if err := ctx.Err(); err != nil {
			return nil, &StoppedError{err}
		}
		start := time.Now()
		a, err := Build(ctx, opts.Manifest, l, Options{OutDir: opts.OutDir, Modified: opts.Modified, NoCache: opts.NoCache, Tools: opts.Tools, Keep: opts.Keep, Holds: opts.Holds})
		if err != nil {
			if ctx.Err() != nil {
				return nil, &StoppedError{ctx.Err()}
			}
			r.Errors = append(r.Errors, err)
			continue
		}
		if opts.Built != nil {
			opts.Built(a, time.Since(start))
		}
		r.Artifacts[i] = a
	}
	return r, nil
}

// prepare checks what Run checks before building, and settles the output
// folder and the tools.
func prepare(ctx context.Context, opts *RunOptions) error {
	if opts.Tools == nil {
		opts.Tools = &builder.Tools{}
	}
	if err := opts.Manifest.CheckSources(opts.Layers); err != nil {
		return err
	}
	if err := CheckInputs(ctx, opts.Manifest, opts.Layers, opts.Tools); err != nil {
		return err
	}
	if opts.OutDir == "" {
		opts.OutDir, opts.OutLabel = filepath.Join(opts.Manifest.Dir, "dist"), ""
	}
	return CheckOutput(opts.Manifest, opts.Layers, opts.OutDir, opts.OutLabel)
}

// Artifacts builds the layers for a step that needs every one of them
// (publish, attach): a layer that fails to build fails the step, with a
// *FailedError.
func Artifacts(ctx context.Context, opts RunOptions) ([]*layer.Artifact, error) {
	r, err := Run(ctx, opts)
	if err != nil {
		return nil, err
	}
	if len(r.Errors) > 0 {
		return nil, &FailedError{Errors: r.Errors, Layers: len(opts.Layers)}
	}
	return r.Artifacts, nil
}
