package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// PublishLayerVersion's limit is on its HTTP body, JSON with the ZIP in it
// base64-encoded (lambdafacts.MaxPublishBody), so the largest ZIP sent
// inline depends on the metadata beside it: it is computed for each request.

// inlineMargin is room left under Lambda's body limit, for what the bound
// of the JSON around the ZIP (bodyOverhead) could miss: a field a later SDK
// adds to the request.
const inlineMargin = 4 << 10

// base64Len is the length of n bytes in padded base64, as the SDK sends them.
func base64Len(n int64) int64 { return (n + 2) / 3 * 4 }

// maxInlineZip is the largest ZIP whose base64, with overhead bytes of JSON
// around it and margin bytes to spare, makes a body smaller than limit.
func maxInlineZip(limit, overhead, margin int64) int64 {
	room := limit - 1 - margin - overhead
	if room < 0 {
		return 0
	}
	return room / 4 * 3
}

// bodyOverhead is an upper bound of the bytes of in's request body other
// than the ZIP's base64, for any content in in.Content.ZipFile: the JSON
// around it, every key counted whether the SDK writes it or not, and every
// character of a string counted as 6 bytes, the most the SDK's JSON
// escaping makes of one byte (\u00XX; \ufffd for a byte of invalid UTF-8).
func bodyOverhead(in *lambda.PublishLayerVersionInput) int64 {
	str := func(s string) int64 { return 2 + 6*int64(len(s)) }
	n := int64(len(`{"Content":{"ZipFile":""}}`))
	n += int64(len(`,"CompatibleArchitectures":[]`))
	for _, a := range in.CompatibleArchitectures {
		n += str(string(a)) + 1
	}
	n += int64(len(`,"CompatibleRuntimes":[]`))
	for _, r := range in.CompatibleRuntimes {
		n += str(string(r)) + 1
	}
	if in.Description != nil {
		n += int64(len(`,"Description":`)) + str(*in.Description)
	}
	if in.LicenseInfo != nil {
		n += int64(len(`,"LicenseInfo":`)) + str(*in.LicenseInfo)
	}
	return n
}

// inlineLimit is the largest ZIP sent inline with in's metadata; larger
// ones go through S3.
func (p *regionPublisher) inlineLimit(in *lambda.PublishLayerVersionInput) int64 {
	if p.opts.InlineLimit > 0 {
		return p.opts.InlineLimit
	}
	return maxInlineZip(lambdafacts.MaxPublishBody, bodyOverhead(in), inlineMargin)
}

// tooLargeInline is the error for a ZIP over the inline limit with no
// bucket to go through: said before any call, with the numbers.
func (p *regionPublisher) tooLargeInline(in *lambda.PublishLayerVersionInput) error {
	art, r := p.t.Artifact, p.region
	return fmt.Errorf("the ZIP is %s (%d bytes), over the %d bytes layerctl sends inline with this layer's metadata (Lambda takes a request body under %d bytes, the ZIP in it base64-encoded), and no S3 bucket is set for %s: add s3: {bucket: NAME} (or s3.buckets.%s) to the layer or to defaults; the bucket must be in %s",
		size.Text(art.Size), art.Size, p.inlineLimit(in), lambdafacts.MaxPublishBody, r, r, r)
}

// isTooLarge reports whether err is Lambda's refusal of a request body
// over its limit: 413 RequestEntityTooLargeException, for which the SDK
// has no type of its own.
func isTooLarge(err error) bool {
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() == http.StatusRequestEntityTooLarge {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "RequestEntityTooLargeException"
}

// refusedAsTooLarge explains Lambda's 413 for a ZIP sent inline in a body of
// sent bytes. Nothing was published: the request is refused for its size,
// so there is no version to look for, and sending it again would be
// refused again.
func (p *regionPublisher) refusedAsTooLarge(err error, sent int64) error {
	art, r := p.t.Artifact, p.region
	return fmt.Errorf("Lambda refused the request as too large (%d bytes, the %d-byte ZIP in it base64-encoded; %s): nothing was published; set s3: {bucket: NAME} (or s3.buckets.%s) on the layer or in defaults, so that it goes through S3 (a bucket in %s)",
		sent, art.Size, awsretry.Short(err), r, r)
}

// bodySize has the SDK record the length of the request body it sends in n.
func bodySize(n *int64) func(*lambda.Options) {
	record := middleware.FinalizeMiddlewareFunc("layerctlBodySize", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if req, ok := in.Request.(*smithyhttp.Request); ok {
			*n = req.ContentLength
		}
		return next.HandleFinalize(ctx, in)
	})
	return func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(record, middleware.After)
		})
	}
}
