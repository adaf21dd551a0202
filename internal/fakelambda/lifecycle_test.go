package fakelambda

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/awsretry"
)

// With FunctionVersion=ALL, ListFunctions lists each function's $LATEST
// and every published version with the Layers it was published with, in
// pages like the rest; without it, $LATEST only.
func TestListFunctionsAllVersions(t *testing.T) {
	s, lc := newServer(t)
	s.PageSize = 2
	v1 := s.AddLayerVersion("shared", nil, nil, 100)
	v2 := s.AddLayerVersion("shared", nil, nil, 100)
	s.PutFunction(Function{Name: "a", Runtime: "python3.12", Layers: []string{v1}})
	s.PublishFunctionVersion("a")
	s.SetLayers("a", v2)
	s.PublishFunctionVersion("a")
	s.PutFunction(Function{Name: "b", Runtime: "python3.12"})

	list := func(in *lambda.ListFunctionsInput) []string {
		var got []string
		p := lambda.NewListFunctionsPaginator(lc, in)
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range page.Functions {
				var ls []string
				for _, l := range f.Layers {
					ls = append(ls, aws.ToString(l.Arn)[len(aws.ToString(l.Arn))-1:])
				}
				got = append(got, aws.ToString(f.FunctionName)+":"+aws.ToString(f.Version)+"="+strings.Join(ls, ","))
			}
		}
		return got
	}
	want := []string{"a:$LATEST=2", "a:1=1", "a:2=2", "b:$LATEST="}
	if got := list(&lambda.ListFunctionsInput{FunctionVersion: "ALL"}); !slices.Equal(got, want) {
		t.Errorf("ALL: %v, want %v", got, want)
	}
	if s.Calls("ListFunctions") != 2 {
		t.Errorf("4 configurations in %d pages of 2", s.Calls("ListFunctions"))
	}
	if got := list(&lambda.ListFunctionsInput{}); !slices.Equal(got, []string{"a:$LATEST=2", "b:$LATEST="}) {
		t.Errorf("$LATEST only: %v", got)
	}
}

// ListAliases lists a function's aliases, those pointing at one version
// when FunctionVersion says, paged; an unknown function is not found.
func TestListAliases(t *testing.T) {
	s, lc := newServer(t)
	s.PageSize = 1
	s.PutFunction(Function{Name: "fn", Runtime: "python3.12"})
	s.PublishFunctionVersion("fn")
	s.PutAlias("fn", "live", "1")
	s.PutAlias("fn", "canary", "$LATEST")
	s.PutAlias("fn", "old", "1")
	var got []string
	p := lambda.NewListAliasesPaginator(lc, &lambda.ListAliasesInput{FunctionName: aws.String("fn")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Aliases {
			got = append(got, aws.ToString(a.Name)+"="+aws.ToString(a.FunctionVersion))
		}
	}
	if want := []string{"canary=$LATEST", "live=1", "old=1"}; !slices.Equal(got, want) || s.Calls("ListAliases") != 3 {
		t.Errorf("aliases %v in %d calls, want %v in 3", got, s.Calls("ListAliases"), want)
	}
	one, err := lc.ListAliases(context.Background(), &lambda.ListAliasesInput{FunctionName: aws.String("fn"), FunctionVersion: aws.String("1"), MaxItems: aws.Int32(50)})
	if err != nil || len(one.Aliases) != 1 || aws.ToString(one.Aliases[0].Name) != "live" || aws.ToString(one.NextMarker) != "1" {
		t.Errorf("FunctionVersion=1: %+v %v", one, err)
	}
	_, err = lc.ListAliases(context.Background(), &lambda.ListAliasesInput{FunctionName: aws.String("nope")})
	if !awsretry.IsNotFound(err) {
		t.Errorf("an unknown function: %v", err)
	}
}

// GetAccountSettings answers 404 unless settings were given, as moto
// does; given, it reports them.
func TestGetAccountSettings(t *testing.T) {
	s, lc := newServer(t)
	ctx := context.Background()
	if _, err := lc.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{}); err == nil {
		t.Fatal("no settings: answered")
	}
	s.SetAccountSettings(&AccountSettings{TotalCodeSizeUsed: 70 << 30, TotalCodeSizeLimit: 75 << 30, FunctionCount: 3})
	out, err := lc.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.AccountUsage.TotalCodeSize != 70<<30 || out.AccountLimit.TotalCodeSize != 75<<30 || out.AccountUsage.FunctionCount != 3 {
		t.Errorf("settings %+v %+v", out.AccountUsage, out.AccountLimit)
	}
}

// OnCall acts when the nth call of an operation arrives, before it is
// answered: the call sees the change.
func TestOnCallActsBeforeTheCall(t *testing.T) {
	s, lc := newServer(t)
	v1 := s.AddLayerVersion("shared", nil, nil, 100)
	s.PutFunction(Function{Name: "fn", Runtime: "python3.12"})
	s.OnCall("ListFunctions", 2, func() { s.SetLayers("fn", v1) })
	count := func() int {
		out, err := lc.ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Functions[0].Layers)
	}
	if a, b, c := count(), count(), count(); a != 0 || b != 1 || c != 1 {
		t.Errorf("layers seen by calls 1, 2, 3: %d %d %d; want 0 1 1", a, b, c)
	}
}
