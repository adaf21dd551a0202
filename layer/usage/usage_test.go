package usage

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
)

// Every configuration using the layer: $LATEST and published versions,
// with the aliases pointing at each, over pages; not another account's
// layer of the same name, not another layer; aliases are read only for the
// functions that use the layer.
func TestFindUsers(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	fake.PageSize = 2
	v1 := fake.AddLayerVersion("shared", nil, nil, 100)
	v2 := fake.AddLayerVersion("shared", nil, nil, 100)
	other := fake.AddLayerVersion("other", nil, nil, 100)
	foreign := "arn:aws:lambda:us-east-1:999999999999:layer:shared:7"

	fake.PutFunction(fakelambda.Function{Name: "api", Runtime: "python3.12", Layers: []string{other, v1}})
	fake.PublishFunctionVersion("api")      // api:1 on v1
	fake.SetLayers("api", v2)               // $LATEST on v2
	fake.PutAlias("api", "live", "1")       // live -> 1
	fake.PutAlias("api", "next", "$LATEST") // next -> $LATEST
	fake.PutFunction(fakelambda.Function{Name: "batch", Runtime: "python3.12", Layers: []string{v2}})
	fake.PutFunction(fakelambda.Function{Name: "bystander", Runtime: "python3.12", Layers: []string{other}})
	fake.PutAlias("bystander", "live", "$LATEST")
	fake.PutFunction(fakelambda.Function{Name: "foreigner", Runtime: "python3.12", Layers: []string{foreign}})

	got, err := Find(context.Background(), testenv.LambdaAt(fake.URL, "us-east-1"), []string{"shared"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Config{
		{Function: "api", Qualifier: "$LATEST", Aliases: []string{"next"}, Layer: "shared", Version: 2, ARN: v2},
		{Function: "api", Qualifier: "1", Aliases: []string{"live"}, Layer: "shared", Version: 1, ARN: v1},
		{Function: "batch", Qualifier: "$LATEST", Layer: "shared", Version: 2, ARN: v2},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("users (-want +got):\n%s", d)
	}
	if n := fake.Calls("ListAliases"); n != 2 {
		t.Errorf("ListAliases called %d times, want 2 (api and batch only)", n)
	}
	if n := fake.Calls("ListFunctions"); n != 3 {
		t.Errorf("ListFunctions called %d times for 6 configurations in pages of 2, want 3", n)
	}
	if got[1].Label() != "api:1 (live)" || got[2].Label() != "batch" {
		t.Errorf("labels %q %q", got[1].Label(), got[2].Label())
	}
}

// A listing that fails is an error, never an empty answer: prune must not
// take "could not see" for "unused".
func TestFindFailsLoudly(t *testing.T) {
	fake := fakelambda.New()
	defer fake.Close()
	fake.Inject("ListFunctions", fakelambda.Fault{Status: 403, Code: "AccessDeniedException", Message: "no"})
	_, err := Find(context.Background(), testenv.LambdaAt(fake.URL, "us-east-1"), []string{"shared"})
	if err == nil {
		t.Fatal("a denied listing found no users")
	}
}

// Against moto: ListFunctions with FunctionVersion=ALL and ListAliases as
// the SDK reads them; a weighted alias counts for both versions it routes
// calls to.
func TestFindUsersAgainstMoto(t *testing.T) {
	m := testenv.NewMotoLambda(t, testenv.MotoURL(t), "us-east-1")
	layer := testenv.UniqueName("usage")
	v1, v2 := m.PublishLayer(layer, "V = 1\n"), m.PublishLayer(layer, "V = 2\n")
	fn := testenv.UniqueName("usage-fn")
	m.CreateFunction(fn, v1)
	m.PublishVersion(fn) // 1 on v1
	m.SetLayers(fn, v2)
	m.PublishVersion(fn) // 2 on v2
	m.CreateAlias(fn, "live", "2", map[string]float64{"1": 0.1})

	got, err := Find(context.Background(), m.LC, []string{layer})
	if err != nil {
		t.Fatal(err)
	}
	want := []Config{
		{Function: fn, Qualifier: "$LATEST", Layer: layer, Version: 2, ARN: v2},
		{Function: fn, Qualifier: "1", Aliases: []string{"live"}, Layer: layer, Version: 1, ARN: v1},
		{Function: fn, Qualifier: "2", Aliases: []string{"live"}, Layer: layer, Version: 2, ARN: v2},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("users (-want +got):\n%s", d)
	}
}
