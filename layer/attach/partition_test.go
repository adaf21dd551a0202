package attach

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/versions"
	"github.com/layerctl/layerctl/manifest"
)

// Every ARN attach splits parses in every partition.
func TestARNsOfEveryPartition(t *testing.T) {
	for _, tc := range []struct{ arn, name, region string }{
		{"arn:aws:lambda:us-east-1:123456789012:function:orders", "orders", "us-east-1"},
		{"arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders", "orders", "eusc-de-east-1"},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:orders", "orders", "cn-north-1"},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:orders", "orders", "us-gov-west-1"},
		{"orders", "orders", ""},
		{"arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders:live", "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:orders:live", ""},
	} {
		if name, region := splitFunctionARN(tc.arn); name != tc.name || region != tc.region {
			t.Errorf("splitFunctionARN(%q) = %q, %q; want %q, %q", tc.arn, name, region, tc.name, tc.region)
		}
	}
	for _, tc := range []struct {
		arn, layer string
		n          int64
		ok         bool
	}{
		{"arn:aws:lambda:us-east-1:123456789012:layer:team-a:3", "arn:aws:lambda:us-east-1:123456789012:layer:team-a", 3, true},
		{"arn:aws-eusc:lambda:eusc-de-east-1:123456789012:layer:team-a:12", "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:layer:team-a", 12, true},
		{"arn:aws-iso-b:lambda:us-isob-east-1:123456789012:layer:x_y:1", "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:layer:x_y", 1, true},
		{"arn:aws:lambda:us-east-1:123456789012:layer:team-a", "", 0, false},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:3", "", 0, false},
		{"arn:aws:lambda:us-east-1:123456789012:layer:team-a:0", "", 0, false},
		{"team-a:3", "", 0, false},
	} {
		if layer, n, ok := splitLayerVersionARN(tc.arn); layer != tc.layer || n != tc.n || ok != tc.ok {
			t.Errorf("splitLayerVersionARN(%q) = %q, %d, %v", tc.arn, layer, n, ok)
		}
	}
}

// In the European Sovereign Cloud (eusc-de-east-1, partition aws-eusc):
// a function named by its ARN, one found by its use of the layer, their
// other layer read by its arn:aws-eusc ARN; a function ARN of another
// partition's region is refused, not looked for here.
func TestAttachInTheEuropeanSovereignCloud(t *testing.T) {
	ctx := context.Background()
	const region = "eusc-de-east-1"
	fake := fakelambda.Start(t)
	fake.Region, fake.UpdateDuration = region, 10*time.Millisecond
	v1 := fake.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	v2 := fake.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	other := fake.AddLayerVersion("team-a", nil, nil, 100)
	if want := "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:layer:shared:2"; v2 != want {
		t.Fatalf("the double's ARN %s, want %s", v2, want)
	}
	fake.PutFunction(fakelambda.Function{Name: "named", Runtime: "python3.12", Layers: []string{other}})
	fake.PutFunction(fakelambda.Function{Name: "user", Runtime: "python3.12", Layers: []string{v1, other}})
	lc := testenv.LambdaAt(fake.URL, region)
	v, err := versions.Get(ctx, lc, "shared", 2)
	if err != nil {
		t.Fatal(err)
	}
	lock := &manifest.LockLayer{CodeSHA256: v.CodeSHA256, Regions: map[string]*manifest.LockRegion{region: {ARN: v2, Version: 2}}}
	opts := Options{Lambda: func(string) API { return lc }, PollInterval: 5 * time.Millisecond}
	tg := Target{Layer: testenv.PyLayer("shared"), Regions: []string{region}, Lock: lock}

	r, err := Attach(ctx, []Target{tg}, opts) // the functions using the layer
	if err != nil {
		t.Fatal(err)
	}
	tg.Functions = []string{"arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:named", "arn:aws:lambda:eu-central-1:123456789012:function:named"}
	r2, err := Attach(ctx, []Target{tg}, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range append(r.Functions, r2.Functions...) {
		got[f.Region+" "+f.Function] += string(f.Status)
		if f.Err != nil {
			got[f.Region+" "+f.Function] += ": " + f.Err.Error()
		}
		got[f.Region+" "+f.Function] += "; "
	}
	want := map[string]string{
		"eusc-de-east-1 user":  "attached; ",
		"eusc-de-east-1 named": "attached; ",
		"eu-central-1 named":   "refused: it is in eu-central-1, where layer shared is not attached (its regions: eusc-de-east-1); add the region or pass --region; ",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if l := fake.FunctionState("named").Layers; !cmp.Equal(l, []string{other, v2}) {
		t.Errorf("named: %v", l)
	}
	if l := fake.FunctionState("user").Layers; !cmp.Equal(l, []string{v2, other}) {
		t.Errorf("user: %v", l)
	}
}
