package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestAccounts(t *testing.T) {
	src := `version: 1
role_template: arn:aws:iam::{account}:role/ci/layerctl
external_id: platform-ci
accounts:
  - {id: "111122223333"}
  - {id: "444455556666", regions: [eu-west-1], external_id: other-ext}
  - {id: "777788889999", role: "arn:aws:iam::777788889999:role/legacy"}
defaults:
  runtimes: [python3.12]
  regions: [us-east-1, us-west-2]
layers:
  everywhere:
    files: [{from: a}]
  own:
    files: [{from: a}]
    accounts: [{id: "222233334444"}]
  home:
    files: [{from: a}]
    accounts:
`
	m, err := Parse("layerctl.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	top := []Account{
		{ID: "111122223333", Role: "arn:aws:iam::111122223333:role/ci/layerctl", ExternalID: "platform-ci"},
		{ID: "444455556666", Role: "arn:aws:iam::444455556666:role/ci/layerctl", ExternalID: "other-ext", Regions: []string{"eu-west-1"}},
		{ID: "777788889999", Role: "arn:aws:iam::777788889999:role/legacy", ExternalID: "platform-ci"},
	}
	got := map[string][]Account{}
	for _, l := range m.Layers {
		got[l.Name] = l.Accounts
	}
	want := map[string][]Account{
		"everywhere": top,
		"own":        {{ID: "222233334444", Role: "arn:aws:iam::222233334444:role/ci/layerctl", ExternalID: "platform-ci"}},
		"home":       top, // accounts: with nothing is as good as absent
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(Account{}, "Pos")); d != "" {
		t.Errorf("accounts (-want +got):\n%s", d)
	}
	if d := cmp.Diff(top, m.Accounts, cmpopts.IgnoreFields(Account{}, "Pos")); d != "" {
		t.Errorf("top-level accounts (-want +got):\n%s", d)
	}
	if !m.UsesAccounts() {
		t.Error("UsesAccounts = false")
	}

	// An account's regions replace the layer's there; --region replaces both.
	l := m.Layers[0]
	for _, tc := range []struct {
		a     Account
		given []string
		want  []string
	}{
		{top[0], nil, []string{"us-east-1", "us-west-2"}},
		{top[1], nil, []string{"eu-west-1"}},
		{top[1], []string{"ap-south-1"}, []string{"ap-south-1"}},
		{Current, nil, []string{"us-east-1", "us-west-2"}},
	} {
		got, _, err := l.RegionsIn(tc.a, tc.given, "")
		if err != nil || !cmp.Equal(got, tc.want) {
			t.Errorf("RegionsIn(%s, %v) = %v, %v; want %v", tc.a.ID, tc.given, got, err, tc.want)
		}
	}
}

