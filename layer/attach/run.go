package attach

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/pacing"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/lockstore"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/manifest"
)

// Clients are the Lambda clients of a run, per region, and the SDK's
// configured region (for layers that name none). Their ID is also the
// account of the function ARNs attached there.
type Clients = units.Clients[API]

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
	// Shard, when set (--shard I/N), is the share of the (layer, account,
	// region) units this run attaches.
	Shard units.Shard
	// Leave, when set, says which layers to leave alone in an account
	// (deploy: those whose publish failed there).
	Leave func(layer, account string) bool
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
// layer's accounts and regions there (its units, those of the shard when
// one is given), and attaches (see Attach) in each account at once, every
// account's calls paced apart by one limiter. Its error before Attach
// means nothing was changed; then it is Attach's, with its report. When
// the manifest names accounts, an account attach cannot work in (its role
// cannot be assumed, Attach stopped before any change there) is rows of
// its own in the report, and the others go on.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	plan, err := units.Plan(opts.Layers, opts.Regions, opts.UnknownRegion)
	if err != nil {
		return nil, err
	}
	plan = slices.DeleteFunc(opts.Shard.Of(plan), func(u units.Unit) bool {
		return opts.Leave != nil && opts.Leave(u.Layer.Name, u.Account.ID)
	})
	if len(plan) == 0 {
		return &Report{}, nil // a shard with nothing to do
	}
	var clients *Clients
	if opts.Manifest.Lock.S3 != nil {
		// The lock is in S3: it takes the clients to read it.
		if clients, err = opts.Clients(ctx); err != nil {
			return nil, err
		}
	}
	lock, err := loadLock(ctx, opts.Manifest, clients)
	if err != nil {
		return nil, err
	}
	arts, err := unrecorded(ctx, opts, units.Layers(plan), lock)
	if err != nil {
		return nil, err
	}
	if clients == nil {
		if clients, err = opts.Clients(ctx); err != nil {
			return nil, err
		}
	}
	if plan, err = units.Resolve(plan, clients.Region, opts.UnknownRegion); err != nil {
		return nil, err
	}
	groups := units.ByAccount(plan)
	ao := opts.Options
	if len(groups) == 1 && groups[0].Account.IsCurrent() {
		// The credentials' own account alone: attach as it always has.
		ao.Lambda = clients.Lambda
		r, err := Attach(ctx, targetsOf(opts, groups[0], lock, arts, ""), ao)
		if r != nil {
			r.Caller = clients.ID
		}
		return r, err
	}
	if ao.Limiter == nil {
		ao.Limiter = pacing.ForRun(ao.Concurrency, ao.RetryBase, ao.ReadRate, ao.Rate)
	}
	byAccount, failed := units.ForAccounts(ctx, groups, clients, clients.Account, 8)
	reports := make([]*Report, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		if err := failed[g.Account.ID]; err != nil {
			reports[i] = failedIn(g, err)
			continue
		}
		c := byAccount[g.Account.ID]
		wg.Go(func() {
			gao := ao
			gao.Lambda, gao.Account = c.Lambda, g.Account.ID
			reports[i], errs[i] = Attach(ctx, targetsOf(opts, g, lock, arts, c.ID), gao)
		})
	}
	wg.Wait()
	r, err := merged(ctx, groups, reports, errs)
	r.Caller = clients.ID
	return r, err
}

// loadLock reads the lock where the manifest keeps it: the file, or the
// S3 object through the clients.
func loadLock(ctx context.Context, m *manifest.Manifest, clients *Clients) (*manifest.Lock, error) {
	var lc lockstore.S3API
	if clients != nil {
		lc = clients.Lock
	}
	return lockstore.For(m, lc).Load(ctx)
}

// targetsOf are the targets of one account's units: its layers, each with
// its regions there, its lock entries and the functions it names there.
// With id (the account of the clients; "" leaves them all), a function
// ARN is attached only in its own account, and a layer whose named
// functions are all elsewhere, with no tags, is left out there.
func targetsOf(opts RunOptions, g units.Group, lock *manifest.Lock, arts map[string]*layer.Artifact, id string) []Target {
	var targets []Target
	for _, l := range g.Layers {
		t := Target{Layer: l, Regions: g.Regions[l.Name], Version: opts.Version, Lock: lock.Layers[l.Name].In(g.Account.ID), LockName: opts.Manifest.Lock.String(), Artifact: arts[l.Name],
			Functions: l.Attach.Functions, Tags: l.Attach.Tags}
		if len(opts.Functions) > 0 || len(opts.Tags) > 0 {
			t.Functions, t.Tags = opts.Functions, maps.Clone(opts.Tags)
		}
		if id != "" && len(t.Functions) > 0 {
			if t.Functions = functionsIn(t.Functions, id); len(t.Functions) == 0 && len(t.Tags) == 0 {
				continue // not "every function using the layer": none named here
			}
		}
		targets = append(targets, t)
	}
	return targets
}

// functionsIn are the functions of fns to attach in account id: every
// name, and the ARNs of that account.
func functionsIn(fns []string, id string) []string {
	var out []string
	for _, fn := range fns {
		if a, err := arn.Parse(fn); err == nil && a.AccountID != id {
			continue
		}
		out = append(out, fn)
	}
	return out
}

// failedIn is the rows of an account attach could not work in: one per
// region, with why.
func failedIn(g units.Group, err error) *Report {
	r := &Report{}
	seen := map[string]bool{}
	for _, l := range g.Layers {
		for _, region := range g.Regions[l.Name] {
			if !seen[region] {
				seen[region] = true
				r.Functions = append(r.Functions, FunctionResult{Account: g.Account.ID, Region: region, Status: layer.StatusFailed,
					From: []string{}, To: []string{}, Err: err})
			}
		}
	}
	return r
}

// merged is the report of the accounts' runs: every function, by
// account, region and name. An account whose Attach stopped before any
// change is rows saying why; an interrupt or a bug is the run's error.
func merged(ctx context.Context, groups []units.Group, reports []*Report, errs []error) (*Report, error) {
	out := &Report{Functions: []FunctionResult{}}
	var runErr error
	for i, g := range groups {
		r, err := reports[i], errs[i]
		var ce *crash.Error
		switch {
		case errors.As(err, &ce):
			runErr = err
		case err != nil && r == nil && ctx.Err() == nil:
			r = failedIn(g, fmt.Errorf("account %s: %w", g.Account.ID, err))
		case err != nil && runErr == nil:
			runErr = err
		}
		if r == nil {
			continue
		}
		out.Functions = append(out.Functions, r.Functions...)
		out.Interrupted = out.Interrupted || r.Interrupted
		out.RolledBack = out.RolledBack || r.RolledBack
	}
	slices.SortStableFunc(out.Functions, func(a, b FunctionResult) int {
		return cmp.Or(strings.Compare(a.Account, b.Account), strings.Compare(a.Region, b.Region), strings.Compare(a.Function, b.Function))
	})
	if ctx.Err() != nil && runErr == nil {
		out.Interrupted = true
		runErr = stoppedBy(out, ctx.Err())
	}
	return out, runErr
}

// unrecorded builds the layers the lock does not record (none for a
// rollback to a version), by name: content the lock does not record is
// found in AWS by its digest, so it is built first (the same bytes publish
// built).
func unrecorded(ctx context.Context, opts RunOptions, layers []*manifest.Layer, lock *manifest.Lock) (map[string]*layer.Artifact, error) {
	var todo []*manifest.Layer
	for _, l := range layers {
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
