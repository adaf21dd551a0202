package attach

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/layer"
)

// How often one function may be found changed by someone else, or busy,
// before attach gives up on it.
const (
	maxReplans   = 5
	maxConflicts = 10
	maxPoll      = 5 * time.Second // the longest wait between reads of an update in progress
)

// plan reads the function (and its alias) and plans its new Layers.
func (r *attachRun) plan(ctx context.Context, j *attachJob) {
	cfg, err := r.read(ctx, j)
	if err != nil && ctx.Err() != nil {
		return // interrupted: left unplanned, reported skipped
	}
	if err != nil {
		j.res.Status, j.res.Err = layer.StatusFailed, err
		return
	}
	j.cfg = cfg
	f := fnConfigOf(cfg)
	p := r.vet(ctx, j, f, planAttach(f, j.wants))
	j.res.From, j.res.To, j.res.Status = f.arns(), p.to, p.status
	if p.reason != "" {
		j.res.Err = errors.New(p.reason)
	}
	if p.err != nil {
		if ctx.Err() != nil {
			j.res.Status = "" // interrupted: left unplanned, reported skipped
			return
		}
		j.res.Err = p.err
	}
	for _, w := range p.warnings {
		r.logf(j, "warning: %s", w)
	}
	if r.opts.Alias != "" && (p.status == layer.StatusWouldAttach || p.status == layer.StatusUnchanged) {
		if _, err := r.alias(ctx, j); err != nil && ctx.Err() == nil {
			j.res.Status, j.res.Err = layer.StatusRefused, err
		}
	}
	if j.res.Status == layer.StatusRefused || j.res.Status == layer.StatusFailed {
		r.abort(j)
	}
}

// apply makes the planned change, waits for it to end, then publishes a
// version and moves the alias when asked. Once an update has been sent it
// is seen through with ctx even after an interrupt; none is sent once
// r.start has ended.
func (r *attachRun) apply(ctx context.Context, j *attachJob) {
	first := j.res.From
	if j.res.Status == layer.StatusUnchanged {
		// Nothing to update: read it afresh, so that the version published
		// is the configuration as it is now.
		j.cfg = nil
	}
	res, err := r.converge(ctx, j, func(f fnConfig) attachPlan { return r.vet(ctx, j, f, planAttach(f, j.wants)) }, r.start)
	if errors.Is(err, errStopped) {
		return // left would-attach: skipUnfinished says why
	}
	if res.updated {
		j.updated, j.from, j.to = true, res.from, res.plan.to
		j.res.From = res.from
	}
	if err != nil {
		r.fail(j, err)
		return
	}
	j.res.To = res.to
	switch res.plan.status {
	case layer.StatusUnchanged:
		j.res.Status = layer.StatusUnchanged
		if ours := ourLayers(j.wants); !slices.Equal(ours(first), ours(res.to)) {
			// On the version now, but not when first read: a try whose
			// answer was lost, or someone else, moved it. --atomic puts it
			// back to how it was first read.
			j.res.Status = layer.StatusAttached
			j.updated, j.from, j.to = true, first, res.to
		}
	case layer.StatusFailed:
		r.fail(j, res.plan.err)
		return
	case layer.StatusRefused, layer.StatusSkipped:
		j.res.Status, j.res.Err = res.plan.status, errors.New(res.plan.reason)
		if res.plan.status == layer.StatusRefused {
			r.abort(j)
		}
		return
	}
	if res.updated {
		if res.cfg.LastUpdateStatus == types.LastUpdateStatusFailed {
			r.fail(j, fmt.Errorf("Lambda could not apply the update: %s", failure(res.cfg)))
			if !r.opts.Atomic {
				r.restore(ctx, j)
			}
			return
		}
		j.res.Status = layer.StatusAttached
	}
	if r.opts.PublishVersion {
		if r.start.Err() != nil {
			// Publishing and moving the alias are changes too: none starts
			// once the run is stopping. A later run catches up.
			j.res.Err = errors.New("no version was published: the run was stopping (interrupted, --atomic, or an internal error); run attach again to publish it and move the alias")
			return
		}
		if err := r.publish(ctx, j, res.cfg); err != nil {
			r.fail(j, err)
		}
	}
}

