package cmd

import (
	"fmt"
	"os"
	"time"

	"github.com/layerctl/layerctl/layer"
)

// newTools is how builds and verify run pip/uv, npm and go: in this
// process's environment, telling each step on stderr.
func newTools(f *Factory) *layer.Tools {
	return &layer.Tools{Env: os.Environ(), Log: f.Err}
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
