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
// pacing.Limiter, under its account's and region's quotas (GetFunction's
// own, every other call's shared one).
type limitedAPI struct{ pacing.Client[API] }

var _ API = limitedAPI{}

func (c limitedAPI) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, o ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.ListLayerVersions, in, o)
}

func (c limitedAPI) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, o ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.GetLayerVersion, in, o)
}

func (c limitedAPI) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.ListFunctions, in, o)
}

func (c limitedAPI) GetFunction(ctx context.Context, in *lambda.GetFunctionInput, o ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Read, c.API.GetFunction, in, o)
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
	return pacing.Call(ctx, start, c.Client, pacing.Other, c.API.UpdateFunctionConfiguration, in, o)
}

// PublishVersion is safe to retry: Lambda publishes nothing new when
// nothing changed since the last version, and answers with that version.
func (c limitedAPI) PublishVersion(ctx context.Context, in *lambda.PublishVersionInput, o ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.PublishVersion, in, o)
}

func (c limitedAPI) GetAlias(ctx context.Context, in *lambda.GetAliasInput, o ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.GetAlias, in, o)
}

func (c limitedAPI) UpdateAlias(ctx context.Context, in *lambda.UpdateAliasInput, o ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.UpdateAlias, in, o)
}
