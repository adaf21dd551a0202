package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/schollz/progressbar/v3"

	"github.com/layerctl/layerctl/internal/size"
)

// shaMetadata is the S3 object metadata key holding the ZIP's hex SHA-256:
// a label for people, never trusted (s3proof.go).
const shaMetadata = "layerctl-sha256"

// content is the layer ZIP as PublishLayerVersion takes it: inline (up to
// the inline limit, inline.go), else from S3 (the bucket set for the
// region), uploaded first unless an object proven to hold it is already
// there (s3proof.go). Never from an object that is not proven.
func (p *regionPublisher) content(ctx context.Context, inline bool) (*types.LayerVersionContentInput, error) {
	art := p.t.Artifact
	if inline {
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
	sc := p.opts.S3(p.region)
	if err := p.checkBucket(ctx, sc, bucket); err != nil {
		return nil, err
	}

	key := s3cfg.Key(p.t.Layer.Name, art.SHA256)
	where := fmt.Sprintf("s3://%s/%s", bucket, key)
	obj, err := p.headObject(ctx, sc, bucket, key, "")
	switch {
	case isForbidden(err):
		// Least privilege: without s3:ListBucket a missing key is 403.
		p.logf("%s %s: S3 answered 403 to HeadObject on %s (without s3:ListBucket, a missing object is 403, not 404): it is uploaded, then proven", p.t.Layer.Name, p.where, where)
	case err != nil:
		return nil, fmt.Errorf("checking %s: %w", where, err)
	case obj.exists && obj.unproven == "":
		p.logf("%s %s: %s is already uploaded (S3's SHA-256 checksum of it is the ZIP's)", p.t.Layer.Name, p.where, where)
		return s3Content(bucket, key, obj.version), nil
	case obj.exists:
		p.logf("%s %s: %s is there, but not proven to hold this ZIP (%s): it is uploaded again", p.t.Layer.Name, p.where, where, obj.unproven)
	}
	if p.opts.DryRun {
		p.logf("%s %s: would upload %s to %s", p.t.Layer.Name, p.where, size.Text(art.Size), where)
		return &types.LayerVersionContentInput{}, nil
	}

	version, err := p.upload(ctx, sc, bucket, key)
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", where, err)
	}
	// Prove what S3 now holds, in the very version uploaded where the bucket
	// keeps versions: the file may have changed on the way, or someone may
	// have written the key since.
	obj, err = p.headObject(ctx, sc, bucket, key, version)
	switch {
	case isForbidden(err):
		return nil, fmt.Errorf("checking %s after the upload: S3 answered 403 to HeadObject: proving the object needs s3:GetObject on it (and s3:GetObjectVersion in a versioned bucket, kms:Decrypt for SSE-KMS); nothing was published", where)
	case err != nil:
		return nil, fmt.Errorf("checking %s after the upload: %w", where, err)
	case !obj.exists:
		return nil, fmt.Errorf("%s is gone right after its upload: something else deletes from the bucket; nothing was published", where)
	case obj.unproven != "":
		return nil, fmt.Errorf("%s does not hold this ZIP right after its upload (%s): something else writes to the bucket, or the ZIP changed; nothing was published", where, obj.unproven)
	}
	return s3Content(bucket, key, obj.version), nil
}

// upload puts the ZIP at key, asking S3 to keep its SHA-256 checksum, and
// returns the version made ("" where the bucket keeps none).
func (p *regionPublisher) upload(ctx context.Context, sc S3API, bucket, key string) (string, error) {
	art := p.t.Artifact
	f, err := os.Open(art.Path)
	if err != nil {
		return "", fmt.Errorf("reading the artifact: %w", err)
	}
	defer f.Close()
	p.logf("%s %s: uploading %s to s3://%s/%s", p.t.Layer.Name, p.where, size.Text(art.Size), bucket, key)
	tm := transfermanager.New(sc, func(o *transfermanager.Options) {
		o.PartSizeBytes = uploadPartSize
		if p.opts.Progress != nil {
			o.ObjectProgressListeners.Register(newProgress(p.opts.Progress, art.Size, p.t.Layer.Name+" "+p.region))
		}
	})
	up, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket:            aws.String(bucket),
		Key:               aws.String(key),
		Body:              f,
		ContentLength:     aws.Int64(art.Size),
		ContentType:       aws.String("application/zip"),
		ChecksumAlgorithm: tmtypes.ChecksumAlgorithmSha256,
		Metadata:          map[string]string{shaMetadata: art.SHA256},
	})
	if err != nil {
		return "", err
	}
	return objectVersion(up.VersionID), nil
}

// s3Content publishes from the object at key, pinned to version when the
// bucket keeps versions, so the version proven is the one Lambda reads.
func s3Content(bucket, key, version string) *types.LayerVersionContentInput {
	c := &types.LayerVersionContentInput{S3Bucket: aws.String(bucket), S3Key: aws.String(key)}
	if version != "" {
		c.S3ObjectVersion = aws.String(version)
	}
	return c
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
