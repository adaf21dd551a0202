package status

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/pacing"
)

// paced is an API whose every call goes through the run's pacing.Limiter,
// under its account's and region's quotas, as attach's calls do: the
// reads prune makes too (pacing.Reader), and status's own.
type paced struct{ pacing.Reader[API] }

var _ API = paced{}

func (c paced) GetLayerVersion(ctx context.Context, in *lambda.GetLayerVersionInput, o ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.GetLayerVersion, in, o)
}

func (c paced) GetAccountSettings(ctx context.Context, in *lambda.GetAccountSettingsInput, o ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.GetAccountSettings, in, o)
}
