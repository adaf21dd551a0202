package layer

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/manifest"
)

// LayerVersion is one published version of a layer, with what attach checks
// a function against.
type LayerVersion struct {
	Layer         string
	Number        int64
	ARN           string // arn:aws:lambda:REGION:ACCOUNT:layer:NAME:NUMBER
	Runtimes      []string
	Architectures []string
	CodeSize      int64  // zipped
	CodeSHA256    string // base64, as Lambda reports it
}

// LayerARN is the version's ARN without its number, followed by the colon
// that precedes every version's number: the prefix all versions share.
func (v *LayerVersion) LayerARN() string {
	return v.ARN[:strings.LastIndex(v.ARN, ":")+1]
}

// LayerVersionsAPI is what finding a layer's versions needs.
type LayerVersionsAPI interface {
	ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error)
	GetLayerVersion(context.Context, *lambda.GetLayerVersionInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error)
}

// FindVersion returns the newest version of layer that holds the content
// with hex digest sha256Hex and Lambda digest codeSHA256, or nil when none
// does. Versions are found by the digest tag layerctl puts in every
// description and confirmed by their CodeSha256. Version hint (the one the
// lock records, 0 for none) is checked first, so the usual case costs one
// call. warnf reports versions tagged with the digest but holding other bytes.
func FindVersion(ctx context.Context, lc LayerVersionsAPI, layer, sha256Hex, codeSHA256 string, hint int64, warnf func(string, ...any)) (*LayerVersion, error) {
	if hint > 0 {
		v, err := GetVersion(ctx, lc, layer, hint)
		if err != nil {
			return nil, err
		}
		if v != nil && v.CodeSHA256 == codeSHA256 {
			return v, nil
		}
	}
	tag := strings.TrimSpace(manifest.DigestTag(sha256Hex))
	pages := lambda.NewListLayerVersionsPaginator(lc, &lambda.ListLayerVersionsInput{LayerName: aws.String(layer)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if awsretry.IsNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("listing versions: %w", err)
		}
		for _, s := range page.LayerVersions {
			if !strings.Contains(aws.ToString(s.Description), tag) {
				continue
			}
			v, err := GetVersion(ctx, lc, layer, s.Version)
			if err != nil {
				return nil, err
			}
			if v != nil && v.CodeSHA256 == codeSHA256 {
				return v, nil
			}
			if v != nil && warnf != nil {
				warnf("version %d is tagged with this content's digest but holds other bytes; ignoring it", s.Version)
			}
		}
	}
	return nil, nil
}

// GetVersion reads version n of layer; nil when it does not exist.
func GetVersion(ctx context.Context, lc LayerVersionsAPI, layer string, n int64) (*LayerVersion, error) {
	out, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(n)})
	if awsretry.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading version %d: %w", n, err)
	}
	v := &LayerVersion{Layer: layer, Number: out.Version, ARN: aws.ToString(out.LayerVersionArn)}
	if v.Number == 0 {
		v.Number = n
	}
	for _, r := range out.CompatibleRuntimes {
		v.Runtimes = append(v.Runtimes, string(r))
	}
	for _, a := range out.CompatibleArchitectures {
		v.Architectures = append(v.Architectures, string(a))
	}
	if out.Content != nil {
		v.CodeSize, v.CodeSHA256 = out.Content.CodeSize, aws.ToString(out.Content.CodeSha256)
	}
	return v, nil
}