// ourLayers returns a filter keeping the ARNs of the wanted layers.
func ourLayers(wants []*attachWant) func([]string) []string {
	return func(arns []string) []string {
		var out []string
		for _, a := range arns {
			if slices.ContainsFunc(wants, func(w *attachWant) bool { return w.uses(a) }) {
				out = append(out, a)
			}
		}
		return out
	}
}

// fail marks the function failed and, under --atomic, stops the run.
func (r *attachRun) fail(j *attachJob, err error) {
	j.res.Status, j.res.Err = layer.StatusFailed, err
	r.logf(j, "failed: %v", err)
	r.abort(j)
}

func (r *attachRun) abort(j *attachJob) {
	if r.opts.Atomic && !r.aborted.Swap(true) {
		r.stopStarting()
		r.logf(j, "--atomic: starting no more updates; putting back the functions already changed")
	}
}

// converged is where converge left a function.
type converged struct {
	plan    attachPlan
	to      []string // Layers now
	from    []string // Layers right before our update, when one was made
	cfg     *types.FunctionConfiguration
	updated bool
}

// converge brings the function's Layers to what plan says, from the
// configuration last read. The update carries that configuration's
// RevisionId: when someone else changed the function since, Lambda refuses
// it and the function is read and planned again, so their change is kept.
// An update in progress (ours or theirs) is waited out first. After an
// accepted update it waits until Lambda says it ended. Once start has
// ended (nil never does) no update is sent: errStopped.
func (r *attachRun) converge(ctx context.Context, j *attachJob, plan func(fnConfig) attachPlan, start context.Context) (converged, error) {
	cfg := j.cfg
	replans, conflicts := 0, 0
	for {
		var err error
		if cfg == nil {
			if cfg, err = r.read(ctx, j); err != nil {
				return converged{}, err
			}
		}
		if updateBusy(cfg) {
			if cfg, err = r.waitIdle(ctx, j); err != nil {
				return converged{}, err
			}
		}
		j.cfg = cfg
		f := fnConfigOf(cfg)
		p := plan(f)
		if p.status != layer.StatusWouldAttach {
			return converged{plan: p, to: f.arns(), cfg: cfg}, nil
		}
		if start != nil && start.Err() != nil {
			return converged{}, errStopped
		}
		in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(j.id), Layers: p.to, RevisionId: nonEmpty(cfg.RevisionId)}
		out, err := r.api(j.region).updateUnless(ctx, start, in)
		var pre *types.PreconditionFailedException
		var conflict *types.ResourceConflictException
		switch {
		case errors.Is(err, errStopped):
			return converged{}, errStopped // never sent
		case err == nil:
			sent := converged{plan: p, to: p.to, from: f.arns(), updated: true}
			final := updatedConfig(out)
			if updateBusy(final) {
				if final, err = r.waitIdle(ctx, j); err != nil {
					return sent, fmt.Errorf("the update was sent, but waiting for it to end failed: %w", err)
				}
			}
			j.cfg, sent.cfg, sent.to = final, final, fnConfigOf(final).arns()
			return sent, nil
		case errors.As(err, &pre):
			if replans++; replans > maxReplans {
				return converged{}, fmt.Errorf("someone else changed it %d times while attaching; try again later", replans)
			}
			r.logf(j, "changed by someone else since it was read; reading it again to keep their change")
			cfg = nil
		case errors.As(err, &conflict):
			if conflicts++; conflicts > maxConflicts {
				return converged{}, fmt.Errorf("still busy after %d tries: %s", conflicts, awsretry.Short(err))
			}
			r.logf(j, "an update is in progress; waiting for it to end")
			if err := awsretry.Sleep(ctx, r.limiter.Backoff(min(conflicts, 5), err)); err != nil {
				return converged{}, err
			}
			if cfg, err = r.waitIdle(ctx, j); err != nil {
				return converged{}, err
			}
		default:
			return converged{}, fmt.Errorf("updating its configuration: %w", awsretry.Explain(err, j.region, attachNeeds))
		}
	}
}

