package manifest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Attach says which functions `layerctl attach` moves onto the layer's
// version. When it is empty, the targets are the functions that already use
// some version of the layer.
type Attach struct {
	Functions []string          // function names or unqualified function ARNs, manifest order
	Tags      map[string]string // functions carrying every one of these tags
	Pos       Pos               // position of the attach key
}

// IsZero reports whether no target is named.
func (a Attach) IsZero() bool { return len(a.Functions) == 0 && len(a.Tags) == 0 }

var attachKeys = []string{"functions", "tags"}

var (
	functionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	// Regions as lambdafacts.ValidRegion has them: eusc-de-east-1 too.
	functionARN = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}$`)
	// qualified is a name or ARN with a version or alias after the name.
	qualified = regexp.MustCompile(`^(arn:aws[a-z-]*:lambda:[^:]*:[0-9]{12}:function:)?[A-Za-z0-9_-]{1,64}:[^:]+$`)
)

// CheckFunction says why s cannot name a function for attach, or "" when it
// can: a function name, or a function ARN without a version or alias.
func CheckFunction(s string) string {
	switch {
	case functionName.MatchString(s), functionARN.MatchString(s):
		return ""
	case s == "":
		return "a function name must not be empty"
	case qualified.MatchString(s):
		return fmt.Sprintf("%q names a version or alias; attach changes the function itself ($LATEST): give %q, and use --alias to move an alias", s, s[:strings.LastIndex(s, ":")])
	case strings.HasPrefix(s, "arn:"):
		return fmt.Sprintf("%q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", s)
	}
	return fmt.Sprintf("%q is not a Lambda function name: 1 to 64 letters, digits, hyphens (-) or underscores (_)", s)
}

// CheckTag says why key=value cannot be a tag filter, or "" when it can.
func CheckTag(key, value string) string {
	switch {
	case key == "":
		return "a tag key must not be empty"
	case utf8.RuneCountInString(key) > 128:
		return fmt.Sprintf("tag key %q is longer than 128 characters", key)
	case utf8.RuneCountInString(value) > 256:
		return fmt.Sprintf("the value of tag %q is longer than 256 characters", key)
	}
	return ""
}

func (w *walker) attach(keys map[string]entry, field string) Attach {
	e, ok := keys["attach"]
	if !ok || isNull(e.value) {
		return Attach{}
	}
	field += ".attach"
	n := e.value
	a := Attach{Pos: w.at(e.key)}
	if n.Kind != yaml.MappingNode {
		w.fail(n, field, "must be a mapping with keys %s, e.g. {functions: [orders-api], tags: {team: payments}}, got %s", strings.Join(attachKeys, ", "), describe(n))
		return a
	}
	ks := byKey(w.entries(n, field, attachKeys))
	if f, ok := ks["functions"]; ok {
		items, _ := w.strList(f.value, field+".functions")
		for _, it := range items {
			switch msg := CheckFunction(it.s); {
			case msg != "":
				w.fail(it.node, it.field, "%s", msg)
			case slices.Contains(a.Functions, it.s):
				w.fail(it.node, it.field, "%q is listed twice", it.s)
			default:
				a.Functions = append(a.Functions, it.s)
			}
		}
	}
	if t, ok := ks["tags"]; ok && !isNull(t.value) {
		a.Tags = w.tags(t.value, field+".tags")
	}
	if len(n.Content) == 0 {
		w.fail(n, field, "names no function: add functions: [NAME...] or tags: {KEY: VALUE}, or leave attach out to move the functions already using the layer")
	}
	return a
}

func (w *walker) tags(n *yaml.Node, field string) map[string]string {
	if n.Kind != yaml.MappingNode {
		w.fail(n, field, "must be a mapping from tag key to value, e.g. {team: payments}, got %s", describe(n))
		return nil
	}
	out := map[string]string{}
	for _, e := range w.entries(n, field, nil) {
		f := field + "." + e.key.Value
		v, ok := w.str(e.value, f)
		if !ok {
			continue
		}
		if msg := CheckTag(e.key.Value, v); msg != "" {
			w.fail(e.key, f, "%s", msg)
			continue
		}
		out[e.key.Value] = v
	}
	if len(out) == 0 && len(n.Content) == 0 {
		w.fail(n, field, "must have at least one KEY: VALUE")
	}
	return out
}
