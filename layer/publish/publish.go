package publish

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// Target is one layer to publish, with its artifact and regions, in one
// account.
type Target struct {
	Layer    *manifest.Layer
	Artifact *layer.Artifact
	Regions  []string
	// Account is the account the manifest names ("" for the credentials'
	// own), and Lambda and S3, when set, its clients in place of Options'.
	Account string
	Lambda  func(region string) LambdaAPI
	S3      func(region string) S3API
}

// Options are the clients and knobs of a publish run.
type Options struct {
	Lambda      func(region string) LambdaAPI
	S3          func(region string) S3API
	DryRun      bool
	Concurrency int       // regions in flight at once; 0 means 8
	Log         io.Writer // what happens, for people
	Progress    io.Writer // when set (a terminal), upload progress bars go there
	// Sleep waits between attempts; tests make it instant.
	Sleep func(context.Context, time.Duration) error
	// InlineLimit is the largest ZIP sent inline, larger ones go through
	// S3; 0 means the largest that fits in Lambda's request body with the
	// layer's metadata (inline.go). Tests lower it to take S3 with small ZIPs.
	InlineLimit int64
}

// Result is the outcome in one region of one account.
type Result struct {
	Layer      string
	Account    string // the account the manifest names; "" for the credentials' own
	Region     string
	Version    int64
	ARN        string
	Status     layer.Status
	CodeSHA256 string
	// Reason says why a version is (or would be) published: "new content",
	// or what changed in the metadata ("runtimes changed (...)"). It is
	// for people (the log), not in publish's JSON.
	Reason string
	Err    error
}

// publishAttempts bounds how often one PublishLayerVersion is tried.
const publishAttempts = 5

// Publish publishes every target in each of its regions, regions
// concurrently, and never publishes content that a version already holds:
// a version is found by the digest tag in its description and confirmed by
// its CodeSha256. Results come back in target and region order.
func Publish(ctx context.Context, targets []Target, lock *manifest.Lock, opts Options) []Result {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Sleep == nil {
		opts.Sleep = awsretry.Sleep
	}
	var results []Result
	type job struct {
		t      *Target
		region string
		i      int
	}
	var jobs []job
	for ti := range targets {
		for ri, r := range targets[ti].Regions {
			if slices.Contains(targets[ti].Regions[:ri], r) {
				continue // one region, one publisher: two would race for one version
			}
			jobs = append(jobs, job{&targets[ti], r, len(results)})
			results = append(results, Result{Layer: targets[ti].Layer.Name, Account: targets[ti].Account, Region: r, CodeSHA256: targets[ti].Artifact.CodeSHA256})
		}
	}
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(opts.Log, format+"\n", args...)
	}
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer crash.Recovered(&results[j.i].Err) // a bug: the region fails, the command says so
			sem <- struct{}{}
			defer func() { <-sem }()
			po := opts
			if j.t.Lambda != nil {
				po.Lambda, po.S3 = j.t.Lambda, j.t.S3
			}
			where := j.region
			if j.t.Account != "" {
				where = fmt.Sprintf("%s of account %s", j.region, j.t.Account)
			}
			p := &regionPublisher{opts: po, t: j.t, region: j.region, where: where, lc: po.Lambda(j.region), logf: logf, lock: lockRegion(lock, j.t)}
			res := &results[j.i]
			v, status, err := p.run(ctx)
			res.Reason = p.reason
			if err != nil {
				res.Status, res.Err = layer.StatusFailed, fmt.Errorf("publishing layer %q in %s: %w", j.t.Layer.Name, where, awsretry.Explain(err, where, publishNeeds))
				return
			}
			if v != nil {
				res.Version, res.ARN = v.version, v.arn
			}
			res.Status = status
		}()
	}
	wg.Wait()
	return results
}

// lockRegion returns the lock's entries for the target's content in its
// account, if the lock records that very content.
func lockRegion(lock *manifest.Lock, t *Target) map[string]*manifest.LockRegion {
	if lock == nil {
		return nil
	}
	if ll := lock.Layers[t.Layer.Name]; ll != nil && ll.SHA256 == t.Artifact.SHA256 {
		return ll.RegionsIn(t.Account)
	}
	return nil
}

type foundVersion struct {
	version int64
	arn     string
}

// regionPublisher publishes one layer in one region.
type regionPublisher struct {
	opts   Options
	t      *Target
	region string
	where  string // the region, and the account when one is named: for messages
	lc     LambdaAPI
	logf   func(string, ...any)
	lock   map[string]*manifest.LockRegion
	reason string // why a version is published, once run knows
}

