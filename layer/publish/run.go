package publish

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/check"
	"github.com/layerctl/layerctl/layer/lockstore"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/manifest"
)

// Clients are the AWS clients of a run, per region, and the SDK's
// configured region (for layers that name none).
type Clients struct {
	Lambda func(region string) LambdaAPI
	S3     func(region string) S3API
	Region string
	// ID is the account these clients act in ("" when unknown): what the
	// report says of the credentials' own account.
	ID string
	// Account makes the clients of an account the manifest names (its role
	// assumed); nil when the run has none to make.
	Account func(context.Context, manifest.Account) (*Clients, error)
	// Lock is the S3 client of the lock's bucket when the manifest keeps
	// the lock in S3 (lock: {s3: ...}); nil otherwise.
	Lock lockstore.S3API
}

// RunOptions are the publish step's.
type RunOptions struct {
	Manifest *manifest.Manifest
	Layers   []*manifest.Layer
	// Zip, when set, is a ZIP built elsewhere, published with the settings
	// of the one layer in Layers instead of building it.
	Zip string
	// Build says how the layers are built; Run calls it unless Zip or
	// Built is set, and sets Manifest and Layers.
	Build func() (build.RunOptions, error)
	// Built, when set, are the layers' artifacts, built already (deploy's
	// build step), in the order of Layers: Run builds nothing.
	Built []*layer.Artifact
	// Clients makes the AWS clients; Run calls it once the artifacts are
	// ready, so that a build needs no credentials.
	Clients func(context.Context) (*Clients, error)
	// Regions (--region) replaces every layer's own regions when set.
	Regions []string
	// Shard, when set (--shard I/N), is the share of the (layer, account,
	// region) units this run publishes; only the layers it has units of
	// are built.
	Shard       units.Shard
	DryRun      bool
	Concurrency int       // regions published at once; 0 means 8
	Log         io.Writer // what happens, for people
	Progress    io.Writer // upload progress bars; nil shows none
	// UnknownRegion, when set, hears of a region this layerctl does not
	// know, which is used all the same.
	UnknownRegion func(region string)
	// Waiting, when set, hears that another process has its turn with the
	// lock file (its process ID, 0 when unknown), once.
	Waiting func(lockPath string, pid int)
}

// Report is what the publish step did.
type Report struct {
	Results []Result
	// Caller is the account of the run's own credentials ("" when
	// unknown): the account of the results whose Account is "".
	Caller      string
	LockPath    string   // the lock file, or the S3 lock's URL
	LockWritten bool     // layerctl.lock was written (it changed)
	Notes       []string // what recording in the lock noticed
	// Warnings are layers published again for a new SOURCE_DATE_EPOCH
	// alone, their files unchanged.
	Warnings []string
	// ReleaseErr is a failure to give back the lock file's turn, after
	// everything was published and written.
	ReleaseErr error
}

// Run is the publish step: it builds the layers (or takes the ZIP), picks
// each layer's accounts and regions there (its units, those of the shard
// when one is given), and publishes each layer in each of its regions of
// each account where no version holds its content yet; then it records
// what is where in the lock: the local file in its turn (so that runs at
// once in one checkout wait for each other), or the S3 lock by a
// conditional read-modify-write (so that the jobs of a matrix share it).
// --dry-run reads and says, and writes nothing. Run's error stops
// everything before anything was published (an invalid lock, a build, the
// clients, a region), or is the lock that could not be read or written in
// its turn (then the report, when not nil, still says what was done); a
// region that fails, or an account whose role cannot be assumed, is in the
// report.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	lockPath := opts.Manifest.LockPath()
	if opts.Manifest.Lock.S3 == nil {
		// Read now so that a broken lock file fails before any build; a run
		// that publishes reads it again in its turn.
		if _, err := manifest.LoadLock(lockPath); err != nil {
			return nil, err
		}
	}
	plan, err := units.Plan(opts.Layers, opts.Regions, opts.UnknownRegion)
	if err != nil {
		return nil, err
	}
	if plan = opts.Shard.Of(plan); len(plan) == 0 {
		return &Report{LockPath: lockPath}, nil // a shard with nothing to do
	}
	// The ZIPs stay held until everything is uploaded: no other run's
	// cleanup of old builds removes them meanwhile.
	holds := &build.Holds{}
	defer holds.Release()
	arts, err := artifacts(ctx, opts, units.Layers(plan), holds)
	if err != nil {
		return nil, err
	}
	clients, err := opts.Clients(ctx)
	if err != nil {
		return nil, err
	}
	if plan, err = units.Resolve(plan, clients.Region, opts.UnknownRegion); err != nil {
		return nil, err
	}
	targets, failed := accountTargets(ctx, plan, arts, clients, opts.Concurrency)
	po := Options{Lambda: clients.Lambda, S3: clients.S3, DryRun: opts.DryRun, Concurrency: opts.Concurrency, Log: opts.Log, Progress: opts.Progress}
	store := lockstore.For(opts.Manifest, clients.Lock)
	lock, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	warnings := sameFilesOtherTime(ctx, lock, opts.Manifest.Lock.String(), targets)
	var r *Report
	switch {
	case opts.DryRun:
		r = &Report{Results: Publish(ctx, targets, lock, po), LockPath: store.Where()}
	case store.S3 != nil:
		r, err = publishShared(ctx, store.S3, targets, po)
	default:
		r, err = publishInTurn(ctx, lockPath, targets, po, opts.Waiting)
	}
	if r != nil {
		r.Caller = clients.ID
		r.Results = inPlanOrder(plan, append(r.Results, failed...))
		r.Warnings = warnings
	}
	return r, err
}

