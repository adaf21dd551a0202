package publish

import (
	"context"
	"fmt"
	"io"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/build"
	"github.com/layerctl/layerctl/layer/check"
	"github.com/layerctl/layerctl/manifest"
)

// Clients are the AWS clients of a run, per region, and the SDK's
// configured region (for layers that name none).
type Clients struct {
	Lambda func(region string) LambdaAPI
	S3     func(region string) S3API
	Region string
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
	Regions     []string
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
	Results     []Result
	LockPath    string
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
// each layer's regions, and publishes each layer in each of its regions
// where no version holds its content yet; then, its turn with the lock
// file held (so that runs at once in one checkout wait for each other), it
// records what is where in layerctl.lock. --dry-run reads and says, and
// writes nothing. Run's error stops everything before anything was
// published (an invalid lock, a build, the clients, a region), or is the
// lock file that could not be read or written in its turn (then the
// report, when not nil, still says what was done); a region that fails is
// in the report.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	lockPath := opts.Manifest.LockPath()
	// Read now so that a broken lock file fails before any build; a run
	// that publishes reads it again in its turn.
	lock, err := manifest.LoadLock(lockPath)
	if err != nil {
		return nil, err
	}
	arts, err := artifacts(ctx, opts)
	if err != nil {
		return nil, err
	}
	clients, err := opts.Clients(ctx)
	if err != nil {
		return nil, err
	}
	var targets []Target
	for i, l := range opts.Layers {
		regions, err := regionsFor(l, opts.Regions, clients.Region, opts.UnknownRegion)
		if err != nil {
			return nil, err
		}
		targets = append(targets, Target{Layer: l, Artifact: arts[i], Regions: regions})
	}
	po := Options{Lambda: clients.Lambda, S3: clients.S3, DryRun: opts.DryRun, Concurrency: opts.Concurrency, Log: opts.Log, Progress: opts.Progress}
	warnings := sameFilesOtherTime(ctx, lock, targets)
	if opts.DryRun {
		return &Report{Results: Publish(ctx, targets, lock, po), LockPath: lockPath, Warnings: warnings}, nil
	}
	r, err := publishInTurn(ctx, lockPath, targets, po, opts.Waiting)
	if r != nil {
		r.Warnings = warnings
	}
	return r, err
}

// artifacts builds each layer, or takes the ZIP or the artifacts given.
func artifacts(ctx context.Context, opts RunOptions) ([]*layer.Artifact, error) {
	if opts.Built != nil {
		return opts.Built, nil
	}
	if opts.Zip != "" {
		a, err := check.ArtifactFromZip(ctx, opts.Zip, opts.Layers[0])
		if err != nil {
			return nil, err
		}
		return []*layer.Artifact{a}, nil
	}
	bo, err := opts.Build()
	if err != nil {
		return nil, err
	}
	bo.Manifest, bo.Layers = opts.Manifest, opts.Layers
	return build.Artifacts(ctx, bo)
}

// regionsFor is l's regions, the unknown ones told to unknown.
func regionsFor(l *manifest.Layer, given []string, configured string, unknown func(string)) ([]string, error) {
	regions, odd, err := l.RegionsFor(given, configured)
	if err != nil {
		return nil, err
	}
	for _, r := range odd {
		if unknown != nil {
			unknown(r)
		}
	}
	return regions, nil
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
