package cmd

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// newTools is how builds and verify run pip/uv, npm and go: in this
// process's environment, telling each step on stderr.
func newTools(f *Factory) *builder.Tools {
	return &builder.Tools{Env: os.Environ(), Log: f.Err}
}

// reportBuilt tells, on stderr, whether a layer was built or taken from the
// build cache.
func reportBuilt(f *Factory, a *layer.Artifact, took time.Duration) {
	if a.Cached {
		fmt.Fprintf(f.Err, "skipped building %s: unchanged since %s was built (--no-cache rebuilds it)\n", a.Layer, a.Path)
		return
	}
	fmt.Fprintf(f.Err, "built %s in %.2fs\n", a.Layer, took.Seconds())
}

// buildEach builds the layers in turn through the build cache, telling on
// stderr what was built or taken from the cache and what the checks noted.
// A layer that fails does not stop the others: its artifact is nil and its
// error is in errs. An interruption stops everything (err).
func buildEach(c *cobra.Command, f *Factory, m *manifest.Manifest, layers []*manifest.Layer, out string, modified time.Time, noCache bool) (arts []*layer.Artifact, errs []error, err error) {
	tools := newTools(f)
	arts = make([]*layer.Artifact, len(layers))
	for i, l := range layers {
		start := time.Now()
		a, err := build.Build(c.Context(), m, l, build.Options{OutDir: out, Modified: modified, NoCache: noCache, Tools: tools})
		if err != nil {
			if c.Context().Err() != nil {
				return nil, nil, fmt.Errorf("stopped: %w", c.Context().Err())
			}
			errs = append(errs, err)
			continue
		}
		for _, n := range a.Findings {
			fmt.Fprintf(f.Err, "%s: layer %q: %s\n", n.Severity, a.Layer, safetext.Text(n.Message))
		}
		reportBuilt(f, a, time.Since(start))
		arts[i] = a
	}
	return arts, errs, nil
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
