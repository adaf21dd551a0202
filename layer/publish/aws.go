package publish

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// LambdaAPI is what layerctl calls on Lambda, with the SDK's signatures.
type LambdaAPI interface {
	ListLayerVersions(context.Context, *lambda.ListLayerVersionsInput, ...func(*lambda.Options)) (*lambda.ListLayerVersionsOutput, error)
	GetLayerVersion(context.Context, *lambda.GetLayerVersionInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error)
	PublishLayerVersion(context.Context, *lambda.PublishLayerVersionInput, ...func(*lambda.Options)) (*lambda.PublishLayerVersionOutput, error)
	AddLayerVersionPermission(context.Context, *lambda.AddLayerVersionPermissionInput, ...func(*lambda.Options)) (*lambda.AddLayerVersionPermissionOutput, error)
	GetLayerVersionPolicy(context.Context, *lambda.GetLayerVersionPolicyInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionPolicyOutput, error)
	DeleteLayerVersion(context.Context, *lambda.DeleteLayerVersionInput, ...func(*lambda.Options)) (*lambda.DeleteLayerVersionOutput, error)
}

// S3API is what layerctl calls on S3: the transfer manager's needs, and
// HeadBucket to learn a bucket's region.
type S3API interface {
	transfermanager.S3APIClient
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
}

var (
	_ LambdaAPI = (*lambda.Client)(nil)
	_ S3API     = (*s3.Client)(nil)
)
