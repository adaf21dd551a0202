package status

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/pacing"
	"github.com/layerctl/layerctl/layer/lockstore"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/layer/usage"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// API is what status calls on Lambda, with the SDK's signatures.
type API interface {
	versions.API
	usage.API
	GetAccountSettings(context.Context, *lambda.GetAccountSettingsInput, ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error)
}

var _ API = (*lambda.Client)(nil)

// Clients are the Lambda clients of a run, per region, and the SDK's
// configured region (for layers that name none).
type Clients = units.Clients[API]

// RunOptions are the status step's.
type RunOptions struct {
	Manifest *manifest.Manifest
	Layers   []*manifest.Layer
	// Clients makes the AWS clients; Run calls it once the lock is read.
	Clients func(context.Context) (*Clients, error)
	// Regions (--region) replaces every layer's own regions when set.
	Regions []string
	// Shard, when set (--shard I/N), is the share of the (layer, account,
	// region) units this run reads.
	Shard units.Shard
	// UnknownRegion, when set, hears of a region this layerctl does not
	// know, which is used all the same.
	UnknownRegion func(region string)
	// Concurrency bounds the calls in flight, over every account and
	// region; 0 means 10. Rate paces them per account and region (calls
	// per second); 0 does not pace.
	Concurrency int
	Rate        float64
	RetryBase   time.Duration // first backoff after a throttle or server error; 0 means 200ms
}

// Report is where each layer stands, by layer (in the manifest's order),
// account then region, and the code storage of each account and region.
type Report struct {
	Layers  []Layer
	Storage []Storage // by account, then region
	// Failed are the accounts that could not be read (their role could not
	// be assumed, a region of theirs did not answer), with why: the others
	// are in the report.
	Failed []Failure
	// Caller is the account of the run's own credentials ("" when
	// unknown): the account of the rows whose Account is "".
	Caller string
}

// Failure is an account status could not read, and why.
type Failure struct {
	Account string
	Err     error
}

// Layer is one layer in one region of one account.
type Layer struct {
	Layer     string
	Account   string // the account the manifest names; "" for the credentials' own
	Region    string
	Latest    int64      // the newest version; 0 when there is none
	Versions  []Version  // newest first
	Functions []Function // by function, then $LATEST first and versions in order
}

// Version is one version of a layer that exists.
type Version struct {
	Number     int64
	ARN        string
	CodeSHA256 string    // base64, as Lambda reports it
	Created    time.Time // zero when Lambda's date could not be read
	InLock     bool      // layerctl.lock names it for this region
	UsedBy     int       // the function configurations using it
}

// Function is one function configuration using some version of the layer
// (possibly one deleted since).
type Function struct {
	Function  string
	Qualifier string   // "$LATEST", or the published function version's number
	Aliases   []string // the aliases pointing (or routing calls) at it, sorted
	Version   int64    // the layer version it uses
	Behind    int64    // how many versions behind the newest: Latest - Version, never below 0
}

// Watched reports whether calls reach this configuration by name: $LATEST
// or an alias. A published version no alias names is history, not a
// deployment: --exit-code does not count it.
func (f Function) Watched() bool {
	return f.Qualifier == usage.Latest || len(f.Aliases) > 0
}

// Behind counts the watched configurations ($LATEST or aliased) that are
// behind the newest version: what status --exit-code gates on.
func (r *Report) Behind() int {
	n := 0
	for _, l := range r.Layers {
		for _, f := range l.Functions {
			if f.Behind > 0 && f.Watched() {
				n++
			}
		}
	}
	return n
}

// Storage is the account's code storage in one region: every function's
// code and every layer version counts, deleted ones excepted.
type Storage struct {
	Account     string // as Layer's
	Region      string
	Used, Limit int64 // bytes
	// Err says why it is unknown (GetAccountSettings did not answer: moto
	// does not serve it, a policy may deny it); nil when known.
	Err error
}

// CrowdedAt is the share of the code storage quota past which status
// warns: PublishLayerVersion fails with CodeStorageExceededException at
// the limit.
const CrowdedAt = 0.8

// Crowded reports whether the storage used is over CrowdedAt of the limit.
func (s Storage) Crowded() bool {
	return s.Err == nil && s.Limit > 0 && float64(s.Used) > CrowdedAt*float64(s.Limit)
}

