package status

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/pacing"
)

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

func (c paced) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, o ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.GetLayerVersion, in, o)
}

func (c paced) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.ListFunctions, in, o)
}

func (c paced) ListAliases(ctx context.Context, in *lambda.ListAliasesInput, o ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.ListAliases, in, o)
}

func (c paced) GetAccountSettings(ctx context.Context, in *lambda.GetAccountSettingsInput, o ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error) {
	return pacing.Lambda(ctx, nil, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: pacing.Other}, c.api.GetAccountSettings, in, o)
}
