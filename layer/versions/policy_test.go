package versions

import (
	"slices"
	"testing"
)

// Whom a version's policy shares it with, as AddLayerVersionPermission
// writes statements (and the shapes IAM allows besides): the layer's own
// account is no share, a Deny grants nothing, and a principal that cannot
// be read counts as a share.
func TestGrantees(t *testing.T) {
	const owner = "123456789012"
	cases := map[string]struct {
		policy string
		want   []string
	}{
		"an account": {`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":"111122223333","Action":"lambda:GetLayerVersion"}]}`,
			[]string{"account 111122223333"}},
		"an account as an IAM ARN": {`{"Statement":[{"Sid":"a","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"}}]}`,
			[]string{"account 111122223333"}},
		"an organization": {`{"Statement":[{"Sid":"o","Effect":"Allow","Principal":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123defg"}}}]}`,
			[]string{"organization o-abc123defg"}},
		"an organization, as moto writes it": {`{"Statement":[{"Sid":"o","Effect":"Allow","Principal":"*","OrganizationId":"o-abc123defg"}]}`,
			[]string{"organization o-abc123defg"}},
		"everyone":    {`{"Statement":[{"Sid":"p","Effect":"Allow","Principal":"*"}]}`, []string{"every AWS account"}},
		"its own":     {`{"Statement":[{"Sid":"me","Effect":"Allow","Principal":"123456789012"}]}`, nil},
		"a deny":      {`{"Statement":[{"Sid":"d","Effect":"Deny","Principal":"*"}]}`, nil},
		"one object":  {`{"Statement":{"Sid":"a","Effect":"Allow","Principal":"111122223333"}}`, []string{"account 111122223333"}},
		"two, sorted": {`{"Statement":[{"Effect":"Allow","Principal":["444455556666","111122223333"]}]}`, []string{"account 111122223333", "account 444455556666"}},
		"unreadable":  {`{"Statement":[{"Sid":"x","Effect":"Allow","Principal":42}]}`, []string{`someone statement "x" names`}},
		"not JSON":    {`nope`, []string{"someone its policy names (the policy could not be read)"}},
	}
	for name, c := range cases {
		if got := grantees(c.policy, owner); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}
