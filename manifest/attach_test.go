package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestAttachTargets(t *testing.T) {
	src := `version: 1
defaults:
  runtimes: [python3.12]
layers:
  none:
    files: [{from: a}]
  named:
    files: [{from: a}]
    attach:
      functions: [orders-api, "arn:aws:lambda:eu-west-1:123456789012:function:billing"]
      tags: {team: payments, env: ""}
`
	m, err := Parse("layerctl.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Attach{}
	for _, l := range m.Layers {
		got[l.Name] = l.Attach
	}
	want := map[string]Attach{
		"none": {},
		"named": {
			Functions: []string{"orders-api", "arn:aws:lambda:eu-west-1:123456789012:function:billing"},
			Tags:      map[string]string{"team": "payments", "env": ""},
		},
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(Attach{}, "Pos")); d != "" {
		t.Errorf("attach (-want +got):\n%s", d)
	}
	if !got["none"].IsZero() || got["named"].IsZero() {
		t.Errorf("IsZero: none %v, named %v", got["none"].IsZero(), got["named"].IsZero())
	}
	if p := got["named"].Pos; p.Line != 9 || p.Column != 5 {
		t.Errorf("Pos = %v, want line 9 column 5", p)
	}
}

func TestAttachProblems(t *testing.T) {
	tests := []struct {
		name, stanza, want string
	}{
		{"not a mapping", "attach: [orders-api]", "layers.a.attach: must be a mapping with keys functions, tags, e.g. {functions: [orders-api], tags: {team: payments}}, got a list"},
		{"unknown key", "attach: {function: [x]}", `layers.a.attach: unknown key "function"; valid keys: functions, tags (did you mean "functions"?)`},
		{"empty", "attach: {}", "layers.a.attach: names no function: add functions: [NAME...] or tags: {KEY: VALUE}"},
		{"functions a string", "attach: {functions: orders-api}", "layers.a.attach.functions: must be a list of strings, got a string; write [orders-api]"},
		{"bad name", "attach: {functions: [orders api]}", `layers.a.attach.functions[0]: "orders api" is not a Lambda function name: 1 to 64 letters`},
		{"alias", "attach: {functions: [orders-api:live]}", `layers.a.attach.functions[0]: "orders-api:live" names a version or alias; attach changes the function itself ($LATEST): give "orders-api", and use --alias to move an alias`},
		{"qualified ARN", "attach: {functions: [\"arn:aws:lambda:us-east-1:123456789012:function:f:3\"]}", `give "arn:aws:lambda:us-east-1:123456789012:function:f"`},
		{"layer ARN", "attach: {functions: [\"arn:aws:lambda:us-east-1:123456789012:layer:x:3\"]}", `is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)`},
		{"twice", "attach: {functions: [f, f]}", `layers.a.attach.functions[1]: "f" is listed twice`},
		{"tags a list", "attach: {tags: [team]}", "layers.a.attach.tags: must be a mapping from tag key to value, e.g. {team: payments}, got a list"},
		{"tag value a number", "attach: {tags: {tier: 1}}", `layers.a.attach.tags.tier: must be a string, got a number; quote it: "1"`},
		{"tag value missing", "attach: {tags: {tier: }}", `layers.a.attach.tags.tier: must be a string, got nothing`},
		{"no tags", "attach: {tags: {}}", "layers.a.attach.tags: must have at least one KEY: VALUE"},
		{"long tag key", "attach: {tags: {" + strings.Repeat("k", 129) + ": v}}", "is longer than 128 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "version: 1\nlayers:\n  a:\n    runtimes: [python3.12]\n    files: [{from: x}]\n    " + tc.stanza + "\n"
			_, err := Parse("layerctl.yaml", []byte(src))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want *Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "layerctl.yaml:6:") {
				t.Errorf("error %q is not positioned on line 6", err)
			}
		})
	}
}

func TestCheckFunction(t *testing.T) {
	for _, ok := range []string{"f", "orders-api_2", strings.Repeat("a", 64), "arn:aws:lambda:us-east-1:123456789012:function:f", "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
		"arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:f", "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f"} {
		if msg := CheckFunction(ok); msg != "" {
			t.Errorf("CheckFunction(%q) = %q, want ok", ok, msg)
		}
	}
	for _, bad := range []string{"", strings.Repeat("a", 65), "a b", "f:$LATEST", "arn:aws:lambda:us-east-1:1234:function:f"} {
		if msg := CheckFunction(bad); msg == "" {
			t.Errorf("CheckFunction(%q) = ok, want a problem", bad)
		}
	}
}
