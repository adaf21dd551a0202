package prune

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/pacing"
	"github.com/layerctl/layerctl/layer/usage"
	"github.com/layerctl/layerctl/layer/versions"
)

// API is what prune calls on Lambda, with the SDK's signatures.
type API interface {
	versions.ListAPI
	versions.PolicyAPI
	usage.API
	DeleteLayerVersion(context.Context, *lambda.DeleteLayerVersionInput, ...func(*lambda.Options)) (*lambda.DeleteLayerVersionOutput, error)
}

var _ API = (*lambda.Client)(nil)

// paced is an API whose every call goes through the run's pacing.Limiter,
// under its region's quotas, as attach's calls do.
type paced struct {
	api    API
	l      *pacing.Limiter
	region string
	// account is the account the calls act in ("" for the credentials'
	// own): with region, the quota they count against.
	account string
}

var _ API = paced{}

func (c paced) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, o ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.ListLayerVersions, in, o)
}

func (c paced) GetLayerVersionPolicy(ctx context.Context, in *lambda.GetLayerVersionPolicyInput, o ...func(*lambda.Options)) (*lambda.GetLayerVersionPolicyOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.GetLayerVersionPolicy, in, o)
}

func (c paced) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.ListFunctions, in, o)
}

func (c paced) ListAliases(ctx context.Context, in *lambda.ListAliasesInput, o ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.ListAliases, in, o)
}

// DeleteLayerVersion is safe to retry: deleting a version already deleted
// is no error.
func (c paced) DeleteLayerVersion(ctx context.Context, in *lambda.DeleteLayerVersionInput, o ...func(*lambda.Options)) (*lambda.DeleteLayerVersionOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.DeleteLayerVersion, in, o)
}