// read returns the function's configuration.
func (r *attachRun) read(ctx context.Context, j *attachJob) (*types.FunctionConfiguration, error) {
	out, err := r.api(j.region).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(j.id)})
	return configuration(j, out, err)
}

// configuration is the function's configuration from GetFunction's answer,
// or what went wrong reading it.
func configuration(j *attachJob, out *lambda.GetFunctionOutput, err error) (*types.FunctionConfiguration, error) {
	if awsretry.IsNotFound(err) {
		return nil, fmt.Errorf("no function %s in %s", j.id, j.region)
	}
	if err != nil {
		return nil, fmt.Errorf("reading its configuration: %w", awsretry.Explain(err, j.region, attachNeeds))
	}
	if out.Configuration == nil {
		return nil, fmt.Errorf("reading its configuration: GetFunction answered without one")
	}
	return out.Configuration, nil
}

// polled is what a waiter's reads of a function found: the last
// configuration read, or the error of the read that ended the wait (the
// waiter returns it as it is: the same error, told from the waiter's own).
type polled struct {
	cfg *types.FunctionConfiguration
	err error
}

// while is a waiter's Retryable hook: each answer read as configuration
// reads it and kept, the wait going on while busy says so, ended by an
// error.
func (p *polled) while(j *attachJob, busy func(*types.FunctionConfiguration) bool) func(context.Context, *lambda.GetFunctionInput, *lambda.GetFunctionOutput, error) (bool, error) {
	return func(_ context.Context, _ *lambda.GetFunctionInput, out *lambda.GetFunctionOutput, err error) (bool, error) {
		c, err := configuration(j, out, err)
		if err != nil {
			p.err = err
			return false, err
		}
		p.cfg = c
		return busy(c), nil
	}
}

// waitIdle reads the function until it is no longer busy (its update
// Successful or Failed, its state no longer Pending), with the SDK's
// FunctionUpdatedV2 waiter: PollInterval first, then waits growing from
// PollInterval up to maxPoll, for UpdateTimeout at most. Its reads go
// through the run's limiter (paced, at most Concurrency in flight). The
// waiter's own test would end a failed update with no configuration, so
// the Retryable hook here stops at any end and hands the configuration
// back, the failure's reason in it.
func (r *attachRun) waitIdle(ctx context.Context, j *attachJob) (*types.FunctionConfiguration, error) {
	timeout := r.opts.UpdateTimeout
	if err := awsretry.Sleep(ctx, r.opts.PollInterval); err != nil {
		return nil, err
	}
	var p polled
	waiter := lambda.NewFunctionUpdatedV2Waiter(r.api(j.region), func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay = r.opts.PollInterval
		o.MaxDelay = max(maxPoll, r.opts.PollInterval)
		o.Retryable = p.while(j, updateBusy)
	})
	_, err := waiter.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(j.id)}, max(timeout-r.opts.PollInterval, time.Millisecond))
	switch {
	case err == nil:
		return p.cfg, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err == p.err && !errors.Is(err, context.DeadlineExceeded):
		return nil, err
	}
	// The waiter's time is up: its own error, or its deadline ending a
	// wait or a read.
	return nil, fmt.Errorf("an update was still in progress after %s", timeout)
}

