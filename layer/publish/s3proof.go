package publish

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// An S3 object is trusted to hold a layer's ZIP only when S3's own SHA-256
// checksum of it proves so: its key, size and metadata are anyone's to
// write. Uploads ask S3 for that checksum (ChecksumAlgorithm SHA256), and
// HeadObject with ChecksumMode ENABLED returns it, without a download:
//   - an object sent in one PutObject has the ZIP's SHA-256 itself;
//   - a multipart upload has a composite checksum: the SHA-256 of the
//     parts' SHA-256s, in order, with "-N" for N parts (S3; moto leaves the
//     suffix out). It is computed here from the ZIP with the part size the
//     upload uses, so an object uploaded with other parts is not proven
//     and is uploaded again.

// uploadPartSize is the part size of multipart uploads.
const uploadPartSize = 16 << 20

// maxUploadParts is S3's most parts in one upload; the transfer manager
// grows the part size past it, and so does partSize.
const maxUploadParts = 10000

// partSize is the part size the transfer manager uses for size bytes.
func partSize(size int64) int64 {
	if size/uploadPartSize >= maxUploadParts {
		return size/maxUploadParts + 1
	}
	return uploadPartSize
}

// s3Object is what HeadObject says of the object at a key.
type s3Object struct {
	exists  bool
	version string // S3 version ID; "" when the bucket is not versioned
	// unproven says why the object is not proven to hold the ZIP; "" when
	// it is.
	unproven string
}

// headObject reads the object's size and SHA-256 checksum (version
// versionID, or the current one when "") and checks them against the ZIP.
func (p *regionPublisher) headObject(ctx context.Context, sc S3API, bucket, key, versionID string) (s3Object, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: s3types.ChecksumModeEnabled}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	head, err := sc.HeadObject(ctx, in)
	if isS3NotFound(err) {
		return s3Object{}, nil
	}
	if err != nil {
		return s3Object{}, err
	}
	obj := s3Object{exists: true, version: objectVersion(head.VersionId)}
	obj.unproven, err = p.unproven(ctx, aws.ToInt64(head.ContentLength), aws.ToString(head.ChecksumSHA256))
	return obj, err
}

// objectVersion is an object's version ID as PublishLayerVersion takes it:
// "null" (the one version of an unversioned object) is no version to pin.
func objectVersion(id *string) string {
	if v := aws.ToString(id); v != "null" {
		return v
	}
	return ""
}

// unproven says why an object of size bytes with SHA-256 checksum sum
// (base64, maybe with a "-N" parts suffix) is not proven to be the ZIP, or
// "" when it is.
func (p *regionPublisher) unproven(ctx context.Context, size int64, sum string) (string, error) {
	art := p.t.Artifact
	switch {
	case size != art.Size:
		return fmt.Sprintf("it is %d bytes, the ZIP %d", size, art.Size), nil
	case sum == "":
		return "S3 holds no SHA-256 checksum of it", nil
	case sum == art.CodeSHA256:
		return "", nil
	}
	composite, parts, err := compositeSHA256(ctx, art.Path, art.SHA256, partSize(art.Size))
	if err != nil {
		return "", err
	}
	base, n, hasN := strings.Cut(sum, "-")
	if base == composite && (!hasN || n == strconv.Itoa(parts)) {
		return "", nil
	}
	return fmt.Sprintf("its SHA-256 checksum is %s, not the ZIP's", sum), nil
}

// compositeSHA256 is S3's composite SHA-256 checksum of the file at path
// uploaded in parts of partSize bytes (base64, without the parts suffix),
// and the number of parts. The file must still hold the content of hex
// digest sha256Hex: a checksum of other bytes would prove nothing.
func compositeSHA256(ctx context.Context, path, sha256Hex string, partSize int64) (string, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("reading the artifact: %w", err)
	}
	defer f.Close()
	whole, outer := sha256.New(), sha256.New()
	parts := 0
	for {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		part := sha256.New()
		n, err := io.Copy(io.MultiWriter(part, whole), io.LimitReader(f, partSize))
		if err != nil {
			return "", 0, fmt.Errorf("reading the artifact: %w", err)
		}
		if n == 0 && parts > 0 {
			break
		}
		outer.Write(part.Sum(nil))
		parts++
		if n < partSize {
			break
		}
	}
	if got := hex.EncodeToString(whole.Sum(nil)); got != sha256Hex {
		return "", 0, errors.New("the artifact changed since it was built (its SHA-256 differs): build it again")
	}
	return base64.StdEncoding.EncodeToString(outer.Sum(nil)), parts, nil
}
