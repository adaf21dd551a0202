package cmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// Each command's --help shows the flags it reads, and not the global ones
// it ignores: --region, --profile and --endpoint-url only where AWS is
// called. -f and -o are everyone's.
func TestHelpShowsOnlyTheFlagsACommandUses(t *testing.T) {
	aws := []string{"--region", "--profile", "--endpoint-url"}
	for _, tc := range []struct {
		args    []string
		usesAWS bool
	}{
		{[]string{"build", "--help"}, false},
		{[]string{"inspect", "--help"}, false},
		{[]string{"verify", "--help"}, false},
		{[]string{"version", "--help"}, false},
		{[]string{"completion", "--help"}, false},
		{[]string{"completion", "bash", "--help"}, false},
		{[]string{"help", "build"}, false},
		{[]string{"publish", "--help"}, true},
		{[]string{"attach", "--help"}, true},
		{[]string{"--help"}, true}, // the root lists every global flag
	} {
		name := strings.Join(tc.args, " ")
		var out, errs bytes.Buffer
		f := &Factory{Out: &out, Err: &errs, Getenv: func(string) string { return "" }, Now: time.Now}
		if code := Execute(context.Background(), tc.args, f); code != ExitOK {
			t.Fatalf("%s: exit code %d: %s", name, code, errs.String())
		}
		help := out.String()
		for _, flag := range aws {
			if got := strings.Contains(help, flag+" "); got != tc.usesAWS {
				t.Errorf("%s: shows %s = %v, want %v:\n%s", name, flag, got, tc.usesAWS, help)
			}
		}
		for _, flag := range []string{"--manifest", "--output"} {
			if !strings.Contains(help, flag+" ") {
				t.Errorf("%s: does not show %s:\n%s", name, flag, help)
			}
		}
	}
	// Hiding them in one command's help leaves them in the others'.
	var out bytes.Buffer
	f := &Factory{Out: &out, Err: &out, Getenv: func(string) string { return "" }, Now: time.Now}
	Execute(context.Background(), []string{"publish", "--help"}, f)
	if !strings.Contains(out.String(), "AWS region, or several separated by commas (us-east-1,eu-west-1)") {
		t.Errorf("publish --help:\n%s", out.String())
	}
}
