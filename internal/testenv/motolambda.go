package testenv

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// MotoLambda sets up, in moto, what layerctl reads and does not make:
// functions (moto wants an IAM role for them), their published versions
// and aliases, layer versions of any content, and their shares.
type MotoLambda struct {
	t    testing.TB
	LC   *lambda.Client
	role string
}

// NewMotoLambda is a MotoLambda for region of the moto at url, with a role
// of its own.
func NewMotoLambda(t testing.TB, url, region string) *MotoLambda {
	t.Helper()
	return newMotoLambda(t, url, region, Creds)
}

// NewMotoLambdaIn is a MotoLambda for account and region of the moto at
// url (a role assumed there: see AccountCreds).
func NewMotoLambdaIn(t testing.TB, url, account, region string) *MotoLambda {
	t.Helper()
	m := newMotoLambda(t, url, region, AccountCreds(url, account))
	m.LC = LambdaIn(url, account, region)
	return m
}

func newMotoLambda(t testing.TB, url, region string, creds aws.CredentialsProvider) *MotoLambda {
	t.Helper()
	ic := iam.New(iam.Options{Region: region, BaseEndpoint: aws.String(url), Credentials: creds})
	out, err := ic.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(UniqueName("role")),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatalf("creating an IAM role in moto: %v", err)
	}
	return &MotoLambda{t: t, LC: LambdaAt(url, region), role: aws.ToString(out.Role.Arn)}
}

// CreateFunction creates a python3.12 function using layers, in order,
// with OWNER=name in its environment: a setting a test can see kept.
func (m *MotoLambda) CreateFunction(name string, layers ...string) {
	m.t.Helper()
	var code bytes.Buffer
	zw := zip.NewWriter(&code)
	w, _ := zw.Create("app.py")
	w.Write([]byte("def handler(event, context):\n    return 'ok'\n"))
	zw.Close()
	_, err := m.LC.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(m.role), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Code: &types.FunctionCode{ZipFile: code.Bytes()}, Layers: layers,
		Environment: &types.Environment{Variables: map[string]string{"OWNER": name}},
	})
	if err != nil {
		m.t.Fatalf("creating function %s: %v", name, err)
	}
}

// SetLayers sets a function's Layers.
func (m *MotoLambda) SetLayers(name string, layers ...string) {
	m.t.Helper()
	_, err := m.LC.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Layers: layers})
	if err != nil {
		m.t.Fatalf("updating %s: %v", name, err)
	}
}

// PublishVersion publishes the function's configuration as a version and
// returns its number.
func (m *MotoLambda) PublishVersion(name string) string {
	m.t.Helper()
	out, err := m.LC.PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil {
		m.t.Fatalf("publishing a version of %s: %v", name, err)
	}
	return aws.ToString(out.Version)
}

// CreateAlias points alias at version, routing weights of the calls to
// other versions when given.
func (m *MotoLambda) CreateAlias(name, alias, version string, weights map[string]float64) {
	m.t.Helper()
	in := &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String(alias), FunctionVersion: aws.String(version)}
	if len(weights) > 0 {
		in.RoutingConfig = &types.AliasRoutingConfiguration{AdditionalVersionWeights: weights}
	}
	if _, err := m.LC.CreateAlias(context.Background(), in); err != nil {
		m.t.Fatalf("creating alias %s of %s: %v", alias, name, err)
	}
}

// PublishLayer publishes a version of layer holding python/<layer>.py with
// body, and returns its ARN.
func (m *MotoLambda) PublishLayer(layer, body string) string {
	m.t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create(fmt.Sprintf("python/%s.py", layer))
	w.Write([]byte(body))
	zw.Close()
	out, err := m.LC.PublishLayerVersion(context.Background(), &lambda.PublishLayerVersionInput{LayerName: aws.String(layer),
		Content: &types.LayerVersionContentInput{ZipFile: b.Bytes()}, CompatibleRuntimes: []types.Runtime{types.RuntimePython312}})
	if err != nil {
		m.t.Fatalf("publishing a version of %s: %v", layer, err)
	}
	return aws.ToString(out.LayerVersionArn)
}

// Share lets account use version n of layer.
func (m *MotoLambda) Share(layer string, n int64, account string) {
	m.t.Helper()
	_, err := m.LC.AddLayerVersionPermission(context.Background(), &lambda.AddLayerVersionPermissionInput{LayerName: aws.String(layer),
		VersionNumber: aws.Int64(n), StatementId: aws.String("share-" + account), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String(account)})
	if err != nil {
		m.t.Fatalf("sharing %s:%d: %v", layer, n, err)
	}
}
