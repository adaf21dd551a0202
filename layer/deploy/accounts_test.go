package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/attach"
	"github.com/layerctl/layerctl/layer/publish"
	"github.com/layerctl/layerctl/layer/units"
	"github.com/layerctl/layerctl/manifest"
)

// Against moto, in two accounts and a third whose role cannot be assumed:
// deploy publishes and attaches in each account it can work in; the third
// is not attached, said so with its account; a shard deploys its units
// only.
func TestDeployAcrossAccounts(t *testing.T) {
	url := testenv.MotoURL(t)
	name := testenv.UniqueName("org-deploy")
	fn := testenv.UniqueName("org-fn")
	accounts := []manifest.Account{
		{ID: "260000000001", Role: "arn:aws:iam::260000000001:role/layerctl"},
		{ID: "260000000002", Role: "arn:aws:iam::260000000002:role/layerctl"},
		{ID: "260000000003", Role: "arn:aws:iam::260000000003:role/layerctl"},
	}
	for _, a := range accounts[:2] {
		testenv.NewMotoLambdaIn(t, url, a.ID, "us-east-1").CreateFunction(fn)
	}
	e := newDeployEnv(t, url, name, fn)
	e.m.Layers[0].Accounts = accounts
	opts := e.options(false)
	denied := func(_ context.Context, a manifest.Account) error {
		if a.ID == accounts[2].ID {
			return fmt.Errorf("assuming role %s: AccessDenied: not authorized", a.Role)
		}
		return nil
	}
	opts.Publish.Clients = func(context.Context) (*publish.Clients, error) {
		return &publish.Clients{Region: "us-east-1", Account: func(ctx context.Context, a manifest.Account) (*publish.Clients, error) {
			if err := denied(ctx, a); err != nil {
				return nil, err
			}
			return &publish.Clients{Lambda: func(r string) publish.LambdaAPI { return testenv.LambdaIn(url, a.ID, r) },
				S3: func(r string) publish.S3API { return testenv.S3In(url, a.ID, r) }, ID: a.ID}, nil
		}}, nil
	}
	opts.Attach.Clients = func(context.Context) (*attach.Clients, error) {
		return &attach.Clients{Region: "us-east-1", Account: func(ctx context.Context, a manifest.Account) (*attach.Clients, error) {
			if err := denied(ctx, a); err != nil {
				return nil, err
			}
			return &attach.Clients{Lambda: func(r string) attach.API { return testenv.LambdaIn(url, a.ID, r) }, ID: a.ID}, nil
		}}, nil
	}
	r, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.PublishErr != nil || r.AttachErr != nil {
		t.Fatalf("publish: %v; attach: %v", r.PublishErr, r.AttachErr)
	}
	var published []string
	for _, res := range r.Publish.Results {
		published = append(published, fmt.Sprintf("%s %s", res.Account, res.Status))
	}
	if got := strings.Join(published, ", "); got != "260000000001 published, 260000000002 published, 260000000003 failed" {
		t.Errorf("published: %s", got)
	}
	if len(r.NotAttached) != 1 || r.NotAttached[0].Account != accounts[2].ID || !strings.Contains(r.NotAttached[0].Reason, "publishing it to us-east-1 failed") {
		t.Errorf("not attached: %+v", r.NotAttached)
	}
	if len(r.Attach.Functions) != 2 {
		t.Fatalf("attached: %+v", r.Attach.Functions)
	}
	for i, f := range r.Attach.Functions {
		if f.Account != accounts[i].ID || f.Status != layer.StatusAttached || f.Function != fn {
			t.Errorf("function %d: %+v", i, f)
		}
		cfg, err := testenv.LambdaIn(url, f.Account, "us-east-1").GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil || len(cfg.Layers) != 1 || !strings.Contains(aws.ToString(cfg.Layers[0].Arn), ":"+f.Account+":layer:"+name+":1") {
			t.Errorf("%s in %s: %+v, %v", fn, f.Account, cfg.Layers, err)
		}
	}

	// Shard 1 of 3 is the first account's unit: nothing else is touched.
	opts.Shard = units.Shard{Index: 1, Count: 3}
	r, err = Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Publish.Results) != 1 || r.Publish.Results[0].Account != accounts[0].ID || len(r.Attach.Functions) != 1 || r.Attach.Functions[0].Status != layer.StatusUnchanged {
		t.Errorf("shard 1/3: publish %+v, attach %+v", r.Publish.Results, r.Attach.Functions)
	}
}
