package prune

import (
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
	"github.com/layerctl/layerctl/layer/lockstore"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/layer/usage"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// Clients are the Lambda clients of a run, per region, and the SDK's
// configured region (for layers that name none).
type Clients = units.Clients[API]

// RunOptions are the prune step's.
type RunOptions struct {
	Manifest *manifest.Manifest
	Layers   []*manifest.Layer
	// Clients makes the AWS clients; Run calls it once the lock is read.
	Clients func(context.Context) (*Clients, error)
	// Regions (--region) replaces every layer's own regions when set.
	Regions []string
	// Shard, when set (--shard I/N), is the share of the (layer, account,
	// region) units this run prunes.
	Shard units.Shard
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
	// Concurrency bounds the calls in flight, over every account and
	// region; 0 means 10. Rate paces them per account and region (calls
	// per second); 0 does not pace.
	Concurrency int
	Rate        float64
	RetryBase   time.Duration // first backoff after a throttle or server error; 0 means 200ms
	// Waiting, when set, hears that another process has its turn with the
	// lock file (its process ID, 0 when unknown), once.
	Waiting func(lockPath string, pid int)
}

// Result is what prune did, or would do, to one version; a region that
// could not be read (or an account whose role could not be assumed) is
// one Result with Version 0.
type Result struct {
	Layer   string
	Account string // the account the manifest names; "" for the credentials' own
	Region  string
	Version int64
	Status  layer.Status // deleted, would-delete, kept or failed
	Reason  string       // why: kept, deleted (or would be), or what failed
}

// Report is every version prune looked at, by layer (in the manifest's
// order), account, region, then newest first.
type Report struct {
	Results []Result
	// Caller is the account of the run's own credentials ("" when
	// unknown): the account of the results whose Account is "".
	Caller string
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
// deletes; the S3 lock has no turn and is read again right before
// deleting), then in each region of the layers in each of their
// accounts, at once and paced per account and region: lists each layer's
// versions and every function configuration using one, and decides,
// version by version, to keep it (among the newest Keep, named in the
// lock, used, shared) or delete it. Unless DryRun it then lists the
// functions again and reads each candidate's policy again, and deletes
// what is still unused and unshared. A region or a delete that fails, or
// an account whose role cannot be assumed, is in the report, the rest
// goes on. Run's error is what stopped it before anything was deleted
// (the lock, the clients, a region name), or an interrupt (the report then
// says what was done).
func Run(ctx context.Context, opts RunOptions) (rep *Report, err error) {
	if opts.Keep < 1 {
		return nil, errors.New("prune keeps at least the newest version: --keep must be 1 or more")
	}
	plan, err := units.Plan(opts.Layers, opts.Regions, opts.UnknownRegion)
	if err != nil {
		return nil, err
	}
	if plan = opts.Shard.Of(plan); len(plan) == 0 {
		return &Report{}, nil // a shard with nothing to prune
	}
	lockPath := opts.Manifest.LockPath()
	shared := opts.Manifest.Lock.S3 != nil
	rep = &Report{}
	if !opts.DryRun && !shared {
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
	var lock *manifest.Lock
	if !shared {
		if lock, err = manifest.LoadLock(lockPath); err != nil {
			return nil, err
		}
	}
	clients, err := opts.Clients(ctx)
	if err != nil {
		return nil, err
	}
	rep.Caller = clients.ID
	var reload func(context.Context) (*manifest.Lock, error)
	if shared {
		store := lockstore.For(opts.Manifest, clients.Lock)
		if lock, err = store.Load(ctx); err != nil {
			return nil, err
		}
		reload = store.Load
	}
	if plan, err = units.Resolve(plan, clients.Region, opts.UnknownRegion); err != nil {
		return nil, err
	}
	limiter := pacing.ForRun(opts.Concurrency, opts.RetryBase, 0, opts.Rate)
	groups := units.ByAccount(plan)
	byAccount, failed := units.ForAccounts(ctx, groups, clients, clients.Account, 8)
	results := map[[3]string][]Result{}
	var crashed error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, g := range groups {
		account := g.Account.ID
		if err := failed[account]; err != nil {
			for _, l := range g.Layers {
				for _, region := range g.Regions[l.Name] {
					results[[3]string{l.Name, account, region}] = []Result{{Layer: l.Name, Account: account, Region: region, Status: layer.StatusFailed,
						Reason: err.Error() + "; nothing was deleted"}}
				}
			}
			continue
		}
		for region, names := range byRegion(g) {
			wg.Go(func() {
				p := &regionPruner{opts: &opts, api: paced{pacing.NewReader(byAccount[account].Lambda(region), limiter, account, region)},
					region: region, account: account, lock: lock, reload: reload, out: map[string][]Result{}}
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
					results[[3]string{name, account, region}] = p.out[name]
				}
			})
		}
	}
	wg.Wait()
	for _, u := range plan {
		rep.Results = append(rep.Results, results[[3]string{u.Layer.Name, u.Account.ID, u.Region}]...)
	}
	if crashed != nil {
		return rep, crashed // a bug: the report says where each region was left
	}
	if ctx.Err() != nil {
		return rep, fmt.Errorf("interrupted: the versions not yet deleted were kept: %w", ctx.Err())
	}
	return rep, nil
}

// byRegion is the layers of one account each of its regions holds.
func byRegion(g units.Group) map[string][]string {
	out := map[string][]string{}
	for _, l := range g.Layers {
		for _, region := range g.Regions[l.Name] {
			out[region] = append(out[region], l.Name)
		}
	}
	return out
}

// regionPruner prunes the layers of one region of one account.
type regionPruner struct {
	opts    *RunOptions
	api     paced
	region  string
	account string // the account the manifest names; "" for the credentials' own
	lock    *manifest.Lock
	// reload, when set, reads the lock again (the S3 lock, which has no
	// turn to hold), right before deleting.
	reload func(context.Context) (*manifest.Lock, error)
	out    map[string][]Result // by layer, as the run goes
}

// stopped says, after a bug stopped the region's run, what was left: a
// layer not reached failed, a version not deleted kept.
func (p *regionPruner) stopped(names []string, err error) {
	for _, name := range names {
		if p.out[name] == nil {
			p.out[name] = []Result{{Layer: name, Account: p.account, Region: p.region, Status: layer.StatusFailed, Reason: err.Error()}}
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
		out[name] = []Result{{Layer: name, Account: p.account, Region: p.region, Status: layer.StatusFailed,
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
			res[i] = Result{Layer: name, Account: p.account, Region: p.region, Version: v.Number}
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
	if locked(p.lock, res.Layer, p.account, p.region, v.Number) {
		why = append(why, "named in "+p.lockName())
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
	s := "older than the " + newest(p.opts.Keep) + ", not in " + p.lockName() + ", used by no function configuration or alias"
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
	if p.reload != nil {
		lock, err := p.reload(ctx)
		if err != nil {
			for _, c := range cands {
				c.res.Status, c.res.Reason = layer.StatusFailed, "reading the lock again before deleting; not deleted: "+err.Error()
			}
			return
		}
		for _, c := range cands {
			if locked(lock, c.res.Layer, p.account, p.region, c.res.Version) {
				c.res.Status, c.res.Reason = layer.StatusKept, "named in "+p.lockName()+" (found when checked again before deleting)"
			}
		}
	}
	for _, c := range cands {
		if c.res.Status != layer.StatusWouldDelete {
			continue
		}
		if ctx.Err() != nil {
			c.res.Status, c.res.Reason = layer.StatusKept, "interrupted before it was deleted"
			continue
		}
		p.deleteOne(ctx, c, users)
	}
}

// lockName names the lock in reasons: layerctl.lock, or the S3 lock.
func (p *regionPruner) lockName() string {
	if p.reload != nil {
		return "the S3 lock"
	}
	return manifest.LockFile
}

// locked reports whether the lock names version n of layer name in account
// and region.
func locked(lock *manifest.Lock, name, account, region string, n int64) bool {
	ll := lock.Layers[name]
	if ll == nil {
		return false
	}
	lr := ll.RegionsIn(account)[region]
	return lr != nil && lr.Version == n
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