// Without accounts:, a layer is worked on where the credentials are.
func TestNoAccountsIsTheCurrentAccount(t *testing.T) {
	m, err := Parse("layerctl.yaml", []byte("version: 1\nlayers: {a: "+okLayer+"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.UsesAccounts() || len(m.Layers[0].Accounts) != 0 {
		t.Fatalf("accounts: %+v", m.Layers[0].Accounts)
	}
	if got := m.Layers[0].AccountsOf(); len(got) != 1 || !got[0].IsCurrent() {
		t.Errorf("AccountsOf = %+v, want the current account", got)
	}
}

func TestAccountProblems(t *testing.T) {
	layers := "layers: {a: " + okLayer + "}\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"not a list", "accounts: {id: x}\n" + layers,
			[]string{`layerctl.yaml:2:11: accounts: must be a list of accounts, e.g. [{id: "111122223333"}], got a mapping`}},
		{"empty", "accounts: []\n" + layers,
			[]string{`layerctl.yaml:2:11: accounts: must list at least one account; leave it out to work in the account of the credentials layerctl runs with`}},
		{"a bare ID", "role_template: arn:aws:iam::{account}:role/x\naccounts: [\"111122223333\"]\n" + layers,
			[]string{`layerctl.yaml:3:12: accounts[0]: must be a mapping with keys external_id, id, regions, role, e.g. {id: "111122223333"}, got a string`}},
		{"no id", "accounts: [{role: \"arn:aws:iam::111122223333:role/x\"}]\n" + layers,
			[]string{`layerctl.yaml:2:12: accounts[0]: id is required: the 12-digit account ID, quoted ("111122223333")`}},
		{"id as a number", "accounts: [{id: 111122223333}]\n" + layers,
			[]string{`layerctl.yaml:2:17: accounts[0].id: must be a string, got a number; quote it: "111122223333"`}},
		{"short id", "accounts: [{id: \"1111\", role: \"arn:aws:iam::111122223333:role/x\"}]\n" + layers,
			[]string{`layerctl.yaml:2:17: accounts[0].id: "1111" is not an AWS account ID: 12 digits, quoted ("111122223333")`}},
		{"no role", "accounts: [{id: \"111122223333\"}]\n" + layers,
			[]string{`layerctl.yaml:2:12: accounts[0]: no role to assume in account 111122223333: give role: arn:aws:iam::111122223333:role/NAME, or a top-level role_template: arn:aws:iam::{account}:role/NAME`}},
		{"not a role ARN", "accounts: [{id: \"111122223333\", role: \"arn:aws:iam::111122223333:user/ci\"}]\n" + layers,
			[]string{`layerctl.yaml:2:39: accounts[0].role: "arn:aws:iam::111122223333:user/ci" is not an IAM role ARN (arn:aws:iam::111122223333:role/NAME)`}},
		{"a role in another account", "accounts: [{id: \"111122223333\", role: \"arn:aws:iam::444455556666:role/ci\"}]\n" + layers,
			[]string{`layerctl.yaml:2:39: accounts[0].role: "arn:aws:iam::444455556666:role/ci" is a role in account 444455556666, not 111122223333: layerctl would work in the wrong account`}},
		{"listed twice", "role_template: arn:aws:iam::{account}:role/x\naccounts:\n  - {id: \"111122223333\"}\n  - {id: \"111122223333\", regions: [eu-west-1]}\n" + layers,
			[]string{`layerctl.yaml:5:5: accounts[1]: account 111122223333 is listed twice; first at 4:5`}},
		{"template without the placeholder", "role_template: arn:aws:iam::111122223333:role/x\naccounts: [{id: \"111122223333\"}]\n" + layers,
			[]string{
				`layerctl.yaml:2:16: role_template: "arn:aws:iam::111122223333:role/x" must hold {account} once, where the account ID goes, e.g. arn:aws:iam::{account}:role/layerctl`,
				`layerctl.yaml:3:12: accounts[0]: no role to assume in account 111122223333: give role: arn:aws:iam::111122223333:role/NAME, or a top-level role_template: arn:aws:iam::{account}:role/NAME`,
			}},
		{"template with the placeholder elsewhere", "role_template: \"arn:aws:iam::111122223333:role/{account}\"\n" + layers,
			[]string{`layerctl.yaml:2:16: role_template: "arn:aws:iam::111122223333:role/{account}" does not make an IAM role ARN with the account ID in its account field, e.g. arn:aws:iam::{account}:role/layerctl`}},
		{"external id", "external_id: x\n" + layers,
			[]string{`layerctl.yaml:2:14: external_id: "x" is not an STS external ID: 2 to 1224 letters, digits or any of +=,.@:/_-`}},
		{"account regions", "role_template: arn:aws:iam::{account}:role/x\naccounts: [{id: \"111122223333\", regions: [us-east1]}]\n" + layers,
			[]string{`layerctl.yaml:3:43: accounts[0].regions[0]: "us-east1" is not an AWS region name; regions look like us-east-1 or eu-west-2 (did you mean "us-east-1"?)`}},
		{"unknown key", "role_template: arn:aws:iam::{account}:role/x\naccounts: [{id: \"111122223333\", region: [us-east-1]}]\n" + layers,
			[]string{`layerctl.yaml:3:33: accounts[0]: unknown key "region"; valid keys: external_id, id, regions, role (did you mean "regions"?)`}},
		{"in a layer", "layers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: a}]\n    accounts: [{id: \"111122223333\"}]\n",
			[]string{`layerctl.yaml:6:16: layers.a.accounts[0]: no role to assume in account 111122223333: give role: arn:aws:iam::111122223333:role/NAME, or a top-level role_template: arn:aws:iam::{account}:role/NAME`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("layerctl.yaml", []byte("version: 1\n"+tc.src))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want *Error", err)
			}
			var got []string
			for _, p := range e.Problems {
				got = append(got, p.String())
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("problems (-want +got):\n%s\n%s", d, strings.Join(got, "\n"))
			}
		})
	}
}
