// Package awsclient sets up the AWS SDK the way AWS users expect: the
// default credential chain, profiles, and endpoint overrides for emulators;
// and the clients of the other accounts a manifest names, their roles
// assumed (accounts.go).
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Options are the command line's say in the SDK's configuration.
type Options struct {
	Profile     string // --profile
	EndpointURL string // --endpoint-url: every service
	// PathStyle addresses S3 buckets as http://host/bucket, as emulators need.
	PathStyle bool
}

// Clients hands out one Lambda and one S3 client per region.
type Clients struct {
	cfg       aws.Config
	opts      Options
	mu        sync.Mutex
	lambdas   map[string]*lambda.Client
	s3clients map[string]*s3.Client
	assumed   map[string]*Clients // by role and external ID (accounts.go)
	account   string              // the account acted in, once known
}

// Load reads the SDK's configuration: environment, shared config and
// credentials files, the profile, AWS_ENDPOINT_URL and friends.
func Load(ctx context.Context, opts Options) (*Clients, error) {
	var fns []func(*config.LoadOptions) error
	if opts.Profile != "" {
		fns = append(fns, config.WithSharedConfigProfile(opts.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, fns...)
	if err != nil {
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("AWS profile %q not found in the shared config files: check --profile or AWS_PROFILE (aws configure list-profiles)", pe.Profile)
		}
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	return &Clients{cfg: cfg, opts: opts, lambdas: map[string]*lambda.Client{}, s3clients: map[string]*s3.Client{}, assumed: map[string]*Clients{}}, nil
}

// Region is the region the configuration names (AWS_REGION, the profile),
// used when neither the manifest nor --region says.
func (c *Clients) Region() string { return c.cfg.Region }

// CheckCredentials fails early, with what to do, when no credentials are found.
func (c *Clients) CheckCredentials(ctx context.Context) error {
	if c.cfg.Credentials == nil {
		return errNoCredentials(nil)
	}
	if _, err := c.cfg.Credentials.Retrieve(ctx); err != nil {
		return errNoCredentials(err)
	}
	return nil
}

func errNoCredentials(err error) error {
	msg := "no AWS credentials found: set AWS_PROFILE or --profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login; in CI use an OIDC role (aws-actions/configure-aws-credentials)"
	if err != nil {
		return fmt.Errorf("%s (%v)", msg, err)
	}
	return errors.New(msg)
}

// Lambda is the Lambda client for region.
func (c *Clients) Lambda(region string) *lambda.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.lambdas[region]; ok {
		return l
	}
	l := lambda.NewFromConfig(c.cfg, func(o *lambda.Options) {
		o.Region = region
		if c.opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.opts.EndpointURL)
		}
		o.APIOptions = append(o.APIOptions, unreachable("Lambda", region))
	})
	c.lambdas[region] = l
	return l
}

// S3 is the S3 client for region.
func (c *Clients) S3(region string) *s3.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.s3clients[region]; ok {
		return s
	}
	s := s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.Region = region
		o.UsePathStyle = c.opts.PathStyle
		if c.opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.opts.EndpointURL)
		}
		o.APIOptions = append(o.APIOptions, unreachable("S3", region))
	})
	c.s3clients[region] = s
	return s
}
