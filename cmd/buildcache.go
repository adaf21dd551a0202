package cmd

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/builder"
)

// newTools is how builds and verify run pip/uv, npm and go: in this
// process's environment, telling each step on stderr.
func newTools(f *Factory) *builder.Tools {
	return &builder.Tools{Env: os.Environ(), Log: f.Err}
}

// How a layer the build cache holds is rebuilt: by the command's own
// --no-cache, or, for a command without one (attach), by build's.
const (
	rebuildFlag  = "--no-cache rebuilds it"
	rebuildBuild = "layerctl build --no-cache rebuilds it"
)

// reportBuilt tells, on stderr, what the checks noted of a layer and
// whether it was built or taken from the build cache, and then how to
// rebuild it (rebuild: one of the hints above).
func reportBuilt(f *Factory, a *layer.Artifact, took time.Duration, rebuild string) {
	for _, n := range a.Findings {
		fmt.Fprintf(f.Err, "%s: layer %q: %s\n", n.Severity, a.Layer, safetext.Text(n.Message))
	}
	if a.Cached {
		fmt.Fprintf(f.Err, "skipped building %s: unchanged since %s was built (%s)\n", a.Layer, a.Path, rebuild)
		return
	}
	fmt.Fprintf(f.Err, "built %s in %.2fs\n", a.Layer, took.Seconds())
}

// hasNoCacheFlag makes a command's build report name its own --no-cache.
func hasNoCacheFlag(f *Factory, ro build.RunOptions) build.RunOptions {
	ro.Built = func(a *layer.Artifact, took time.Duration) { reportBuilt(f, a, took, rebuildFlag) }
	return ro
}

// summarize turns the errors of n independent pieces of work into the one
// error a command returns: a lone error as it is, several each on stderr
// and a count.
func summarize(f *Factory, errs []error, n int, what string) error {
	for _, err := range errs {
		var ce *crash.Error
		if errors.As(err, &ce) {
			return err // a bug: it says so alone (see internalError)
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	for _, err := range errs {
		fmt.Fprintf(f.Err, "layerctl: %s\n", indentLines(safetext.Text(err.Error())))
	}
	return fmt.Errorf("%d of %d %s", len(errs), n, what)
}