func (p *regionPublisher) run(ctx context.Context) (*foundVersion, layer.Status, error) {
	name, art := p.t.Layer.Name, p.t.Artifact
	in := p.input()
	inline := art.Size <= p.inlineLimit(in)
	if !inline && p.t.Layer.S3.BucketFor(p.region) == "" {
		return nil, "", p.tooLargeInline(in)
	}
	v, other, err := p.find(ctx)
	if err != nil {
		return nil, "", err
	}
	if v != nil {
		p.logf("%s %s: content %s is already version %d", name, p.where, art.SHA256[:12], v.version)
		if err := p.share(ctx, v); err != nil {
			return nil, "", err
		}
		return v, layer.StatusUnchanged, nil
	}
	p.reason = p.why(other)

	in.Content, err = p.content(ctx, inline)
	if err != nil {
		return nil, "", err
	}
	if p.opts.DryRun {
		p.logf("%s %s: would publish %s (%s): %s", name, p.where, art.SHA256[:12], size.Text(art.Size), p.reason)
		return nil, layer.StatusWouldPublish, nil
	}
	v, err = p.publish(ctx, in)
	if err != nil {
		return nil, "", err
	}
	p.logf("%s %s: published version %d: %s", name, p.where, v.version, p.reason)
	if err := p.share(ctx, v); err != nil {
		return v, "", err
	}
	return v, layer.StatusPublished, nil
}

