package prune

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/pacing"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/usage"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// Clients are the Lambda clients of a run, per region, and the SDK's
// configured region (for layers that name none).
type Clients struct {
	Lambda func(region string) API
	Region string
}

// RunOptions are the prune step's.
type RunOptions struct {
	Manifest *manifest.Manifest
	Layers   []*manifest.Layer
	// Clients makes the AWS clients; Run calls it once the lock is read.
	Clients func(context.Context) (*Clients, error)
	// Regions (--region) replaces every layer's own regions when set.
	Regions []string
	// UnknownRegion, when set, hears of a region this layerctl does not
	// know, which is used all the same.
	UnknownRegion func(region string)
	// Keep is how many of the newest versions are kept whatever they are;
	// at least 1.
	Keep int
	// DryRun decides and says, and deletes nothing.
	DryRun bool
	// IncludeShared deletes versions shared with other accounts or
	// organizations too (their users are invisible here).
	IncludeShared bool
	// Concurrency bounds the calls in flight, over every region; 0 means
	// 10. Rate paces them per region (calls per second); 0 does not pace.
	Concurrency int
	Rate        float64
	RetryBase   time.Duration // first backoff after a throttle or server error; 0 means 200ms
	// Waiting, when set, hears that another process has its turn with the
	// lock file (its process ID, 0 when unknown), once.
	Waiting func(lockPath string, pid int)
}

// Result is what prune did, or would do, to one version; a region that
// could not be read is one Result with Version 0.
type Result struct {
	Layer, Region string
	Version       int64
	Status        layer.Status // deleted, would-delete, kept or failed
	Reason        string       // why: kept, deleted (or would be), or what failed
}

// Report is every version prune looked at, by layer (in the manifest's
// order), region, then newest first.
type Report struct {
	Results []Result
	// ReleaseErr is a failure to give back the lock file's turn, after
	// everything was done.
	ReleaseErr error
}

// Failed counts the results that failed.
func (r *Report) Failed() int {
	n := 0
	for _, res := range r.Results {
		if res.Status == layer.StatusFailed {
			n++
		}
	}
	return n
}

// pruneNeeds is what prune must be allowed to do.
const pruneNeeds = "prune needs lambda:ListLayerVersions, GetLayerVersionPolicy, ListFunctions, ListAliases and DeleteLayerVersion"

