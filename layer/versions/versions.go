package versions

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/manifest"
)

// Version is one published version of a layer, with what attach checks
// a function against.
type Version struct {
	Layer         string
	Number        int64
	ARN           string // arn:aws:lambda:REGION:ACCOUNT:layer:NAME:NUMBER
	Runtimes      []string
	Architectures []string
	CodeSize      int64  // zipped
	CodeSHA256    string // base64, as Lambda reports it
	Description   string // with layerctl's digest tag, when layerctl published it
	License       string
}

// LayerARN is the version's ARN without its number, followed by the colon
// that precedes every version's number: the prefix all versions share.
func (v *Version) LayerARN() string {
	return v.ARN[:strings.LastIndex(v.ARN, ":")+1]
}

// API is what finding a layer's versions needs.
type API interface {
	ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error)
	GetLayerVersion(context.Context, *lambda.GetLayerVersionInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error)
}

// Find returns the newest version of layer that holds the content
// with hex digest sha256Hex and Lambda digest codeSHA256, or nil when none
// does. Versions are found by the digest tag layerctl puts in every
// description and confirmed by their CodeSha256. Version hint (the one the
// lock records, 0 for none) is checked first, so the usual case costs one
// call. warnf reports versions tagged with the digest but holding other bytes.
func Find(ctx context.Context, lc API, layer, sha256Hex, codeSHA256 string, hint int64, warnf func(string, ...any)) (*Version, error) {
	v, _, err := find(ctx, lc, layer, sha256Hex, codeSHA256, nil, hint, warnf)
	return v, err
}

// FindExact is Find for a version that holds the content and has the
// metadata want as well: a version's metadata is fixed for its life, so one
// with other runtimes, architectures, license or description is not the
// version the manifest asks for. It also returns the newest version
// holding the content with other metadata (other, nil when exact is found
// or none is), to say what changed.
func FindExact(ctx context.Context, lc API, layer, sha256Hex, codeSHA256 string, want Meta, hint int64, warnf func(string, ...any)) (exact, other *Version, err error) {
	return find(ctx, lc, layer, sha256Hex, codeSHA256, &want, hint, warnf)
}

// find is Find, and FindExact when want is not nil.
func find(ctx context.Context, lc API, layer, sha256Hex, codeSHA256 string, want *Meta, hint int64, warnf func(string, ...any)) (exact, other *Version, err error) {
	// check sorts a version holding the content into exact or other.
	check := func(v *Version) bool {
		if v == nil || v.CodeSHA256 != codeSHA256 {
			return false
		}
		if want == nil || len(v.Meta().Changed(*want)) == 0 {
			exact = v
			return true
		}
		if other == nil || v.Number > other.Number {
			other = v
		}
		return false
	}
	if hint > 0 {
		v, err := Get(ctx, lc, layer, hint)
		if err != nil {
			return nil, nil, err
		}
		if check(v) {
			return exact, nil, nil
		}
	}
	tag := strings.TrimSpace(manifest.DigestTag(sha256Hex))
	pages := lambda.NewListLayerVersionsPaginator(lc, &lambda.ListLayerVersionsInput{LayerName: aws.String(layer)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if awsretry.IsNotFound(err) {
				return nil, other, nil
			}
			return nil, nil, fmt.Errorf("listing versions: %w", err)
		}
		for _, s := range page.LayerVersions {
			if !strings.Contains(aws.ToString(s.Description), tag) {
				continue
			}
			v, err := Get(ctx, lc, layer, s.Version)
			if err != nil {
				return nil, nil, err
			}
			if check(v) {
				return exact, nil, nil
			}
			if v != nil && v.CodeSHA256 != codeSHA256 && warnf != nil {
				warnf("version %d is tagged with this content's digest but holds other bytes; ignoring it", s.Version)
			}
		}
	}
	return nil, other, nil
}

// Get reads version n of layer; nil when it does not exist.
func Get(ctx context.Context, lc API, layer string, n int64) (*Version, error) {
	out, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(n)})
	if awsretry.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading version %d: %w", n, err)
	}
	v := &Version{Layer: layer, Number: out.Version, ARN: aws.ToString(out.LayerVersionArn)}
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
	v.Description, v.License = aws.ToString(out.Description), aws.ToString(out.LicenseInfo)
	return v, nil
}
