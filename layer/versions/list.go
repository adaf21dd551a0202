package versions

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/awsretry"
)

// Listed is a version as ListLayerVersions gives it: no CodeSha256 (Get
// reads that).
type Listed struct {
	Number      int64
	ARN         string
	Description string
	// Created is when it was published; zero when Lambda's date could not
	// be read.
	Created time.Time
}

// ListAPI is what listing a layer's versions needs.
type ListAPI interface {
	ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error)
}

// List returns every version of layer that exists (Lambda lists no
// deleted one), newest first: Lambda does not document its order. A layer
// with no versions, or none at all, has none.
func List(ctx context.Context, lc ListAPI, layer string) ([]Listed, error) {
	var out []Listed
	pages := lambda.NewListLayerVersionsPaginator(lc, &lambda.ListLayerVersionsInput{LayerName: aws.String(layer)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if awsretry.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing the versions of %s: %w", layer, err)
		}
		for _, v := range page.LayerVersions {
			out = append(out, Listed{Number: v.Version, ARN: aws.ToString(v.LayerVersionArn),
				Description: aws.ToString(v.Description), Created: lambdaTime(aws.ToString(v.CreatedDate))})
		}
	}
	slices.SortFunc(out, func(a, b Listed) int { return cmp.Compare(b.Number, a.Number) })
	// A version listed twice (pages that moved while read) counts once.
	return slices.CompactFunc(out, func(a, b Listed) bool { return a.Number == b.Number }), nil
}

// lambdaTime reads a date as Lambda writes it (ISO 8601, e.g.
// 2018-11-27T15:10:45.123+0000), or RFC 3339; zero when it is neither.
func lambdaTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
