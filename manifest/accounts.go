package manifest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Account is an AWS account a layer is published to and attached in,
// through an IAM role layerctl assumes there. A layer with no accounts is
// worked on in the account of the credentials layerctl runs with.
type Account struct {
	ID         string   // the 12-digit account ID
	Role       string   // the ARN of the IAM role assumed in it: its own role, or role_template's
	ExternalID string   // sts:ExternalId sent with AssumeRole; "" for none
	Regions    []string // when set, the layer's regions in this account, in place of its own
	Pos        Pos      // position of the entry
}

// IsCurrent reports whether a is the account of the credentials layerctl
// runs with (no accounts: in the manifest), not one it assumes a role in.
func (a Account) IsCurrent() bool { return a.ID == "" }

// Current is the account of the credentials layerctl runs with.
var Current = Account{}

var (
	accountKeys = []string{"external_id", "id", "regions", "role"}

	// roleARN is an IAM role ARN in any partition, its account captured.
	roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:[A-Za-z0-9+=,.@_/-]{0,511}/)?[A-Za-z0-9+=,.@_-]{1,64}$`)
	// externalID is what STS accepts as an ExternalId (2 to 1224 of them:
	// maxExternalID, since a regexp repeats at most 1000 times).
	externalID = regexp.MustCompile(`^[A-Za-z0-9+=,.@:/_-]{2,}$`)
)

// maxExternalID is the longest external ID STS takes.
const maxExternalID = 1224

// roleTemplateAccount is the placeholder role_template replaces.
const roleTemplateAccount = "{account}"

// accountDefaults are the top-level settings every account entry inherits.
type accountDefaults struct {
	roleTemplate string // with {account}; "" when none
	externalID   string
}

// accountDefaults reads role_template and external_id at the top level.
func (w *walker) accountDefaults(keys map[string]entry) accountDefaults {
	var d accountDefaults
	if e, ok := keys["role_template"]; ok && !isNull(e.value) {
		d.roleTemplate = w.roleTemplate(e.value)
	}
	if e, ok := keys["external_id"]; ok && !isNull(e.value) {
		d.externalID = w.externalID(e.value, "external_id")
	}
	return d
}

func (w *walker) roleTemplate(n *yaml.Node) string {
	s, ok := w.str(n, "role_template")
	if !ok {
		return ""
	}
	const example = "arn:aws:iam::{account}:role/layerctl"
	if strings.Count(s, roleTemplateAccount) != 1 {
		w.fail(n, "role_template", "%q must hold %s once, where the account ID goes, e.g. %s", s, roleTemplateAccount, example)
		return ""
	}
	const probe = "000000000000"
	m := roleARN.FindStringSubmatch(strings.Replace(s, roleTemplateAccount, probe, 1))
	if m == nil || m[1] != probe {
		w.fail(n, "role_template", "%q does not make an IAM role ARN with the account ID in its account field, e.g. %s", s, example)
		return ""
	}
	return s
}

func (w *walker) externalID(n *yaml.Node, field string) string {
	s, ok := w.str(n, field)
	if !ok {
		return ""
	}
	if !externalID.MatchString(s) || len(s) > maxExternalID {
		w.fail(n, field, "%q is not an STS external ID: 2 to 1224 letters, digits or any of +=,.@:/_-", s)
		return ""
	}
	return s
}

// accounts reads a list of account entries; set is false when n is null
// (as good as absent).
func (w *walker) accounts(n *yaml.Node, field string, d accountDefaults) (accounts []Account, set bool) {
	if isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		w.fail(n, field, `must be a list of accounts, e.g. [{id: "111122223333"}], got %s`, describe(n))
		return nil, true
	}
	if len(n.Content) == 0 {
		w.fail(n, field, "must list at least one account; leave it out to work in the account of the credentials layerctl runs with")
		return nil, true
	}
	first := map[string]Pos{}
	for i, c := range n.Content {
		c = deref(c)
		f := fmt.Sprintf("%s[%d]", field, i)
		a, ok := w.account(c, f, d)
		if !ok {
			continue
		}
		if p, dup := first[a.ID]; dup {
			w.fail(c, f, "account %s is listed twice; first at %d:%d", a.ID, p.Line, p.Column)
			continue
		}
		first[a.ID] = a.Pos
		accounts = append(accounts, a)
	}
	return accounts, true
}

func (w *walker) account(n *yaml.Node, field string, d accountDefaults) (Account, bool) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, field, `must be a mapping with keys %s, e.g. {id: "111122223333"}, got %s`, strings.Join(accountKeys, ", "), describe(n))
		return Account{}, false
	}
	keys := byKey(w.entries(n, field, accountKeys))
	a := Account{Pos: w.at(n), ExternalID: d.externalID}
	e, has := keys["id"]
	if !has || isNull(e.value) {
		w.fail(n, field, `id is required: the 12-digit account ID, quoted ("111122223333")`)
		return a, false
	}
	id, ok := w.str(e.value, field+".id")
	if !ok {
		return a, false
	}
	if !accountID.MatchString(id) {
		w.fail(e.value, field+".id", `%q is not an AWS account ID: 12 digits, quoted ("111122223333")`, id)
		return a, false
	}
	a.ID = id
	ok = true
	switch r, has := keys["role"]; {
	case has && !isNull(r.value):
		a.Role, ok = w.role(r.value, field+".role", id)
	case d.roleTemplate != "":
		a.Role = strings.Replace(d.roleTemplate, roleTemplateAccount, id, 1)
	default:
		w.fail(n, field, "no role to assume in account %s: give role: arn:aws:iam::%s:role/NAME, or a top-level role_template: arn:aws:iam::{account}:role/NAME", id, id)
		ok = false
	}
	if x, has := keys["external_id"]; has && !isNull(x.value) {
		if a.ExternalID = w.externalID(x.value, field+".external_id"); a.ExternalID == "" {
			ok = false
		}
	}
	if r, has := keys["regions"]; has && !isNull(r.value) {
		a.Regions = w.regions(r.value, field+".regions")
	}
	return a, ok
}

// role checks an account's own role ARN: a role, in that very account.
func (w *walker) role(n *yaml.Node, field, id string) (string, bool) {
	s, ok := w.str(n, field)
	if !ok {
		return "", false
	}
	m := roleARN.FindStringSubmatch(s)
	switch {
	case m == nil:
		w.fail(n, field, "%q is not an IAM role ARN (arn:aws:iam::%s:role/NAME)", s, id)
		return "", false
	case m[1] != id:
		w.fail(n, field, "%q is a role in account %s, not %s: layerctl would work in the wrong account", s, m[1], id)
		return "", false
	}
	return s, true
}

// UsesAccounts reports whether some layer names the accounts it is worked
// on in (accounts:), rather than the credentials' own.
func (m *Manifest) UsesAccounts() bool {
	return slices.ContainsFunc(m.Layers, func(l *Layer) bool { return len(l.Accounts) > 0 })
}

// AccountsOf is the accounts a layer is worked on in: its own (or the
// manifest's) accounts, else the credentials' own account (Current).
func (l *Layer) AccountsOf() []Account {
	if len(l.Accounts) == 0 {
		return []Account{Current}
	}
	return l.Accounts
}

// RegionsIn is RegionsFor in account a: given (--region) when there are
// any, else the account's regions, else the layer's own, else configured.
func (l *Layer) RegionsIn(a Account, given []string, configured string) (regions, unknown []string, err error) {
	if len(given) == 0 && len(a.Regions) > 0 {
		given = a.Regions
	}
	return l.RegionsFor(given, configured)
}
