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
// under its account's and region's quotas, as attach's calls do: the
// reads status makes too (pacing.Reader), and prune's own.
type paced struct{ pacing.Reader[API] }

var _ API = paced{}

func (c paced) GetLayerVersionPolicy(ctx context.Context, in *lambda.GetLayerVersionPolicyInput, o ...func(*lambda.Options)) (*lambda.GetLayerVersionPolicyOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.GetLayerVersionPolicy, in, o)
}

// DeleteLayerVersion is safe to retry: deleting a version already deleted
// is no error.
func (c paced) DeleteLayerVersion(ctx context.Context, in *lambda.DeleteLayerVersionInput, o ...func(*lambda.Options)) (*lambda.DeleteLayerVersionOutput, error) {
	return pacing.Call(ctx, nil, c.Client, pacing.Other, c.API.DeleteLayerVersion, in, o)
}
