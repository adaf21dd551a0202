package attach

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/pacing"
	"github.com/layerctl/layerctl/layer/versions"
)

// FunctionsAPI is what attach calls on Lambda functions, with the SDK's
// signatures. Functions are read with GetFunction (configuration, RevisionId,
// update status and tags in one answer): Lambda gives GetFunction its own
// request quota (100 per second), while every other call shares 15 per
// second per account and region.
type FunctionsAPI interface {
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	UpdateFunctionConfiguration(context.Context, *lambda.UpdateFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	PublishVersion(context.Context, *lambda.PublishVersionInput, ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	UpdateAlias(context.Context, *lambda.UpdateAliasInput, ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
}

// API is what attach calls: the layer versions it attaches, and the
// functions it attaches them to.
type API interface {
	versions.API
	FunctionsAPI
}

var _ API = (*lambda.Client)(nil)

// limitedAPI is an API whose every call goes through the run's
// pacing.Limiter, under its region's quotas.
type limitedAPI struct {
	api    API
	l      *pacing.Limiter
	region string
	// account is the account the calls act in ("" for the credentials'
	// own): with region, the quota they count against.
	account string
}

// limited is the one way a limitedAPI calls Lambda: op (one of the API's
// methods) through pacing.Lambda. Each method of limitedAPI is this one
// call.
func limited[In, Out any](ctx, start context.Context, c limitedAPI, kind pacing.Kind, op func(context.Context, In, ...func(*lambda.Options)) (Out, error), in In, o []func(*lambda.Options)) (Out, error) {
	return pacing.Lambda(ctx, start, c.l, pacing.Quota{Account: c.account, Region: c.region, Kind: kind}, op, in, o)
}

var _ API = limitedAPI{}

func (c limitedAPI) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, o ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	return limited(ctx, nil, c, pacing.Other, c.api.ListLayerVersions, in, o)
}

func (c limitedAPI) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, o ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	return limited(ctx, nil, c, pacing.Other, c.api.GetLayerVersion, in, o)
}

func (c limitedAPI) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return limited(ctx, nil, c, pacing.Other, c.api.ListFunctions, in, o)
}

func (c limitedAPI) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, o ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return limited(ctx, nil, c, pacing.Read, c.api.GetFunction, in, o)
}

// UpdateFunctionConfiguration is retried like the others: it always carries
// the RevisionId it was planned from (when Lambda gave one), so a retry of
// an update that did happen fails with PreconditionFailedException instead
// of applying twice, and the caller reads the function again.
func (c limitedAPI) UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, o ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return c.updateUnless(ctx, nil, in, o...)
}

// updateUnless is UpdateFunctionConfiguration through pacing.Unless: it
// gives up with errStopped, unsent, if start ends while it waits for its turn.
func (c limitedAPI) updateUnless(ctx, start context.Context, in *lambda.UpdateFunctionConfigurationInput, o ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return limited(ctx, start, c, pacing.Other, c.api.UpdateFunctionConfiguration, in, o)
}

// PublishVersion is safe to retry: Lambda publishes nothing new when
// nothing changed since the last version, and answers with that version.
func (c limitedAPI) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, o ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	return limited(ctx, nil, c, pacing.Other, c.api.PublishVersion, in, o)
}

func (c limitedAPI) GetAlias(ctx context.Context, in *lambda.GetAliasInput, o ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return limited(ctx, nil, c, pacing.Other, c.api.GetAlias, in, o)
}

func (c limitedAPI) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, o ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	return limited(ctx, nil, c, pacing.Other, c.api.UpdateAlias, in, o)
}
