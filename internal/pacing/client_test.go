package pacing

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// readAPI answers every read at once and keeps the SDK options of the
// last call.
type readAPI struct{ opts lambda.Options }

func (r *readAPI) apply(o []func(*lambda.Options)) {
	r.opts = lambda.Options{RetryMaxAttempts: 3}
	for _, f := range o {
		f(&r.opts)
	}
}

func (r *readAPI) ListLayerVersions(_ context.Context, _ *lambda.ListLayerVersionsInput, o ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error) {
	r.apply(o)
	return &lambda.ListLayerVersionsOutput{}, nil
}

func (r *readAPI) ListFunctions(_ context.Context, _ *lambda.ListFunctionsInput, o ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	r.apply(o)
	return &lambda.ListFunctionsOutput{}, nil
}

func (r *readAPI) ListAliases(_ context.Context, _ *lambda.ListAliasesInput, o ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	r.apply(o)
	return &lambda.ListAliasesOutput{}, nil
}

// A Reader's calls count against its account's and region's quota of
// Other calls, and none other, with the SDK's own retries off.
func TestReaderCountsItsQuota(t *testing.T) {
	ctx := context.Background()
	l := New(4, time.Millisecond, 10, 10) // a burst of 3: no call waits
	api := &readAPI{}
	r := NewReader(api, l, "111122223333", "eu-west-1")
	calls := []func() error{
		func() error { _, err := r.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{}); return err },
		func() error { _, err := r.ListFunctions(ctx, &lambda.ListFunctionsInput{}); return err },
		func() error { _, err := r.ListAliases(ctx, &lambda.ListAliasesInput{}); return err },
	}
	for i, call := range calls {
		q := Quota{Account: "111122223333", Region: "eu-west-1", Kind: Other}
		before := l.For(q).Tokens()
		if err := call(); err != nil {
			t.Fatal(err)
		}
		if used := before - l.For(q).Tokens(); used < 0.9 || used > 1.1 {
			t.Errorf("call %d took %.2f tokens of its account's and region's Other quota, want 1", i, used)
		}
		if api.opts.RetryMaxAttempts != 1 {
			t.Errorf("call %d: the SDK retries %d times", i, api.opts.RetryMaxAttempts)
		}
		for _, other := range []Quota{{Region: "eu-west-1", Kind: Other}, {Account: "111122223333", Region: "eu-west-1", Kind: Read}} {
			if tok := l.For(other).Tokens(); tok < 2.9 {
				t.Errorf("call %d counted against %+v too (%.2f tokens left)", i, other, tok)
			}
		}
	}
}
