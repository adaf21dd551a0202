package cmd

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
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
	reused := ""
	if a.Reused > 0 {
		reused = fmt.Sprintf(", %d of %d files copied compressed from the last build", a.Reused, a.Files)
	}
	fmt.Fprintf(f.Err, "built %s in %.2fs%s\n", a.Layer, took.Seconds(), reused)
}

// hasNoCacheFlag makes a command's build report name its own --no-cache.
func hasNoCacheFlag(f *Factory, ro build.RunOptions) build.RunOptions {
	ro.Built = builtReporter(f, ro.Layers, rebuildFlag)
	return ro
}

// builtReporter tells of each layer built (reportBuilt), and, once, when
// its ZIP is too big to publish inline and the layer has no S3 bucket for
// a region it goes to (--region, else its regions).
func builtReporter(f *Factory, layers []*manifest.Layer, rebuild string) func(*layer.Artifact, time.Duration) {
	byName := map[string]*manifest.Layer{}
	for _, l := range layers {
		byName[l.Name] = l
	}
	return func(a *layer.Artifact, took time.Duration) {
		if l := byName[a.Layer]; l != nil && a.Size > lambdafacts.MaxInline {
			if missing := bucketlessRegions(l, regionFlag(f)); missing != "" {
				fmt.Fprintf(f.Err, "note: layer %q: the ZIP is %s, over the %s Lambda accepts inline: publishing it needs an S3 bucket %s (s3: {bucket: NAME}, or s3.buckets.REGION)\n",
					a.Layer, size.Text(a.Size), size.Text(lambdafacts.MaxInline), missing)
			}
		}
		reportBuilt(f, a, took, rebuild)
	}
}

// bucketlessRegions says where l has no S3 bucket among the regions it is
// published to ("in us-east-1, eu-west-1"; "" when it has one everywhere).
// With no region known (the SDK's is read only to publish), only a bucket
// for every region will do.
func bucketlessRegions(l *manifest.Layer, given []string) string {
	regions := given
	if len(regions) == 0 {
		regions = l.Regions
	}
	if len(regions) == 0 {
		if l.S3.Bucket != "" {
			return ""
		}
		return "in each region"
	}
	var missing []string
	for _, r := range regions {
		if l.S3.BucketFor(r) == "" {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "in " + strings.Join(missing, ", ")
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
