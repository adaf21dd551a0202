package layer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/schollz/progressbar/v3"

	"github.com/layerctl/layerctl/internal/output"
)

// shaMetadata is the S3 object metadata key holding the ZIP's hex SHA-256.
const shaMetadata = "layerctl-sha256"

// content is the layer ZIP as PublishLayerVersion takes it: inline up to
// 50 MB, else from S3, uploaded first unless the object is already there.
func (p *regionPublisher) content(ctx context.Context) (*types.LayerVersionContentInput, error) {
	art := p.t.Artifact
	if art.Size <= MaxInline {
		if p.opts.DryRun {
			return &types.LayerVersionContentInput{}, nil
		}
		zip, err := os.ReadFile(art.Path)
		if err != nil {
			return nil, fmt.Errorf("reading the artifact: %w", err)
		}
		return &types.LayerVersionContentInput{ZipFile: zip}, nil
	}

	s3cfg := p.t.Layer.S3
	bucket := s3cfg.BucketFor(p.region)
	if bucket == "" {
		return nil, fmt.Errorf("the ZIP is %s, over the %s Lambda takes inline, and no S3 bucket is set for %s: add s3: {bucket: NAME} (or s3.buckets.%s) to the layer or to defaults; the bucket must be in %s",
			output.Bytes(art.Size), output.Bytes(MaxInline), p.region, p.region, p.region)
	}
	sc := p.opts.S3(p.region)
	head, err := sc.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		return nil, fmt.Errorf("checking bucket %s: %w", bucket, err)
	}
	if r := aws.ToString(head.BucketRegion); r != "" && r != p.region {
		return nil, fmt.Errorf("bucket %s is in %s, but Lambda in %s reads layer ZIPs only from a bucket in its own region: name one with s3.buckets.%s", bucket, r, p.region, p.region)
	}

	key := s3cfg.Key(p.t.Layer.Name, art.SHA256)
	where := fmt.Sprintf("s3://%s/%s", bucket, key)
	obj, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	switch {
	case err == nil && obj.Metadata[shaMetadata] == art.SHA256 && aws.ToInt64(obj.ContentLength) == art.Size:
		p.logf("%s %s: %s is already uploaded", p.t.Layer.Name, p.region, where)
		return &types.LayerVersionContentInput{S3Bucket: aws.String(bucket), S3Key: aws.String(key), S3ObjectVersion: obj.VersionId}, nil
	case err != nil && !isS3NotFound(err):
		return nil, fmt.Errorf("checking %s: %w", where, err)
	}
	if p.opts.DryRun {
		p.logf("%s %s: would upload %s to %s", p.t.Layer.Name, p.region, output.Bytes(art.Size), where)
		return &types.LayerVersionContentInput{}, nil
	}

	f, err := os.Open(art.Path)
	if err != nil {
		return nil, fmt.Errorf("reading the artifact: %w", err)
	}
	defer f.Close()
	p.logf("%s %s: uploading %s to %s", p.t.Layer.Name, p.region, output.Bytes(art.Size), where)
	tm := transfermanager.New(sc, func(o *transfermanager.Options) {
		o.PartSizeBytes = 16 << 20
		if p.opts.Progress != nil {
			o.ObjectProgressListeners.Register(newProgress(p.opts.Progress, art.Size, p.t.Layer.Name+" "+p.region))
		}
	})
	up, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          f,
		ContentLength: aws.Int64(art.Size),
		ContentType:   aws.String("application/zip"),
		Metadata:      map[string]string{shaMetadata: art.SHA256},
	})
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", where, err)
	}
	return &types.LayerVersionContentInput{S3Bucket: aws.String(bucket), S3Key: aws.String(key), S3ObjectVersion: up.VersionID}, nil
}

func isS3NotFound(err error) bool {
	var nf *s3types.NotFound
	var nk *s3types.NoSuchKey
	return errors.As(err, &nf) || errors.As(err, &nk)
}

// progress draws an upload's progress bar on a terminal.
type progress struct{ bar *progressbar.ProgressBar }

func newProgress(w io.Writer, total int64, label string) *progress {
	return &progress{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("uploading "+label),
		progressbar.OptionShowBytes(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)}
}

func (p *progress) OnObjectBytesTransferred(_ context.Context, e *transfermanager.ObjectBytesTransferredEvent) {
	p.bar.Set64(e.BytesTransferred)
}

func (p *progress) OnObjectTransferComplete(context.Context, *transfermanager.ObjectTransferCompleteEvent) {
	p.bar.Finish()
}
