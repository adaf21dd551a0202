package versions

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
)

// Every version that exists, over pages, newest first, with when it was
// published; a deleted one is not listed, an unknown layer has none.
func TestListVersions(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	fake.PageSize = 2
	for range 5 {
		fake.AddLayerVersion("shared", nil, nil, 100)
	}
	lc := testenv.LambdaAt(fake.URL, "us-east-1")
	if _, err := lc.DeleteLayerVersion(context.Background(), deleteInput("shared", 3)); err != nil {
		t.Fatal(err)
	}
	got, err := List(context.Background(), lc, "shared")
	if err != nil {
		t.Fatal(err)
	}
	var nums []int64
	for _, v := range got {
		nums = append(nums, v.Number)
		if time.Since(v.Created) > time.Minute || v.ARN != "arn:aws:lambda:us-east-1:123456789012:layer:shared:"+strconv.FormatInt(v.Number, 10) {
			t.Errorf("version %d: created %v, ARN %s", v.Number, v.Created, v.ARN)
		}
	}
	if want := []int64{5, 4, 2, 1}; !slices.Equal(nums, want) {
		t.Errorf("versions %v, want %v", nums, want)
	}
	if none, err := List(context.Background(), lc, "nothing"); err != nil || len(none) != 0 {
		t.Errorf("an unknown layer: %v %v", none, err)
	}
}

func TestLambdaTime(t *testing.T) {
	for in, want := range map[string]string{
		"2018-11-27T15:10:45.123+0000": "2018-11-27T15:10:45.123Z",
		"2026-01-02T03:04:05+0100":     "2026-01-02T02:04:05Z",
		"2026-01-02T03:04:05.5Z":       "2026-01-02T03:04:05.5Z",
	} {
		if got := lambdaTime(in).Format(time.RFC3339Nano); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	if !lambdaTime("yesterday").IsZero() {
		t.Error("an unreadable date is not zero")
	}
}

func deleteInput(layer string, n int64) *lambda.DeleteLayerVersionInput {
	return &lambda.DeleteLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(n)}
}
