package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/attach"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/publish"
	"github.com/layerctl/layerctl/manifest"
)

// RunOptions are the deploy step's: each step's own options, which Run
// completes (the manifest and layers, what was built, --dry-run).
type RunOptions struct {
	Manifest *manifest.Manifest
	Layers   []*manifest.Layer
	Build    build.RunOptions
	Publish  publish.RunOptions
	Attach   attach.RunOptions
	DryRun   bool
}

// Report is what each step did.
type Report struct {
	// Artifacts are the layers built or taken from the build cache
	// (Cached), in the order of the layers.
	Artifacts []*layer.Artifact
	// Publish is publish's report; nil when it did not run. PublishErr is
	// what stopped it (the report, when not nil, says what was done).
	Publish    *publish.Report
	PublishErr error
	// Attach is attach's report; nil when it did not run (no layer to
	// attach). AttachErr is what stopped it, or an interrupt.
	Attach    *attach.Report
	AttachErr error
	// NotAttached are the layers attach left out, and why.
	NotAttached []Skip
}

// Skip is a layer a step left out, and why.
type Skip struct {
	Layer, Reason string
}

// Run is the deploy step: build.Run, publish.Run with what was built, then
// attach.Run for the layers whose content is now published in each of
// their regions. A layer that failed to publish somewhere is not attached
// (its functions stay where they are), and under DryRun nor is one whose
// version does not exist yet. Run's error is the build's (nothing was
// published: a *build.FailedError when layers failed to build); what
// publish and attach did, and their errors, are in the report.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	bo := opts.Build
	bo.Manifest, bo.Layers = opts.Manifest, opts.Layers
	arts, err := build.Artifacts(ctx, bo)
	if err != nil {
		return nil, err
	}
	r := &Report{Artifacts: arts}

	po := opts.Publish
	po.Manifest, po.Layers, po.Built, po.DryRun = opts.Manifest, opts.Layers, arts, opts.DryRun
	r.Publish, r.PublishErr = publish.Run(ctx, po)
	if r.PublishErr != nil {
		for _, l := range opts.Layers {
			r.NotAttached = append(r.NotAttached, Skip{l.Name, "publish stopped: " + r.PublishErr.Error()})
		}
		return r, nil
	}

	var ready []*manifest.Layer
	for _, l := range opts.Layers {
		if why := notReady(l.Name, r.Publish.Results, opts.DryRun); why != "" {
			r.NotAttached = append(r.NotAttached, Skip{l.Name, why})
			continue
		}
		ready = append(ready, l)
	}
	if len(ready) == 0 || ctx.Err() != nil {
		return r, nil
	}
	ao := opts.Attach
	ao.Manifest, ao.Layers, ao.DryRun = opts.Manifest, ready, opts.DryRun
	r.Attach, r.AttachErr = attach.Run(ctx, ao)
	return r, nil
}

// notReady says why a layer cannot be attached after publish: a region
// that failed, or (dry run) a version that is not published yet; "" when
// it can be.
func notReady(name string, results []publish.Result, dryRun bool) string {
	i := slices.IndexFunc(results, func(res publish.Result) bool { return res.Layer == name && res.Err != nil })
	if i >= 0 {
		return fmt.Sprintf("publishing it to %s failed, so its functions were left as they are", results[i].Region)
	}
	i = slices.IndexFunc(results, func(res publish.Result) bool { return res.Layer == name && res.Status == layer.StatusWouldPublish })
	if dryRun && i >= 0 {
		return fmt.Sprintf("its content is not published in %s yet (--dry-run): attach would move its functions to the version publish makes", results[i].Region)
	}
	return ""
}
