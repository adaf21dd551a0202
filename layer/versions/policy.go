package versions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/awsretry"
)

// PolicyAPI is what reading a version's permissions needs.
type PolicyAPI interface {
	GetLayerVersionPolicy(context.Context, *lambda.GetLayerVersionPolicyInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionPolicyOutput, error)
}

// SharedWith says whom version n of layer is shared with besides owner (the
// layer's own account): "account 111122223333", "organization o-abc123defg",
// "every AWS account", sorted; none when the version is private (it has no
// policy). Those users' functions are invisible to this account, so a
// shared version may be in use however unused it looks here. A statement
// whose principal cannot be read counts as a share (naming its Sid):
// unsure is shared.
func SharedWith(ctx context.Context, lc PolicyAPI, layer string, n int64, owner string) ([]string, error) {
	out, err := lc.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(n)})
	if awsretry.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the permissions of version %d: %w", n, err)
	}
	return grantees(aws.ToString(out.Policy), owner), nil
}

// policyStatement is the part of a policy statement that says who.
type policyStatement struct {
	Sid       string
	Effect    string
	Principal json.RawMessage
	Condition map[string]map[string]json.RawMessage
	// OrganizationId is where moto keeps AddLayerVersionPermission's
	// organization; Lambda writes an aws:PrincipalOrgID condition.
	OrganizationId string
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// grantees reads a layer version policy document (see SharedWith).
func grantees(policy, owner string) []string {
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return []string{"someone its policy names (the policy could not be read)"}
	}
	var sts []policyStatement
	if err := json.Unmarshal(doc.Statement, &sts); err != nil {
		var one policyStatement
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return []string{"someone its policy names (the policy could not be read)"}
		}
		sts = []policyStatement{one}
	}
	var out []string
	for _, st := range sts {
		if strings.EqualFold(st.Effect, "Deny") {
			continue
		}
		out = append(out, statementGrantees(st, owner)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// statementGrantees is whom one Allow statement lets in, but owner.
func statementGrantees(st policyStatement, owner string) []string {
	principals, ok := principalsOf(st.Principal)
	if !ok {
		return []string{fmt.Sprintf("someone statement %q names", st.Sid)}
	}
	orgs := orgCondition(st.Condition)
	if st.OrganizationId != "" {
		orgs = append(orgs, st.OrganizationId)
	}
	var out []string
	for _, p := range principals {
		switch {
		case p == "*" && len(orgs) > 0:
			for _, o := range orgs {
				out = append(out, "organization "+o)
			}
		case p == "*":
			out = append(out, "every AWS account")
		case accountOf(p) == owner:
		case accountOf(p) != "":
			out = append(out, "account "+accountOf(p))
		default:
			out = append(out, fmt.Sprintf("%s (statement %q)", p, st.Sid))
		}
	}
	return out
}

// principalsOf reads a Principal: "*", "123456789012", an ARN, a list of
// them, or {"AWS": any of those}.
func principalsOf(raw json.RawMessage) ([]string, bool) {
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil && len(m) > 0 {
		var all []string
		for _, v := range m {
			ps, ok := principalsOf(v)
			if !ok {
				return nil, false
			}
			all = append(all, ps...)
		}
		return all, true
	}
	return nil, false
}

// accountOf is the account a principal names ("123456789012" or
// arn:aws:iam::123456789012:root), "" for anything else.
func accountOf(p string) string {
	if accountID.MatchString(p) {
		return p
	}
	parts := strings.Split(p, ":")
	if len(parts) >= 6 && parts[0] == "arn" && parts[2] == "iam" && accountID.MatchString(parts[4]) {
		return parts[4]
	}
	return ""
}

// orgCondition is the organizations a statement's aws:PrincipalOrgID
// condition allows (AddLayerVersionPermission's OrganizationId).
func orgCondition(cond map[string]map[string]json.RawMessage) []string {
	var out []string
	for _, kv := range cond {
		for k, v := range kv {
			if !strings.EqualFold(k, "aws:PrincipalOrgID") {
				continue
			}
			if ids, ok := principalsOf(v); ok {
				out = append(out, ids...)
			}
		}
	}
	return out
}
