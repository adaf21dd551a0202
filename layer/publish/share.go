package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/awsretry"
	"github.com/layerctl/layerctl/manifest"
)

// grant is one AddLayerVersionPermission statement layerctl manages.
type grant struct {
	sid, principal, org, who string
}

// grants lists the statements a share setting asks for. Statement IDs are
// derived from the grantee, so a grant already given is recognised.
func grants(s manifest.Share) []grant {
	var out []grant
	if s.Public {
		out = append(out, grant{"layerctl-public", "*", "", "every AWS account"})
	}
	for _, a := range s.Accounts {
		out = append(out, grant{"layerctl-account-" + a, a, "", "account " + a})
	}
	for _, o := range s.Organizations {
		out = append(out, grant{"layerctl-org-" + o, "*", o, "organization " + o})
	}
	return out
}

// share adds the permissions the layer's share setting asks for to
// version v, keeping every statement already there.
func (p *regionPublisher) share(ctx context.Context, v *foundVersion) error {
	want := grants(p.t.Layer.Share)
	if len(want) == 0 {
		return nil
	}
	name := p.t.Layer.Name
	have, err := p.statements(ctx, v.version)
	if err != nil {
		return err
	}
	for _, g := range want {
		if have[g.sid] {
			continue
		}
		if p.opts.DryRun {
			p.logf("%s %s: would share version %d with %s", name, p.where, v.version, g.who)
			continue
		}
		in := &lambda.AddLayerVersionPermissionInput{
			LayerName:     aws.String(name),
			VersionNumber: aws.Int64(v.version),
			StatementId:   aws.String(g.sid),
			Action:        aws.String("lambda:GetLayerVersion"),
			Principal:     aws.String(g.principal),
		}
		if g.org != "" {
			in.OrganizationId = aws.String(g.org)
		}
		_, err := p.lc.AddLayerVersionPermission(ctx, in)
		var conflict *types.ResourceConflictException
		if err != nil && !errors.As(err, &conflict) {
			return fmt.Errorf("sharing version %d with %s: %w", v.version, g.who, err)
		}
		p.logf("%s %s: shared version %d with %s", name, p.where, v.version, g.who)
	}
	return nil
}

// statements returns the statement IDs of version n's policy.
func (p *regionPublisher) statements(ctx context.Context, n int64) (map[string]bool, error) {
	out, err := p.lc.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(p.t.Layer.Name), VersionNumber: aws.Int64(n)})
	if awsretry.IsNotFound(err) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the permissions of version %d: %w", n, err)
	}
	var doc struct {
		Statement []struct{ Sid string }
	}
	if err := json.NewDecoder(strings.NewReader(aws.ToString(out.Policy))).Decode(&doc); err != nil {
		return nil, fmt.Errorf("reading the permissions of version %d: unexpected policy: %w", n, err)
	}
	have := map[string]bool{}
	for _, s := range doc.Statement {
		have[s.Sid] = true
	}
	return have, nil
}
