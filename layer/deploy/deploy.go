package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/attach"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/publish"
	"github.com/layerctl/layerctl/layer/units"
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
	// Shard, when set (--shard I/N), is the share of the (layer, account,
	// region) units this run deploys: only the layers it has units of are
	// built (the build cache makes a layer built by several shards cheap).
	Shard units.Shard
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

// Skip is a layer a step left out (in one account the manifest names, or
// the credentials' own: ""), and why.
type Skip struct {
	Layer, Account, Reason string
}

// Run is the deploy step: build.Run, publish.Run with what was built, then
// attach.Run for the layers whose content is now published in each of
// their regions. A layer that failed to publish somewhere is not attached
// (its functions stay where they are), and under DryRun nor is one whose
// version does not exist yet. Run's error is the build's (nothing was
// published: a *build.FailedError when layers failed to build); what
// publish and attach did, and their errors, are in the report.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	plan, err := units.Plan(opts.Layers, opts.Publish.Regions, nil)
	if err != nil {
		return nil, err
	}
	plan = opts.Shard.Of(plan)
	bo := opts.Build
	// Held until publish has uploaded them (no other run's cleanup of old
	// builds removes them meanwhile).
	bo.Holds = &build.Holds{}
	defer bo.Holds.Release()
	bo.Manifest, bo.Layers = opts.Manifest, units.Layers(plan)
	var arts []*layer.Artifact
	if len(bo.Layers) > 0 {
		if arts, err = build.Artifacts(ctx, bo); err != nil {
			return nil, err
		}
	}
	r := &Report{Artifacts: arts}

	po := opts.Publish
	po.Manifest, po.Layers, po.Built, po.DryRun, po.Shard = opts.Manifest, opts.Layers, arts, opts.DryRun, opts.Shard
	if po.Built == nil {
		po.Built = []*layer.Artifact{} // built: nothing, for a shard with nothing to do
	}
	r.Publish, r.PublishErr = publish.Run(ctx, po)
	if r.PublishErr != nil {
		for _, l := range units.Layers(plan) {
			r.NotAttached = append(r.NotAttached, Skip{Layer: l.Name, Reason: "publish stopped: " + r.PublishErr.Error()})
		}
		return r, nil
	}

	leave := map[[2]string]bool{}
	for _, u := range plan {
		k := [2]string{u.Layer.Name, u.Account.ID}
		if leave[k] {
			continue
		}
		if why := notReady(u.Layer.Name, u.Account.ID, r.Publish.Results, opts.DryRun); why != "" {
			leave[k] = true
			r.NotAttached = append(r.NotAttached, Skip{Layer: u.Layer.Name, Account: u.Account.ID, Reason: why})
		}
	}
	if len(leave) == countPairs(plan) || ctx.Err() != nil {
		return r, nil
	}
	ao := opts.Attach
	ao.Manifest, ao.Layers, ao.DryRun, ao.Shard = opts.Manifest, opts.Layers, opts.DryRun, opts.Shard
	ao.Leave = func(layer, account string) bool { return leave[[2]string{layer, account}] }
	r.Attach, r.AttachErr = attach.Run(ctx, ao)
	return r, nil
}

// countPairs is how many (layer, account) pairs the units have.
func countPairs(plan []units.Unit) int {
	seen := map[[2]string]bool{}
	for _, u := range plan {
		seen[[2]string{u.Layer.Name, u.Account.ID}] = true
	}
	return len(seen)
}

// notReady says why a layer cannot be attached in an account after
// publish: a region there that failed, or (dry run) a version that is not
// published yet; "" when it can be.
func notReady(name, account string, results []publish.Result, dryRun bool) string {
	mine := func(res publish.Result) bool { return res.Layer == name && res.Account == account }
	i := slices.IndexFunc(results, func(res publish.Result) bool { return mine(res) && res.Err != nil })
	if i >= 0 {
		return fmt.Sprintf("publishing it to %s failed, so its functions were left as they are", results[i].Region)
	}
	i = slices.IndexFunc(results, func(res publish.Result) bool { return mine(res) && res.Status == layer.StatusWouldPublish })
	if dryRun && i >= 0 {
		return fmt.Sprintf("its content is not published in %s yet (--dry-run): attach would move its functions to the version publish makes", results[i].Region)
	}
	return ""
}
