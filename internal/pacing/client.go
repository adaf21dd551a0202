package pacing

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Client is what every step's paced Lambda client holds: API (the step's
// own interface, with the SDK's signatures), the run's Limiter, and the
// account ("" for the credentials' own) and region whose quotas its calls
// count against. A step embeds it (or Reader) and adds its own calls, each
// one Call.
type Client[A any] struct {
	API     A
	Limiter *Limiter
	Account string
	Region  string
}

// Call is op (one of c.API's methods) through Lambda, under c's quota of
// kind k: the one call of each method of a step's paced client.
func Call[A, In, Out any](ctx, start context.Context, c Client[A], k Kind, op func(context.Context, In, ...func(*lambda.Options)) (Out, error), in In, o []func(*lambda.Options)) (Out, error) {
	return Lambda(ctx, start, c.Limiter, Quota{Account: c.Account, Region: c.Region, Kind: k}, op, in, o)
}

// ReadAPI is what a Reader calls: the versions of a layer and the
// function configurations and aliases that may use them.
type ReadAPI interface {
	ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error)
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
}

// Reader is a Client with the reads that status and prune both make
// (versions.List, usage.Find), each under the quota of Other calls.
type Reader[A ReadAPI] struct{ Client[A] }

// NewReader is the Reader of api for one account and region.
func NewReader[A ReadAPI](api A, l *Limiter, account, region string) Reader[A] {
	return Reader[A]{Client[A]{API: api, Limiter: l, Account: account, Region: region}}
}

func (c Reader[A]) ListLayerVersions(ctx context.Context, in *lambda.ListLayerVersionsInput, o ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	return Call(ctx, nil, c.Client, Other, c.API.ListLayerVersions, in, o)
}

func (c Reader[A]) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return Call(ctx, nil, c.Client, Other, c.API.ListFunctions, in, o)
}

func (c Reader[A]) ListAliases(ctx context.Context, in *lambda.ListAliasesInput, o ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	return Call(ctx, nil, c.Client, Other, c.API.ListAliases, in, o)
}