// publish publishes a function version of exactly the configuration attach
// set (its RevisionId and CodeSha256), then moves the alias to it.
func (r *attachRun) publish(ctx context.Context, j *attachJob, cfg *types.FunctionConfiguration) error {
	var version string
	var state types.State
	for conflicts := 1; ; conflicts++ {
		out, err := r.api(j.region).PublishVersion(ctx, &lambda.PublishVersionInput{
			FunctionName: aws.String(j.id),
			CodeSha256:   nonEmpty(cfg.CodeSha256),
			RevisionId:   nonEmpty(cfg.RevisionId),
			Description:  aws.String("layerctl attach: " + strings.Join(shortARNs(fnConfigOf(cfg).arns()), ", ")),
		})
		var pre *types.PreconditionFailedException
		var conflict *types.ResourceConflictException
		switch {
		case err == nil:
			version, state = aws.ToString(out.Version), out.State
		case errors.As(err, &pre):
			return errors.New("the layers were attached, but the function changed again before its version was published (someone else's change); no version was published, so that none holds a change attach did not make: run attach again")
		case errors.As(err, &conflict) && conflicts <= maxConflicts:
			// Someone else's update: once it ends the RevisionId differs,
			// and the next try says so.
			if _, err := r.waitIdle(ctx, j); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("the layers were attached, but publishing a version failed: %w", awsretry.Explain(err, j.region, attachNeeds))
		}
		break
	}
	j.res.Version = version
	if r.opts.Alias == "" {
		r.logf(j, "published version %s", version)
		return nil
	}
	if state != types.StateActive && (state != "" || snapStart(cfg)) {
		if err := r.waitActive(ctx, j, version, state); err != nil {
			return err
		}
	}
	return r.moveAlias(ctx, j, version)
}

// snapStart reports whether versions published from the function get a
// SnapStart snapshot: they are Pending until it is ready.
func snapStart(cfg *types.FunctionConfiguration) bool {
	return cfg.SnapStart != nil && cfg.SnapStart.ApplyOn == types.SnapStartApplyOnPublishedVersions
}

// waitActive waits until the function's version is Active before the
// alias is moved to it: a version published from a SnapStart function is
// Pending until its snapshot is ready, and calls through an alias pointing
// at it fail meanwhile (SnapStartNotReadyException). It reads the version
// with the SDK's FunctionActiveV2 waiter (GetFunction with the version as
// Qualifier: GetFunction's own quota, paced like every read), from
// PollInterval up to maxPoll apart, for UpdateTimeout at most. Moving the
// alias is a change: once the run is stopping (an interrupt, --atomic) the
// wait ends and the alias stays.
func (r *attachRun) waitActive(ctx context.Context, j *attachJob, version string, state types.State) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(r.start, cancel)()
	r.logf(j, "published version %s; it is %s (SnapStart makes its snapshot first): waiting for it to be Active before moving alias %s", version, cmp.Or(string(state), "not Active yet"), r.opts.Alias)
	var p polled
	waiter := lambda.NewFunctionActiveV2Waiter(r.api(j.region), func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay = r.opts.PollInterval
		o.MaxDelay = max(maxPoll, r.opts.PollInterval)
		o.Retryable = p.while(j, func(c *types.FunctionConfiguration) bool {
			return c.State != types.StateActive && c.State != types.StateFailed
		})
	})
	notMoved := "alias " + r.opts.Alias + " was not moved"
	_, err := waiter.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(j.id), Qualifier: aws.String(version)}, r.opts.UpdateTimeout)
	switch {
	case err == nil && p.cfg.State == types.StateActive:
		return nil
	case err == nil:
		return fmt.Errorf("published version %s, but it ended %s: %s; %s", version, p.cfg.State, stateReason(p.cfg), notMoved)
	case ctx.Err() != nil:
		return fmt.Errorf("published version %s, but the run was stopping (interrupted, --atomic, or an internal error) while it waited to be Active; %s: run attach again to move it", version, notMoved)
	case err == p.err && !errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("published version %s, but %w; %s", version, err, notMoved)
	}
	last := "not Active"
	if p.cfg != nil {
		last = string(p.cfg.State)
	}
	return fmt.Errorf("published version %s, but it was still %s after %s (--timeout): its SnapStart snapshot was not ready, and calls through an alias pointing at it would fail (SnapStartNotReadyException); "+
		"%s: run attach again once the version is Active, and the alias catches up", version, last, r.opts.UpdateTimeout, notMoved)
}

