package awsclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// SessionName names layerctl in the sessions of the roles it assumes, so
// that CloudTrail says who acted: "layerctl", or "layerctl-" and what the
// caller adds (the command).
func SessionName(what string) string {
	name := "layerctl"
	if what != "" {
		name += "-" + what
	}
	// STS takes 2 to 64 of [\w+=,.@-].
	name = strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@-", r)) {
			return r
		}
		return '-'
	}, name)
	return name[:min(len(name), 64)]
}

// stsRegion is where STS is called: the configured region (a regional
// endpoint, in the partition the run is in), else us-east-1.
func (c *Clients) stsRegion() string {
	if c.cfg.Region != "" {
		return c.cfg.Region
	}
	return "us-east-1"
}

func (c *Clients) sts() *sts.Client {
	region := c.stsRegion()
	return sts.NewFromConfig(c.cfg, func(o *sts.Options) {
		o.Region = region
		if c.opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.opts.EndpointURL)
		}
		o.APIOptions = append(o.APIOptions, unreachable("STS", region))
	})
}

// Assume is the clients of the account a role is in: the role assumed
// through STS with these clients' credentials (stscreds, the session
// named by SessionName(session), with externalID when not ""), cached and
// refreshed by the SDK. The role is assumed once here, so that a role
// that cannot be assumed fails now, saying why and what to do; the
// clients of a role are made once per run.
func (c *Clients) Assume(ctx context.Context, role, externalID, session string) (*Clients, error) {
	key := role + "\x00" + externalID
	c.mu.Lock()
	a, ok := c.assumed[key]
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	provider := stscreds.NewAssumeRoleProvider(c.sts(), role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName(session)
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	cfg := c.cfg.Copy()
	cfg.Credentials = aws.NewCredentialsCache(provider)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, assumeError(role, externalID, err)
	}
	a = &Clients{cfg: cfg, opts: c.opts, lambdas: map[string]*lambda.Client{}, s3clients: map[string]*s3.Client{},
		assumed: map[string]*Clients{}, account: creds.AccountID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if first, ok := c.assumed[key]; ok {
		return first, nil // another goroutine assumed it meanwhile
	}
	c.assumed[key] = a
	return a, nil
}

// assumeError says why a role could not be assumed, and what to do.
func assumeError(role, externalID string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException") {
		ext := ""
		if externalID != "" {
			ext = fmt.Sprintf(" with the condition sts:ExternalId %q", externalID)
		}
		return fmt.Errorf("assuming role %s: %s: %s: its trust policy must let these credentials assume it%s, and they need sts:AssumeRole on it (see docs/accounts.md)", role, ae.ErrorCode(), ae.ErrorMessage(), ext)
	}
	return fmt.Errorf("assuming role %s: %w", role, err)
}

// AccountID is the account these clients act in: the assumed role's, or
// for the run's own credentials what STS GetCallerIdentity says (one call,
// made once).
func (c *Clients) AccountID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.account
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	out, err := c.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("asking STS which account the credentials are in (GetCallerIdentity): %w", err)
	}
	id = aws.ToString(out.Account)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.account = id
	return id, nil
}