// statusNeeds is what status must be allowed to do.
const statusNeeds = "status needs lambda:ListLayerVersions, GetLayerVersion, ListFunctions, ListAliases (and GetAccountSettings for the storage)"

// Run is the status step: it reads the lock, then, in each region of the
// layers in each of their accounts (at once, paced per account and
// region), lists every version of each layer and reads its digest, lists
// every function configuration once (FunctionVersion=ALL) for those using
// any of them, with their aliases, and reads the account's code storage.
// Its error is the first thing that could not be read (naming the layer
// or region): a status with holes would mislead a gate. When the manifest
// names accounts, an account that cannot be read is a Failure of the
// report instead, whole, and the other accounts are read.
func Run(ctx context.Context, opts RunOptions) (*Report, error) {
	plan, err := units.Plan(opts.Layers, opts.Regions, opts.UnknownRegion)
	if err != nil {
		return nil, err
	}
	var clients *Clients
	if opts.Manifest.Lock.S3 == nil {
		// Read first, so that a broken lock file fails before any call.
		if _, err := manifest.LoadLock(opts.Manifest.LockPath()); err != nil {
			return nil, err
		}
	}
	if plan = opts.Shard.Of(plan); len(plan) == 0 {
		return &Report{}, nil // a shard with nothing to read
	}
	if clients, err = opts.Clients(ctx); err != nil {
		return nil, err
	}
	lock, err := lockstore.For(opts.Manifest, clients.Lock).Load(ctx)
	if err != nil {
		return nil, err
	}
	if plan, err = units.Resolve(plan, clients.Region, opts.UnknownRegion); err != nil {
		return nil, err
	}
	limiter := pacing.ForRun(opts.Concurrency, opts.RetryBase, 0, opts.Rate)
	groups := units.ByAccount(plan)
	if len(groups) == 1 && groups[0].Account.IsCurrent() {
		r, err := readAccount(ctx, groups[0], clients, limiter, lock)
		if r != nil {
			r.Caller = clients.ID
		}
		return r, err
	}
	byAccount, failed := units.ForAccounts(ctx, groups, clients, clients.Account, 8)
	reports := make([]*Report, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		if errs[i] = failed[g.Account.ID]; errs[i] != nil {
			continue
		}
		wg.Go(func() {
			if reports[i], errs[i] = readAccount(ctx, g, byAccount[g.Account.ID], limiter, lock); errs[i] != nil {
				errs[i] = fmt.Errorf("account %s: %w", g.Account.ID, errs[i])
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	out := &Report{Caller: clients.ID}
	for i, g := range groups {
		if errs[i] != nil {
			var ce *crash.Error
			if errors.As(errs[i], &ce) {
				return nil, errs[i] // a bug: it says so alone
			}
			out.Failed = append(out.Failed, Failure{Account: g.Account.ID, Err: errs[i]})
			continue
		}
		out.Storage = append(out.Storage, reports[i].Storage...)
	}
	for _, k := range layerOrder(plan) {
		for i, g := range groups {
			if g.Account.ID == k.account && reports[i] != nil {
				for _, l := range reports[i].Layers {
					if l.Layer == k.layer && l.Region == k.region {
						out.Layers = append(out.Layers, l)
					}
				}
			}
		}
	}
	return out, nil
}

// layerRegion is one layer in one region of one account, in the report's
// order.
type layerRegion struct{ layer, account, region string }

// layerOrder is the report's order: the plan's, by layer, account, region.
func layerOrder(plan []units.Unit) []layerRegion {
	out := make([]layerRegion, len(plan))
	for i, u := range plan {
		out[i] = layerRegion{u.Layer.Name, u.Account.ID, u.Region}
	}
	return out
}

// readAccount reads the layers of one account (g), each region at once.
func readAccount(ctx context.Context, g units.Group, clients *Clients, limiter *pacing.Limiter, lock *manifest.Lock) (*Report, error) {
	account := g.Account.ID
	byRegion := map[string][]string{}
	var order []layerRegion
	for _, l := range g.Layers {
		for _, region := range g.Regions[l.Name] {
			byRegion[region] = append(byRegion[region], l.Name)
			order = append(order, layerRegion{l.Name, account, region})
		}
	}
	results := make(map[string]*regionStatus, len(byRegion))
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for region, names := range byRegion {
		wg.Go(func() {
			var rs *regionStatus
			err := crash.Guard("status", func() (err error) {
				api := paced{pacing.NewReader(clients.Lambda(region), limiter, account, region)}
				rs, err = readRegion(ctx, api, region, names, lock)
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			results[region] = rs
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errors.Join(errs...)
	}
	r := &Report{}
	for _, k := range order {
		r.Layers = append(r.Layers, *results[k.region].layers[k.layer])
	}
	for _, region := range slices.Sorted(maps.Keys(results)) {
		r.Storage = append(r.Storage, results[region].storage)
	}
	return r, nil
}

// regionStatus is what one region holds of the layers.
type regionStatus struct {
	layers  map[string]*Layer
	storage Storage
}

// readRegion reads the layers' versions, their users and the storage of
// one region.
func readRegion(ctx context.Context, api paced, region string, names []string, lock *manifest.Lock) (*regionStatus, error) {
	fail := func(what string, err error) error {
		return fmt.Errorf("%s in %s: %w", what, region, awsretry.Explain(err, region, statusNeeds))
	}
	rs := &regionStatus{layers: map[string]*Layer{}}
	for _, name := range names {
		l, err := readVersions(ctx, api, name, region, lock)
		if err != nil {
			return nil, fail(fmt.Sprintf("layer %q", name), err)
		}
		rs.layers[name] = l
	}
	users, err := usage.Find(ctx, api, names)
	if err != nil {
		return nil, fail("reading which functions use the layers", err)
	}
	for _, u := range users {
		l := rs.layers[u.Layer]
		l.Functions = append(l.Functions, Function{Function: u.Function, Qualifier: u.Qualifier, Aliases: nonNil(u.Aliases),
			Version: u.Version, Behind: max(0, l.Latest-u.Version)})
		for i := range l.Versions {
			if l.Versions[i].Number == u.Version {
				l.Versions[i].UsedBy++
			}
		}
	}
	rs.storage = readStorage(ctx, api, region)
	rs.storage.Account = api.Account
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return rs, nil
}

// readVersions lists a layer's versions and reads each one's digest, a few
// at once (the limiter paces them).
func readVersions(ctx context.Context, api paced, name, region string, lock *manifest.Lock) (*Layer, error) {
	listed, err := versions.List(ctx, api, name)
	if err != nil {
		return nil, err
	}
	l := &Layer{Layer: name, Account: api.Account, Region: region, Versions: make([]Version, len(listed)), Functions: []Function{}}
	var locked int64
	if ll := lock.Layers[name]; ll != nil && ll.RegionsIn(api.Account)[region] != nil {
		locked = ll.RegionsIn(api.Account)[region].Version
	}
	errs := make([]error, len(listed))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, v := range listed {
		if i == 0 {
			l.Latest = v.Number
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = crash.Guard("status", func() error {
				got, err := versions.Get(ctx, api, name, v.Number)
				if err != nil {
					return err
				}
				l.Versions[i] = Version{Number: v.Number, ARN: v.ARN, Created: v.Created, InLock: v.Number == locked}
				if got != nil { // deleted since it was listed: no digest
					l.Versions[i].CodeSHA256 = got.CodeSHA256
				}
				return nil
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, nil
}

// readStorage is the region's code storage, unknown (with why) when
// GetAccountSettings does not answer.
func readStorage(ctx context.Context, api paced, region string) Storage {
	out, err := api.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		return Storage{Region: region, Err: fmt.Errorf("GetAccountSettings did not answer: %s", shortError(err))}
	}
	s := Storage{Region: region}
	if out.AccountUsage != nil {
		s.Used = out.AccountUsage.TotalCodeSize
	}
	if out.AccountLimit != nil {
		s.Limit = out.AccountLimit.TotalCodeSize
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// shortError is an AWS error in a few words: its code and message, or the
// HTTP status of an answer that was no Lambda error (moto's 404 page).
func shortError(err error) string {
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) && errors.As(err, &re) {
		return fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
	}
	return awsretry.Short(err)
}
