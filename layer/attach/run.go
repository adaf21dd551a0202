package attach

import (
	"context"
	"maps"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/manifest"
)

// Clients are the Lambda clients of a run, per region, and the SDK's
// configured region (for layers that name none).
type Clients struct {
	Lambda func(region string) API
	Region string
}

// RunOptions are the attach step's.
type RunOptions struct {
	Manifest *manifest.Manifest
	Layers   []*manifest.Layer
	// Version, when not 0, is the version of the one layer to attach (a
	// rollback).
	Version int64
	// Functions and Tags, when either is set, are the targets of every
	// layer, in place of the manifest's attach.
	Functions []string
	Tags      map[string]string
	// Build says how to build the layers the lock does not record: their
	// version is found by their content's digest. Run calls it only when
	// there are such layers, and sets Manifest and Layers.
	Build func() (build.RunOptions, error)
	// Clients makes the AWS clients; Run calls it once what needs building
	// is built.
	Clients func(context.Context) (*Clients, error)
	// Regions (--region) replaces every layer's own regions when set.
	Regions []string
	// UnknownRegion, when set, hears of a region this layerctl does not
	// know, which is used all the same.
	UnknownRegion func(region string)
	// Building, when set, hears which layers are built first because the
	// lock does not record them.
	Building func(layers []*manifest.Layer)
	// Options are attach's own (Run sets Lambda).
	Options
}

// Run is the attach step: it reads the lock, builds the layers it does not
// record (their published version is found by their content), picks each
// layer's regions, and attaches (see Attach). Its error before Attach
// means nothing was changed; then it is Attach's, with its report.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	lock, err := manifest.LoadLock(opts.Manifest.LockPath())
	if err != nil {
		return nil, err
	}
	arts, err := unrecorded(ctx, opts, lock)
	if err != nil {
		return nil, err
	}
	clients, err := opts.Clients(ctx)
	if err != nil {
		return nil, err
	}
	var targets []Target
	for _, l := range opts.Layers {
		regions, unknown, err := l.RegionsFor(opts.Regions, clients.Region)
		if err != nil {
			return nil, err
		}
		for _, r := range unknown {
			if opts.UnknownRegion != nil {
				opts.UnknownRegion(r)
			}
		}
		t := Target{Layer: l, Regions: regions, Version: opts.Version, Lock: lock.Layers[l.Name], Artifact: arts[l.Name],
			Functions: l.Attach.Functions, Tags: l.Attach.Tags}
		if len(opts.Functions) > 0 || len(opts.Tags) > 0 {
			t.Functions, t.Tags = opts.Functions, maps.Clone(opts.Tags)
		}
		targets = append(targets, t)
	}
	ao := opts.Options
	ao.Lambda = clients.Lambda
	return Attach(ctx, targets, ao)
}

// unrecorded builds the layers the lock does not record (none for a
// rollback to a version), by name: content the lock does not record is
// found in AWS by its digest, so it is built first (the same bytes publish
// built).
func unrecorded(ctx context.Context, opts RunOptions, lock *manifest.Lock) (map[string]*layer.Artifact, error) {
	var todo []*manifest.Layer
	for _, l := range opts.Layers {
		if opts.Version == 0 && lock.Layers[l.Name] == nil {
			todo = append(todo, l)
		}
	}
	arts := map[string]*layer.Artifact{}
	if len(todo) == 0 {
		return arts, nil
	}
	if opts.Building != nil {
		opts.Building(todo)
	}
	bo, err := opts.Build()
	if err != nil {
		return nil, err
	}
	bo.Manifest, bo.Layers = opts.Manifest, todo
	built, err := build.Artifacts(ctx, bo)
	if err != nil {
		return nil, err
	}
	for _, a := range built {
		arts[a.Layer] = a
	}
	return arts, nil
}