// stateReason is why a function version is in its State, as Lambda gives it.
func stateReason(cfg *types.FunctionConfiguration) string {
	reason := cmp.Or(aws.ToString(cfg.StateReason), "no reason given")
	if code := cfg.StateReasonCode; code != "" {
		reason += " (" + string(code) + ")"
	}
	return reason
}

// alias reads the function's alias.
func (r *attachRun) alias(ctx context.Context, j *attachJob) (*lambda.GetAliasOutput, error) {
	a, err := r.api(j.region).GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(j.id), Name: aws.String(r.opts.Alias)})
	if awsretry.IsNotFound(err) {
		return nil, fmt.Errorf("it has no alias %q: create it first (aws lambda create-alias), or leave --alias out", r.opts.Alias)
	}
	if err != nil {
		return nil, fmt.Errorf("reading alias %s: %w", r.opts.Alias, awsretry.Explain(err, j.region, attachNeeds))
	}
	return a, nil
}

// moveAlias points the alias at version, with the alias's RevisionId: if
// someone else changed the alias meanwhile it is read again, so that only
// its version is changed and their other settings are kept.
func (r *attachRun) moveAlias(ctx context.Context, j *attachJob, version string) error {
	for tries := 1; ; tries++ {
		a, err := r.alias(ctx, j)
		if err != nil {
			return fmt.Errorf("published version %s, but %w", version, err)
		}
		if aws.ToString(a.FunctionVersion) == version {
			r.logf(j, "published version %s; alias %s already points to it", version, r.opts.Alias)
			return nil
		}
		_, err = r.api(j.region).UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(j.id), Name: aws.String(r.opts.Alias),
			FunctionVersion: aws.String(version), RevisionId: nonEmpty(a.RevisionId)})
		var pre *types.PreconditionFailedException
		if errors.As(err, &pre) && tries < maxReplans {
			r.logf(j, "alias %s changed by someone else since it was read; reading it again", r.opts.Alias)
			continue
		}
		if err != nil {
			return fmt.Errorf("published version %s, but moving alias %s failed: %w", version, r.opts.Alias, awsretry.Explain(err, j.region, attachNeeds))
		}
		j.res.AliasFrom, j.moved = aws.ToString(a.FunctionVersion), true
		r.logf(j, "published version %s; alias %s: %s -> %s", version, r.opts.Alias, j.res.AliasFrom, version)
		return nil
	}
}

// rollback puts a function attach changed back as it was (--atomic): its
// Layers and its alias.
func (r *attachRun) rollback(ctx context.Context, j *attachJob) {
	err := r.revert(ctx, j)
	if err == nil && j.moved {
		err = r.aliasBack(ctx, j)
	}
	switch {
	case err != nil:
		msg := fmt.Sprintf("putting it back failed, it is left on %s: %v", strings.Join(shortARNs(j.to), ", "), err)
		if j.res.Status == layer.StatusFailed {
			msg = j.res.Err.Error() + "; " + msg
		}
		j.res.Status, j.res.Err = layer.StatusRollbackFailed, errors.New(msg)
		r.logf(j, "rollback failed: %v", j.res.Err)
	case j.res.Status == layer.StatusFailed:
		j.res.Err = fmt.Errorf("%w; its layers were put back", j.res.Err)
	default:
		j.res.Status = layer.StatusRolledBack
		j.res.Err = nil
		if j.res.Version != "" {
			j.res.Err = fmt.Errorf("version %s stays published, unused", j.res.Version)
		}
	}
}

