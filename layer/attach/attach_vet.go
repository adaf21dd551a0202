package attach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// vet refuses a planned update that Lambda would refuse for what the plan
// cannot see in the configuration alone: a runtime AWS has blocked for
// updates on this day, or an other layer on the function that can no
// longer be read. It is the same for the first plan and every plan made
// again, so a function someone else changed meanwhile is vetted as it is
// now. A check that fails (not a verdict) fails the function.
func (r *attachRun) vet(ctx context.Context, j *attachJob, f fnConfig, p attachPlan) attachPlan {
	if p.status != layer.StatusWouldAttach {
		return p
	}
	if why := r.blockedRuntime(j, f.Runtime); why != "" {
		return attachPlan{to: p.to, status: layer.StatusRefused, reason: why}
	}
	var refusals []string
	for _, a := range p.to {
		if slices.ContainsFunc(j.wants, func(w *attachWant) bool { return w.uses(a) }) {
			continue // one of the versions attached, read when it was resolved
		}
		o := r.otherLayer(ctx, j.region, a)
		if o.err != nil {
			return attachPlan{to: p.to, status: layer.StatusFailed, err: o.err}
		}
		if o.problem != "" {
			refusals = append(refusals, o.problem)
		}
	}
	if len(refusals) > 0 {
		return attachPlan{to: p.to, status: layer.StatusRefused, reason: strings.Join(refusals, "; ")}
	}
	return p
}

// blockedRuntime says why an update of a function on runtime rt would be
// refused, or "" when it would not: AWS blocks updating functions whose
// runtime is past its block-update date ("Lambda blocks creating new
// functions and updating existing functions shortly after each runtime is
// deprecated"). One report says an update that does not send Runtime, as
// attach's does not, still went through; AllowBlockedRuntimes tries it,
// with a warning, and Lambda's answer decides.
func (r *attachRun) blockedRuntime(j *attachJob, rt string) string {
	lc, ok := lambdafacts.RuntimeLifecycle(rt)
	if !ok || lc.PhaseAt(r.today) != lambdafacts.PhaseUpdateBlocked {
		return ""
	}
	if !r.opts.AllowBlockedRuntimes {
		return "its runtime " + lambdafacts.Explain(rt, r.today) +
			"; move the function to a supported runtime first, or pass --allow-blocked-runtimes to try anyway (an update that leaves the runtime as it is, as attach's does, has been seen to pass)"
	}
	r.mu.Lock()
	first := !r.warned[rt]
	r.warned[rt] = true
	r.mu.Unlock()
	if first {
		r.logf(nil, "warning: %s; trying anyway (--allow-blocked-runtimes): Lambda may refuse each update", lambdafacts.Explain(rt, r.today))
	}
	return ""
}

// otherLayerCheck is what reading one layer version that attach resends
// but does not set found. Each is read once per run, whichever functions
// use it.
type otherLayerCheck struct {
	once    sync.Once
	problem string // why Lambda would refuse an update sending it; "" when it can be read
	err     error  // the read itself failed: no verdict
}

// otherLayer checks layer version versionARN (another team's, or another
// account's, on a function in region), once per run.
func (r *attachRun) otherLayer(ctx context.Context, region, versionARN string) *otherLayerCheck {
	r.mu.Lock()
	o, ok := r.others[versionARN]
	if !ok {
		o = &otherLayerCheck{}
		r.others[versionARN] = o
	}
	r.mu.Unlock()
	o.once.Do(func() { o.problem, o.err = r.checkOtherLayer(ctx, region, versionARN) })
	return o
}

// checkOtherLayer reads a layer version the update would send again.
// UpdateFunctionConfiguration sends the whole Layers list, and Lambda
// checks lambda:GetLayerVersion on each entry: a version deleted, or no
// longer shared by its owner, makes the update fail although the function
// runs fine with it. GetLayerVersion (by the layer's ARN and the number;
// never GetLayerVersionByArn, which moto answers wrongly) is that same
// check, made before anything changes.
func (r *attachRun) checkOtherLayer(ctx context.Context, region, versionARN string) (string, error) {
	layerARN, n, ok := splitLayerVersionARN(versionARN)
	if !ok {
		return fmt.Sprintf("its layer %q is not a layer version ARN (arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION); fix it by hand first", versionARN), nil
	}
	_, err := r.api(region).GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layerARN), VersionNumber: aws.Int64(n)})
	switch {
	case err == nil:
		return "", nil
	case awsretry.IsNotFound(err):
		return fmt.Sprintf("its layer %s no longer exists (the version was deleted): the function still runs with it, but Lambda refuses an update that sends it again; "+
			"replace it with a version that exists, or remove it, then run attach again", versionARN), nil
	case isAccessDenied(err):
		return fmt.Sprintf("its layer %s cannot be read (AccessDeniedException): it was deleted, its owner no longer shares it with this account, or these credentials lack "+
			"lambda:GetLayerVersion on it; Lambda checks lambda:GetLayerVersion on every layer an update sends, so the update would fail: "+
			"check that permission on %s, ask the layer's owner, or replace the layer", versionARN, versionARN), nil
	}
	return "", fmt.Errorf("checking its layer %s: %w", versionARN, awsretry.Explain(err, region, attachNeeds))
}

// splitLayerVersionARN splits arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:N
// (any partition: aws, aws-cn, aws-us-gov, aws-eusc...) into the layer's
// ARN and the version number.
func splitLayerVersionARN(s string) (layerARN string, n int64, ok bool) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "lambda" {
		return "", 0, false
	}
	parts := strings.Split(a.Resource, ":")
	if len(parts) != 3 || parts[0] != "layer" || parts[1] == "" {
		return "", 0, false
	}
	n, err = strconv.ParseInt(parts[2], 10, 64)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return s[:strings.LastIndex(s, ":")], n, true
}

// isAccessDenied reports whether AWS refused the call for lack of a
// permission (the caller's, or the resource owner's policy).
func isAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "AccessDenied")
}
