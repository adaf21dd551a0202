package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/internal/safetext"
)

// bucketRegionHeader is where S3 says which region a bucket is in, in its
// answer to HeadBucket: "regardless of the permissions on the bucket", and
// in an error answer too (301 from another region's endpoint, 403 without
// s3:ListBucket), where the SDK's HeadBucketOutput.BucketRegion is lost.
const bucketRegionHeader = "X-Amz-Bucket-Region"

// bucketRegion asks S3 where bucket is with an unsigned HeadBucket (as the
// SDK's feature/s3/manager.GetBucketRegion does), so it needs no
// permission: the region comes from the answer's header, whatever its
// status. status is that answer's HTTP status, 0 when none came.
func bucketRegion(ctx context.Context, sc S3API, bucket string) (region string, status int, err error) {
	capture := middleware.DeserializeMiddlewareFunc("layerctlBucketRegion", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
			region, status = resp.Header.Get(bucketRegionHeader), resp.StatusCode
		}
		return out, md, err
	})
	_, err = sc.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, func(o *s3.Options) {
		o.Credentials = nil // unsigned: S3 answers anyone with the region
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Add(capture, middleware.After)
		})
	})
	return region, status, err
}

// checkBucket refuses a bucket in another region than the layer's, as
// Lambda reads a layer's ZIP only from a bucket in its own region, and one
// that does not exist. A bucket whose region cannot be learnt is not
// refused: the upload will say what is wrong.
func (p *regionPublisher) checkBucket(ctx context.Context, sc S3API, bucket string) error {
	region, status, err := bucketRegion(ctx, sc, bucket)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case region != "" && region != p.region:
		return fmt.Errorf("bucket %s is in %s, but Lambda in %s reads layer ZIPs only from a bucket in its own region: name one with s3.buckets.%s", bucket, region, p.region, p.region)
	case region != "":
		return nil
	case status == http.StatusNotFound:
		return fmt.Errorf("bucket %s does not exist (S3 answered 404): create it in %s, or name another with s3.buckets.%s", bucket, p.region, p.region)
	case status == http.StatusMovedPermanently:
		return fmt.Errorf("bucket %s is not in %s (S3 answered 301 without saying where it is), and Lambda in %s reads layer ZIPs only from a bucket in its own region: name one with s3.buckets.%s", bucket, p.region, p.region, p.region)
	case err != nil:
		p.logf("%s %s: the region of bucket %s is unknown (%s); going on", p.t.Layer.Name, p.where, bucket, safetext.Text(awsretry.Short(err)))
	}
	return nil
}

// isForbidden reports whether S3 answered 403. To HeadObject that is what a
// missing key gets without s3:ListBucket on the bucket (404 needs it), so
// it says nothing of whether the object is there.
func isForbidden(err error) bool {
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusForbidden
}