// restore puts back the Layers of a function whose update Lambda could not
// apply, should it have kept them.
func (r *attachRun) restore(ctx context.Context, j *attachJob) {
	if err := r.revert(ctx, j); err != nil {
		j.res.Err = fmt.Errorf("%w; putting its layers back failed too: %v", j.res.Err, err)
		return
	}
	j.res.To = j.res.From
}

// revert reads the function again and puts each of our layers back to the
// version it had before (removing it if attach appended it), keeping any
// other change made since, with the same RevisionId care as the update.
func (r *attachRun) revert(ctx context.Context, j *attachJob) error {
	j.cfg = nil
	res, err := r.converge(ctx, j, func(f fnConfig) attachPlan {
		to, changed := planRevert(f.arns(), j.from, j.to, j.wants)
		if !changed {
			return attachPlan{to: f.arns(), status: layer.StatusUnchanged}
		}
		return attachPlan{to: to, status: layer.StatusWouldAttach}
	}, nil)
	if err != nil {
		return err
	}
	if res.updated && res.cfg.LastUpdateStatus == types.LastUpdateStatusFailed {
		return fmt.Errorf("Lambda could not apply it: %s", failure(res.cfg))
	}
	j.res.To = res.to
	return nil
}

// aliasBack points the alias at the version it had, unless someone moved
// it since.
func (r *attachRun) aliasBack(ctx context.Context, j *attachJob) error {
	for tries := 1; ; tries++ {
		a, err := r.alias(ctx, j)
		if err != nil {
			return err
		}
		if aws.ToString(a.FunctionVersion) != j.res.Version {
			return nil
		}
		_, err = r.api(j.region).UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(j.id), Name: aws.String(r.opts.Alias),
			FunctionVersion: aws.String(j.res.AliasFrom), RevisionId: nonEmpty(a.RevisionId)})
		var pre *types.PreconditionFailedException
		if errors.As(err, &pre) && tries < maxReplans {
			continue
		}
		if err != nil {
			return fmt.Errorf("moving alias %s back to %s: %w", r.opts.Alias, j.res.AliasFrom, err)
		}
		j.moved = false
		return nil
	}
}

// updateBusy reports whether Lambda would refuse an update now: one is in
// progress, or the function is still being created.
func updateBusy(cfg *types.FunctionConfiguration) bool {
	return cfg.LastUpdateStatus == types.LastUpdateStatusInProgress || cfg.State == types.StatePending
}

// failure is a failed update's reason, as Lambda gives it.
func failure(cfg *types.FunctionConfiguration) string {
	reason := aws.ToString(cfg.LastUpdateStatusReason)
	if reason == "" {
		reason = "no reason given"
	}
	if code := cfg.LastUpdateStatusReasonCode; code != "" {
		reason += " (" + string(code) + ")"
	}
	return reason
}

// updatedConfig is the configuration UpdateFunctionConfiguration answered.
// Lambda answers InProgress; an answer without a status (an emulator's) is
// taken as ended.
func updatedConfig(out *lambda.UpdateFunctionConfigurationOutput) *types.FunctionConfiguration {
	return &types.FunctionConfiguration{
		FunctionName: out.FunctionName, FunctionArn: out.FunctionArn, Layers: out.Layers,
		Runtime: out.Runtime, PackageType: out.PackageType, Architectures: out.Architectures,
		CodeSize: out.CodeSize, CodeSha256: out.CodeSha256, RevisionId: out.RevisionId,
		LastUpdateStatus: out.LastUpdateStatus, LastUpdateStatusReason: out.LastUpdateStatusReason,
		LastUpdateStatusReasonCode: out.LastUpdateStatusReasonCode, State: out.State, SnapStart: out.SnapStart,
	}
}

// nonEmpty is nil for "" (moto gives no RevisionId: send none).
func nonEmpty(s *string) *string {
	if aws.ToString(s) == "" {
		return nil
	}
	return s
}