// Run is the prune step. It reads the lock (in its turn with the lock file
// unless DryRun, so that a publish at once cannot record a version it
// deletes), then in each region of the layers, at once and paced: lists
// each layer's versions and every function configuration using one, and
// decides, version by version, to keep it (among the newest Keep, named in
// the lock, used, shared) or delete it. Unless DryRun it then lists the
// functions again and reads each candidate's policy again, and deletes
// what is still unused and unshared. A region or a delete that fails is in
// the report, the rest goes on. Run's error is what stopped it before
// anything was deleted (the lock, the clients, a region name), or an
// interrupt (the report then says what was done).
func Run(ctx context.Context, opts RunOptions) (rep *Report, err error) {
	if opts.Keep < 1 {
		return nil, errors.New("prune keeps at least the newest version: --keep must be 1 or more")
	}
	lockPath := opts.Manifest.LockPath()
	rep = &Report{}
	if !opts.DryRun {
		release, err := manifest.HoldLock(ctx, lockPath, func(pid int) {
			if opts.Waiting != nil {
				opts.Waiting(lockPath, pid)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("%w: nothing was deleted", err)
		}
		defer func() {
			if rerr := release(); rerr != nil {
				rep.ReleaseErr = rerr
			}
		}()
	}
	lock, err := manifest.LoadLock(lockPath)
	if err != nil {
		return nil, err
	}
	clients, err := opts.Clients(ctx)
	if err != nil {
		return nil, err
	}
	byRegion, order, err := layersByRegion(opts, clients.Region)
	if err != nil {
		return nil, err
	}
	limiter := pacing.New(cmp.Or(opts.Concurrency, 10), cmp.Or(opts.RetryBase, 200*time.Millisecond), 0, opts.Rate)
	results := map[[2]string][]Result{}
	var crashed error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for region, names := range byRegion {
		wg.Go(func() {
			p := &regionPruner{opts: &opts, api: paced{api: clients.Lambda(region), l: limiter, region: region}, region: region, lock: lock,
				out: map[string][]Result{}}
			err := crash.Guard("prune", func() error {
				p.run(ctx, names)
				return nil
			})
			if err != nil {
				p.stopped(names, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && crashed == nil {
				crashed = err
			}
			for _, name := range names {
				results[[2]string{name, region}] = p.out[name]
			}
		})
	}
	wg.Wait()
	for _, k := range order {
		rep.Results = append(rep.Results, results[k]...)
	}
	if crashed != nil {
		return rep, crashed // a bug: the report says where each region was left
	}
	if ctx.Err() != nil {
		return rep, fmt.Errorf("interrupted: the versions not yet deleted were kept: %w", ctx.Err())
	}
	return rep, nil
}

// layersByRegion is the layers each region holds, and the report's order.
func layersByRegion(opts RunOptions, configured string) (map[string][]string, [][2]string, error) {
	byRegion := map[string][]string{}
	var order [][2]string
	for _, l := range opts.Layers {
		regions, unknown, err := l.RegionsFor(opts.Regions, configured)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range unknown {
			if opts.UnknownRegion != nil {
				opts.UnknownRegion(r)
			}
		}
		for _, region := range regions {
			byRegion[region] = append(byRegion[region], l.Name)
			order = append(order, [2]string{l.Name, region})
		}
	}
	return byRegion, order, nil
}

// regionPruner prunes the layers of one region.
type regionPruner struct {
	opts   *RunOptions
	api    paced
	region string
	lock   *manifest.Lock
	out    map[string][]Result // by layer, as the run goes
}

// stopped says, after a bug stopped the region's run, what was left: a
// layer not reached failed, a version not deleted kept.
func (p *regionPruner) stopped(names []string, err error) {
	for _, name := range names {
		if p.out[name] == nil {
			p.out[name] = []Result{{Layer: name, Region: p.region, Status: layer.StatusFailed, Reason: err.Error()}}
		}
		for i := range p.out[name] {
			if r := &p.out[name][i]; r.Status == "" || r.Status == layer.StatusWouldDelete && !p.opts.DryRun {
				r.Status, r.Reason = layer.StatusKept, "not deleted: prune stopped on an internal error"
			}
		}
	}
}

// candidate is a version planned for deletion.
type candidate struct {
	res *Result
	arn string
}

// run decides for every version of the layers in the region, then (unless
// DryRun) checks the candidates again and deletes them, into p.out.
func (p *regionPruner) run(ctx context.Context, names []string) {
	out := p.out
	fail := func(name, what string, err error) {
		out[name] = []Result{{Layer: name, Region: p.region, Status: layer.StatusFailed,
			Reason: fmt.Sprintf("%s: %v", what, awsretry.Explain(err, p.region, pruneNeeds))}}
	}
	listed := map[string][]versions.Listed{}
	for _, name := range names {
		vs, err := versions.List(ctx, p.api, name)
		if err != nil {
			fail(name, "listing its versions; nothing was deleted", err)
			continue
		}
		listed[name] = vs
	}
	users, err := usage.Find(ctx, p.api, names)
	if err != nil {
		for _, name := range names {
			fail(name, "reading which functions use it; nothing was deleted", err)
		}
		return
	}
	var cands []*candidate
	for _, name := range names {
		vs, ok := listed[name]
		if !ok {
			continue
		}
		res := make([]Result, len(vs))
		out[name] = res
		for i, v := range vs {
			res[i] = Result{Layer: name, Region: p.region, Version: v.Number}
			if err := p.decide(ctx, &res[i], i, v, users); err != nil {
				res[i].Status, res[i].Reason = layer.StatusFailed, "reading its permissions; not deleted: "+awsretry.Explain(err, p.region, pruneNeeds).Error()
			}
		}
		for i := range res {
			if res[i].Status == layer.StatusWouldDelete {
				cands = append(cands, &candidate{res: &out[name][i], arn: vs[i].ARN})
			}
		}
	}
	if !p.opts.DryRun && len(cands) > 0 {
		p.deleteAll(ctx, cands)
	}
}

// decide keeps version v (the ith newest) of res.Layer, saying why, or
// marks it would-delete.
func (p *regionPruner) decide(ctx context.Context, res *Result, i int, v versions.Listed, users []usage.Config) error {
	var why []string
	if i < p.opts.Keep {
		why = append(why, newest(p.opts.Keep))
	}
	if ll := p.lock.Layers[res.Layer]; ll != nil && ll.Regions[p.region] != nil && ll.Regions[p.region].Version == v.Number {
		why = append(why, "named in "+manifest.LockFile)
	}
	if u := usedBy(users, res.Layer, v.Number); u != "" {
		why = append(why, u)
	}
	if len(why) == 0 && !p.opts.IncludeShared {
		shared, err := p.sharedWith(ctx, res.Layer, v.Number, v.ARN)
		if err != nil {
			return err
		}
		why = append(why, shared...)
	}
	if len(why) > 0 {
		res.Status, res.Reason = layer.StatusKept, strings.Join(why, "; ")
		return nil
	}
	res.Status, res.Reason = layer.StatusWouldDelete, p.deletable()
	return nil
}

// sharedWith is the reason to keep version n of name (ARN arn) shared with
// others, if it is.
func (p *regionPruner) sharedWith(ctx context.Context, name string, n int64, arn string) ([]string, error) {
	who, err := versions.SharedWith(ctx, p.api, name, n, accountOf(arn))
	if err != nil || len(who) == 0 {
		return nil, err
	}
	return []string{"shared with " + strings.Join(who, ", ") + ": their functions are invisible here (--include-shared deletes it)"}, nil
}

// deletable is why a version may go.
func (p *regionPruner) deletable() string {
	s := "older than the " + newest(p.opts.Keep) + ", not in " + manifest.LockFile + ", used by no function configuration or alias"
	if p.opts.IncludeShared {
		return s + " here (shares not checked: --include-shared)"
	}
	return s + ", shared with no one"
}

// deleteAll checks the candidates again, right before deleting them: the
// functions are listed once more and each policy read again, so that a
// function that started using a version, or a share added, since the plan
// keeps it. Then each is deleted; a failure leaves the rest going.
func (p *regionPruner) deleteAll(ctx context.Context, cands []*candidate) {
	names := []string{}
	for _, c := range cands {
		if !slices.Contains(names, c.res.Layer) {
			names = append(names, c.res.Layer)
		}
	}
	users, err := usage.Find(ctx, p.api, names)
	if err != nil {
		for _, c := range cands {
			c.res.Status, c.res.Reason = layer.StatusFailed, "checking again for users before deleting; not deleted: "+awsretry.Explain(err, p.region, pruneNeeds).Error()
		}
		return
	}
	for _, c := range cands {
		if ctx.Err() != nil {
			c.res.Status, c.res.Reason = layer.StatusKept, "interrupted before it was deleted"
			continue
		}
		p.deleteOne(ctx, c, users)
	}
}

// deleteOne deletes a candidate unless the second look finds it in use or
// shared.
func (p *regionPruner) deleteOne(ctx context.Context, c *candidate, users []usage.Config) {
	res := c.res
	if u := usedBy(users, res.Layer, res.Version); u != "" {
		res.Status, res.Reason = layer.StatusKept, u+" (found when checked again before deleting)"
		return
	}
	if !p.opts.IncludeShared {
		shared, err := p.sharedWith(ctx, res.Layer, res.Version, c.arn)
		if err != nil {
			res.Status, res.Reason = layer.StatusFailed, "reading its permissions again before deleting; not deleted: "+awsretry.Explain(err, p.region, pruneNeeds).Error()
			return
		}
		if len(shared) > 0 {
			res.Status, res.Reason = layer.StatusKept, shared[0]+" (found when checked again before deleting)"
			return
		}
	}
	_, err := p.api.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(res.Layer), VersionNumber: aws.Int64(res.Version)})
	if err != nil {
		res.Status, res.Reason = layer.StatusFailed, "deleting it: "+awsretry.Explain(err, p.region, pruneNeeds).Error()
		return
	}
	res.Status = layer.StatusDeleted
}

// newest names the versions --keep keeps.
func newest(keep int) string {
	if keep == 1 {
		return "newest version"
	}
	return fmt.Sprintf("newest %d versions", keep)
}

// usedBy is the reason to keep version n of layerName, if a configuration
// uses it: at most 5 named.
func usedBy(users []usage.Config, layerName string, n int64) string {
	var labels []string
	for _, u := range users {
		if u.Layer == layerName && u.Version == n {
			labels = append(labels, u.Label())
		}
	}
	switch {
	case len(labels) == 0:
		return ""
	case len(labels) > 5:
		return fmt.Sprintf("used by %s and %d more", strings.Join(labels[:5], ", "), len(labels)-5)
	}
	return "used by " + strings.Join(labels, ", ")
}

// accountOf is the account of a layer version ARN
// (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:N); "" when it is none, and
// then no statement counts as the owner's.
func accountOf(arn string) string {
	if parts := strings.Split(arn, ":"); len(parts) == 8 {
		return parts[4]
	}
	return ""
}