// artifacts builds the layers (those of the plan), or takes the ZIP or
// the artifacts given, by layer name.
func artifacts(ctx context.Context, opts RunOptions, layers []*manifest.Layer, holds *build.Holds) (map[string]*layer.Artifact, error) {
	byName := map[string]*layer.Artifact{}
	var arts []*layer.Artifact
	switch {
	case opts.Built != nil:
		arts = opts.Built
	case opts.Zip != "":
		holds.Use(opts.Zip)
		a, err := check.ArtifactFromZip(ctx, opts.Zip, opts.Layers[0])
		if err != nil {
			return nil, err
		}
		byName[opts.Layers[0].Name] = a
		return byName, nil
	default:
		bo, err := opts.Build()
		if err != nil {
			return nil, err
		}
		bo.Manifest, bo.Layers, bo.Holds = opts.Manifest, layers, holds
		if arts, err = build.Artifacts(ctx, bo); err != nil {
			return nil, err
		}
	}
	for _, a := range arts {
		byName[a.Layer] = a
	}
	for _, l := range layers {
		if byName[l.Name] == nil {
			return nil, fmt.Errorf("layer %q was not built", l.Name)
		}
	}
	return byName, nil
}

// accountTargets are the targets of the plan's units, one per layer and
// account, each with its account's clients; the units of an account whose
// clients cannot be made (its role cannot be assumed) are failed results.
func accountTargets(ctx context.Context, plan []units.Unit, arts map[string]*layer.Artifact, clients *Clients, n int) ([]Target, []Result) {
	byAccount, failed := units.ForAccounts(ctx, units.ByAccount(plan), clients, clients.Account, max(n, 8))
	var targets []Target
	var fails []Result
	index := map[[2]string]int{}
	for _, u := range plan {
		name, art := u.Layer.Name, arts[u.Layer.Name]
		if err := failed[u.Account.ID]; err != nil {
			fails = append(fails, Result{Layer: name, Account: u.Account.ID, Region: u.Region, CodeSHA256: art.CodeSHA256,
				Status: layer.StatusFailed, Err: fmt.Errorf("publishing layer %q in %s: %w", name, u.Region, err)})
			continue
		}
		k := [2]string{name, u.Account.ID}
		i, ok := index[k]
		if !ok {
			c := byAccount[u.Account.ID]
			i, index[k] = len(targets), len(targets)
			targets = append(targets, Target{Layer: u.Layer, Artifact: art, Account: u.Account.ID, Lambda: c.Lambda, S3: c.S3})
		}
		targets[i].Regions = append(targets[i].Regions, u.Region)
	}
	return targets, fails
}

// inPlanOrder sorts results as the plan's units: by layer, account, region.
func inPlanOrder(plan []units.Unit, results []Result) []Result {
	at := map[[3]string]int{}
	for i, u := range plan {
		at[[3]string{u.Layer.Name, u.Account.ID, u.Region}] = i
	}
	slices.SortStableFunc(results, func(a, b Result) int {
		return cmp.Compare(at[[3]string{a.Layer, a.Account, a.Region}], at[[3]string{b.Layer, b.Account, b.Region}])
	})
	return results
}

// publishShared publishes and records in the S3 lock that the jobs of a
// matrix share: no turn is taken (the jobs publish disjoint units at
// once); the lock is written by a conditional read-modify-write that
// Record is applied to again whenever another job wrote first.
func publishShared(ctx context.Context, store *lockstore.S3, targets []Target, po Options) (*Report, error) {
	r := &Report{LockPath: store.Object.URL()}
	lock, _, err := store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: nothing was published", err)
	}
	r.Results = Publish(ctx, targets, lock, po)
	_, r.LockWritten, err = store.Update(ctx, func(l *manifest.Lock) bool {
		changed, notes := Record(l, targets, r.Results)
		r.Notes = notes
		return changed
	})
	return r, err
}

// publishInTurn publishes and records in layerctl.lock while this run has
// its turn with the lock file: runs at once in one checkout wait for each
// other, so the second finds the first's version (unchanged, not published
// twice) and adds its entries to what the first wrote.
func publishInTurn(ctx context.Context, lockPath string, targets []Target, po Options, waiting func(string, int)) (r *Report, err error) {
	release, err := manifest.HoldLock(ctx, lockPath, func(pid int) {
		if waiting != nil {
			waiting(lockPath, pid)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: nothing was published", err)
	}
	// The report goes back with an error too: its notes and ReleaseErr
	// are still worth telling.
	r = &Report{LockPath: lockPath}
	defer func() {
		if rerr := release(); rerr != nil {
			r.ReleaseErr = rerr
		}
	}()
	// Read again: another run may have written it while this one built.
	lock, err := manifest.LoadLock(lockPath)
	if err != nil {
		return r, err
	}
	r.Results = Publish(ctx, targets, lock, po)
	changed, notes := Record(lock, targets, r.Results)
	r.Notes = notes
	if changed {
		if err := lock.Save(lockPath); err != nil {
			return r, err
		}
		r.LockWritten = true
	}
	return r, nil
}