// publish calls PublishLayerVersion without the SDK's own retries: it is not
// idempotent, and an answer lost after the version was created must not
// create a second one. After every failure worth another try the version
// is looked up by its digest before trying again. A body too large (413) is
// not worth one: Lambda refuses the request for its size, every time.
func (p *regionPublisher) publish(ctx context.Context, in *lambda.PublishLayerVersionInput) (*foundVersion, error) {
	for attempt := 1; ; attempt++ {
		var sent int64
		out, err := p.lc.PublishLayerVersion(ctx, in, func(o *lambda.Options) { o.RetryMaxAttempts = 1 }, bodySize(&sent))
		if err == nil {
			var got string
			if out.Content != nil {
				got = aws.ToString(out.Content.CodeSha256)
			}
			if got != p.t.Artifact.CodeSHA256 {
				return nil, p.discard(ctx, out.Version, got)
			}
			return &foundVersion{out.Version, aws.ToString(out.LayerVersionArn)}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if isTooLarge(err) && in.Content.ZipFile != nil {
			return nil, p.refusedAsTooLarge(err, sent)
		}
		if !awsretry.Retryable(err) {
			return nil, err
		}
		// The request may have created the version before its answer was lost.
		if v, _, ferr := p.find(ctx); ferr == nil && v != nil {
			p.logf("%s %s: the publish answer was lost (%v), but version %d holds the content", p.t.Layer.Name, p.where, awsretry.Short(err), v.version)
			return v, nil
		}
		if attempt == publishAttempts {
			return nil, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := awsretry.Backoff(attempt, err, 200*time.Millisecond, 20*time.Second)
		p.logf("%s %s: publish failed (%v); retrying in %s", p.t.Layer.Name, p.where, awsretry.Short(err), wait.Round(time.Millisecond))
		if err := p.opts.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// discard deletes version n, just published, which holds other bytes than
// the ZIP (CodeSha256 got): it carries the ZIP's digest in its description
// and must not stay to be found, recorded or attached.
func (p *regionPublisher) discard(ctx context.Context, n int64, got string) error {
	name := p.t.Layer.Name
	what := fmt.Sprintf("Lambda reports CodeSha256 %s for version %d, but the ZIP's is %s: the content changed on its way (from S3: the object was replaced after it was checked)", got, n, p.t.Artifact.CodeSHA256)
	// Even when the run is being stopped: a wrong version must not stay.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	_, err := p.lc.DeleteLayerVersion(dctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(name), VersionNumber: aws.Int64(n)})
	if err != nil {
		// Not wrapped: the access-error hint would replace what to do here.
		return fmt.Errorf("%s; deleting version %d failed too (%s): delete it by hand (it needs lambda:DeleteLayerVersion): aws lambda delete-layer-version --region %s --layer-name %s --version-number %d",
			what, n, awsretry.Short(err), p.region, name, n)
	}
	p.logf("%s %s: deleted version %d: it holds other bytes than the ZIP", name, p.where, n)
	return fmt.Errorf("%s; version %d was deleted, nothing was published", what, n)
}

// meta is the metadata the manifest asks for, the description with the
// content's digest tag.
func (p *regionPublisher) meta() versions.Meta {
	l := p.t.Layer
	return versions.Meta{
		Description:   strings.TrimSpace(l.Description + manifest.DigestTag(p.t.Artifact.SHA256)),
		License:       l.License,
		Runtimes:      l.Runtimes,
		Architectures: l.Architectures,
	}
}

// input is the PublishLayerVersion request, with the metadata the manifest
// asks for and no content yet.
func (p *regionPublisher) input() *lambda.PublishLayerVersionInput {
	m := p.meta()
	in := &lambda.PublishLayerVersionInput{
		LayerName:               aws.String(p.t.Layer.Name),
		Description:             aws.String(m.Description),
		CompatibleRuntimes:      runtimesOf(m.Runtimes),
		CompatibleArchitectures: archsOf(m.Architectures),
	}
	if m.License != "" {
		in.LicenseInfo = aws.String(m.License)
	}
	return in
}

// why says why a version is published: new content, or what changed in
// the metadata since other, the newest version holding the content.
func (p *regionPublisher) why(other *versions.Version) string {
	if other == nil {
		return "new content"
	}
	have, want := other.Meta(), p.meta()
	var parts []string
	for _, what := range have.Changed(want) {
		switch what {
		case "runtimes":
			parts = append(parts, fmt.Sprintf("runtimes changed (version %d has %s, the manifest asks for %s)", other.Number, list(have.Runtimes), list(want.Runtimes)))
		case "architectures":
			parts = append(parts, fmt.Sprintf("architectures changed (version %d has %s, the manifest asks for %s)", other.Number, list(have.Architectures), list(want.Architectures)))
		case "license":
			parts = append(parts, fmt.Sprintf("license changed (version %d has %s, the manifest asks for %s)", other.Number, quoted(have.License), quoted(want.License)))
		default:
			parts = append(parts, fmt.Sprintf("%s changed (version %d has the same content)", what, other.Number))
		}
	}
	return strings.Join(parts, "; ")
}

// list is a set of names for a log line; a name Lambda answered with
// prints safely (Go-quoted when strange).
func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	set := versions.Set(names)
	for i, n := range set {
		set[i] = safetext.Name(n)
	}
	return strings.Join(set, ", ")
}

// quoted is a license for a log line; Lambda's answer is not trusted to
// print safely.
func quoted(s string) string {
	if s == "" {
		return "none"
	}
	return strconv.Quote(s)
}

// find returns the newest version holding the artifact's content with the
// metadata the manifest asks for, or nil; and else the newest holding the
// content with other metadata, or nil.
func (p *regionPublisher) find(ctx context.Context) (*foundVersion, *versions.Version, error) {
	var hint int64
	if lr := p.lock[p.region]; lr != nil {
		hint = lr.Version
	}
	warnf := func(format string, args ...any) {
		p.logf("warning: %s %s: "+format, append([]any{p.t.Layer.Name, p.where}, args...)...)
	}
	v, other, err := versions.FindExact(ctx, p.lc, p.t.Layer.Name, p.t.Artifact.SHA256, p.t.Artifact.CodeSHA256, p.meta(), hint, warnf)
	if err != nil || v == nil {
		return nil, other, err
	}
	if v.ARN == "" && v.Number == hint {
		v.ARN = p.lock[p.region].ARN
	}
	return &foundVersion{v.Number, v.ARN}, nil, nil
}

func runtimesOf(rs []string) []types.Runtime {
	out := make([]types.Runtime, len(rs))
	for i, r := range rs {
		out[i] = types.Runtime(r)
	}
	return out
}

func archsOf(as []string) []types.Architecture {
	out := make([]types.Architecture, len(as))
	for i, a := range as {
		out[i] = types.Architecture(a)
	}
	return out
}

// publishNeeds is what publish must be allowed to do, every action named
// as IAM names it; docs/permissions.md says on which resources, and a test
// keeps the two in step.
const publishNeeds = "the credentials need lambda:ListLayerVersions, lambda:GetLayerVersion and lambda:PublishLayerVersion; " +
	"for share, lambda:GetLayerVersionPolicy and lambda:AddLayerVersionPermission; " +
	"lambda:DeleteLayerVersion to remove a version that came out holding other bytes; " +
	"through S3, s3:PutObject and s3:GetObject on the objects (and s3:GetObjectVersion in a versioned bucket), " +
	"optionally s3:ListBucket on the bucket and s3:AbortMultipartUpload"
