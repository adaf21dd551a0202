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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// family is the layer's name in the manifest: both halves of a split layer
// share it, and a function uses one or the other.
func family(t *Target) string { return cmp.Or(t.Layer.SplitFrom, t.Layer.Name) }

// candidates holds, per region and layer family, the versions to attach.
type candidates map[string]map[string][]*attachCandidate

// resolveAll finds the version each target attaches in each of its regions,
// all at once. Any failure stops the run before anything changed.
func (r *attachRun) resolveAll(ctx context.Context, targets []Target) (candidates, error) {
	out := candidates{}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i := range targets {
		t := &targets[i]
		for _, region := range t.Regions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var c *attachCandidate
				err := crash.Guard("attach", func() (err error) {
					c, err = r.resolve(ctx, t, region)
					return err
				})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				if out[region] == nil {
					out[region] = map[string][]*attachCandidate{}
				}
				out[region][family(t)] = append(out[region][family(t)], c)
			}()
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errors.Join(errs...)
	}
	for _, fams := range out {
		for _, cs := range fams {
			slices.SortFunc(cs, func(a, b *attachCandidate) int { return strings.Compare(a.version.ARN, b.version.ARN) })
		}
	}
	return out, nil
}

// lockName names t's lock in messages.
func (t *Target) lockName() string {
	if t.LockName != "" {
		return t.LockName
	}
	return manifest.LockFile
}

// resolve finds the version of t to attach in region: --version N, else
// the lock's version for the region, else the newest version holding the
// content's digest.
func (r *attachRun) resolve(ctx context.Context, t *Target, region string) (*attachCandidate, error) {
	api, name := r.api(region), t.Layer.Name
	fail := func(err error) (*attachCandidate, error) {
		return nil, fmt.Errorf("layer %q in %s: %w", name, region, awsretry.Explain(err, region, attachNeeds))
	}
	var lr *struct {
		version  int64
		unzipped int64
	}
	if t.Lock != nil && t.Lock.Regions[region] != nil {
		lr = &struct{ version, unzipped int64 }{t.Lock.Regions[region].Version, t.Lock.UnzippedSize}
	}
	switch {
	case t.Version > 0:
		v, err := versions.Get(ctx, api, name, t.Version)
		if err != nil {
			return fail(err)
		}
		if v == nil {
			return nil, fmt.Errorf("layer %q has no version %d in %s (deleted, or never published there)", name, t.Version, region)
		}
		c := &attachCandidate{version: v}
		if lr != nil && lr.version == t.Version {
			c.unzipped = lr.unzipped
		}
		return c, nil
	case lr != nil:
		v, err := versions.Get(ctx, api, name, lr.version)
		if err != nil {
			return fail(err)
		}
		if v == nil {
			return nil, fmt.Errorf("layer %q: version %d, which %s records for %s, no longer exists; run layerctl publish to publish the content again", name, lr.version, t.lockName(), region)
		}
		if v.CodeSHA256 != t.Lock.CodeSHA256 {
			return nil, fmt.Errorf("layer %q: version %d in %s holds other content (CodeSha256 %s) than %s records (%s); run layerctl publish to set the lock right", name, lr.version, region, v.CodeSHA256, t.lockName(), t.Lock.CodeSHA256)
		}
		return &attachCandidate{version: v, unzipped: lr.unzipped}, nil
	}
	var sha, code string
	var unzipped int64
	switch {
	case t.Lock != nil:
		sha, code, unzipped = t.Lock.SHA256, t.Lock.CodeSHA256, t.Lock.UnzippedSize
	case t.Artifact != nil:
		sha, code, unzipped = t.Artifact.SHA256, t.Artifact.CodeSHA256, t.Artifact.UnzippedSize
	default:
		return nil, fmt.Errorf("layer %q: no version given, no lock entry and no artifact to find the version by", name)
	}
	warnf := func(format string, args ...any) {
		r.logf(nil, "warning: %s %s: "+format, append([]any{name, region}, args...)...)
	}
	v, err := versions.Find(ctx, api, name, sha, code, 0, warnf)
	if err != nil {
		return fail(err)
	}
	if v == nil {
		return nil, fmt.Errorf("no version of layer %q in %s holds its content (sha256 %s): run layerctl publish first", name, region, sha[:min(12, len(sha))])
	}
	return &attachCandidate{version: v, unzipped: unzipped}, nil
}

// discover finds the target functions in every region and what each
// should use. A function named by ARN is looked for in its own region only.
func (r *attachRun) discover(ctx context.Context, targets []Target, cands candidates) ([]*attachJob, error) {
	jobs := map[[2]string]*attachJob{}
	listed := map[[2]string][]string{}
	add := func(region, name, id, fam string, explicit bool) *attachJob {
		j := jobs[[2]string{region, name}]
		if j == nil {
			j = &attachJob{region: region, name: name, id: id, listed: listed[[2]string{region, name}]}
			jobs[[2]string{region, name}] = j
		}
		i := slices.IndexFunc(j.wants, func(w *attachWant) bool { return w.family == fam })
		if i < 0 {
			j.wants = append(j.wants, &attachWant{family: fam, candidates: cands[region][fam]})
			i = len(j.wants) - 1
		}
		j.wants[i].explicit = j.wants[i].explicit || explicit
		return j
	}

	regions := map[string]bool{}
	for _, t := range targets {
		for _, region := range t.Regions {
			regions[region] = true
		}
		// A function ARN in a region the layer is not published for.
		for _, fn := range t.Functions {
			if name, region := splitFunctionARN(fn); region != "" && !slices.Contains(t.Regions, region) {
				j := add(region, name, fn, family(&t), true)
				j.res.Status = layer.StatusRefused
				j.res.Err = fmt.Errorf("it is in %s, where layer %s is not attached (its regions: %s); add the region or pass --region", region, t.Layer.Name, strings.Join(t.Regions, ", "))
			}
		}
	}
	for _, region := range slices.Sorted(maps.Keys(regions)) {
		var here []*Target
		listAll, needTags := false, false
		for i := range targets {
			if t := &targets[i]; slices.Contains(t.Regions, region) {
				here = append(here, t)
				listAll = listAll || len(t.Tags) > 0 || len(t.Functions) == 0
				needTags = needTags || len(t.Tags) > 0
			}
		}
		var fns []types.FunctionConfiguration
		var tags map[string]map[string]string
		if listAll {
			var err error
			if fns, err = r.listFunctions(ctx, region); err != nil {
				return nil, err
			}
			for _, f := range fns {
				listed[[2]string{region, aws.ToString(f.FunctionName)}] = fnConfigOf(&f).arns()
			}
		}
		if needTags {
			var err error
			if tags, err = r.listTags(ctx, region, fns); err != nil {
				return nil, err
			}
		}
		for _, t := range here {
			fam := family(t)
			for _, fn := range t.Functions {
				name, fnRegion := splitFunctionARN(fn)
				if fnRegion == "" || fnRegion == region {
					add(region, name, fn, fam, true)
				}
			}
			for _, f := range fns {
				name := aws.ToString(f.FunctionName)
				switch {
				case len(t.Tags) > 0:
					if hasTags(tags[aws.ToString(f.FunctionArn)], t.Tags) {
						add(region, name, name, fam, true)
					}
				case len(t.Functions) == 0:
					w := &attachWant{candidates: cands[region][fam]}
					if slices.ContainsFunc(f.Layers, func(l types.Layer) bool { return w.uses(aws.ToString(l.Arn)) }) {
						add(region, name, name, fam, false)
					}
				}
			}
		}
	}
	out := slices.Collect(maps.Values(jobs))
	slices.SortFunc(out, func(a, b *attachJob) int {
		return cmp.Or(strings.Compare(a.region, b.region), strings.Compare(a.name, b.name))
	})
	return regionsInTurn(out), nil
}

// regionsInTurn orders jobs sorted by region so that the regions take
// turns: the first function of each region, then the second of each... The
// workers take functions in this order, and each region is paced on its
// own: in region order, every worker would wait on the first region's pace
// while the other regions' quotas went unused.
func regionsInTurn(jobs []*attachJob) []*attachJob {
	var byRegion [][]*attachJob
	for i, j := range jobs {
		if i == 0 || j.region != jobs[i-1].region {
			byRegion = append(byRegion, nil)
		}
		byRegion[len(byRegion)-1] = append(byRegion[len(byRegion)-1], j)
	}
	out := make([]*attachJob, 0, len(jobs))
	for turn := 0; len(out) < len(jobs); turn++ {
		for _, js := range byRegion {
			if turn < len(js) {
				out = append(out, js[turn])
			}
		}
	}
	return out
}

// listFunctions lists every function ($LATEST) in region.
func (r *attachRun) listFunctions(ctx context.Context, region string) ([]types.FunctionConfiguration, error) {
	var out []types.FunctionConfiguration
	pages := lambda.NewListFunctionsPaginator(r.api(region), &lambda.ListFunctionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the functions in %s: %w", region, awsretry.Explain(err, region, attachNeeds))
		}
		out = append(out, page.Functions...)
	}
	return out, nil
}

// listTags reads the tags of every function, with bounded concurrency, by
// GetFunction: ListTags would spend the scarce quota that updates need.
func (r *attachRun) listTags(ctx context.Context, region string, fns []types.FunctionConfiguration) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 4*r.opts.Concurrency)
	var wg sync.WaitGroup
	for _, f := range fns {
		arn := aws.ToString(f.FunctionArn)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var res *lambda.GetFunctionOutput
			err := crash.Guard("attach", func() (err error) {
				res, err = r.api(region).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)})
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil && !awsretry.IsNotFound(err) {
				if firstErr == nil {
					firstErr = fmt.Errorf("reading the tags of %s: %w", arn, awsretry.Explain(err, region, attachNeeds))
				}
				return
			}
			if res != nil {
				out[arn] = res.Tags
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}

func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// splitFunctionARN returns the function name of fn (a name or a function
// ARN of any partition: arn:aws-eusc:lambda:eusc-de-east-1:...), and the
// region of an ARN ("" for a name).
func splitFunctionARN(fn string) (name, region string) {
	a, err := arn.Parse(fn)
	if err != nil || a.Service != "lambda" {
		return fn, ""
	}
	kind, name, _ := strings.Cut(a.Resource, ":")
	if kind != "function" || name == "" || strings.Contains(name, ":") {
		return fn, ""
	}
	return name, a.Region
}

// attachNeeds is what attach must be allowed to do.
const attachNeeds = "attach needs lambda:GetLayerVersion, ListLayerVersions, ListFunctions, GetFunction and UpdateFunctionConfiguration (and PublishVersion, GetAlias, UpdateAlias with --publish-version/--alias)"
