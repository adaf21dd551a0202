package fakelambda

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/layerctl/layerctl/internal/testenv"
)

// The contract: the calls layerctl makes, run against moto and against
// the double through the real SDK client, give the same answer in every
// field layerctl reads (values where both should agree, kinds where they
// cannot: a RevisionId is any non-empty string) and the same error code
// where something is not found. Where moto is known not to behave as
// Lambda does (LAMBDA.md), the double follows Lambda and the difference is
// listed in motoDiffers with what the double must answer.
//
// Not covered, because moto does not model them: SnapStart (moto answers
// ApplyOn None whatever was asked), updates in progress, RevisionId checks,
// throttling, another account's layers. The double's behaviour there is
// from the API reference and is tested on its own (fakelambda_test.go).

// motoDiffers are the observations where moto is known to differ from
// Lambda, with the double's (Lambda's) value.
var motoDiffers = map[string]any{
	// moto never returns a RevisionId (LAMBDA.md); Lambda always does.
	"GetFunction fn-a: RevisionId":                  true,
	"UpdateFunctionConfiguration: RevisionId":       true,
	"GetFunction fn-a after the update: RevisionId": true,
	"GetFunction fn-b after the update: RevisionId": true,
	"PublishVersion: RevisionId":                    true,
	"GetFunction fn-a:1: RevisionId":                true,
	// moto applies an update at once; Lambda answers InProgress and ends
	// it later (API_UpdateFunctionConfiguration).
	"UpdateFunctionConfiguration: LastUpdateStatus": "InProgress",
	// moto adds a second statement with the same Sid; Lambda refuses it
	// (API_AddLayerVersionPermission: ResourceConflictException).
	"AddLayerVersionPermission again: error": "ResourceConflictException",
	// moto answers 404 ResourceNotFoundException; Lambda's code for a
	// deleted layer in an update is not documented (aws-facts.md §6: the
	// message is "Layer version ... does not exist."; the code is most
	// likely InvalidParameterValueException, unverified). attach checks
	// every layer before updating, so it reads neither.
	"UpdateFunctionConfiguration with a deleted layer: error": "InvalidParameterValueException",
}

// side is one Lambda the contract runs against.
type side struct {
	name string
	lc   *lambda.Client
	// function and alias set up what layerctl finds, not what it does:
	// moto through CreateFunction and CreateAlias, the double directly
	// (it serves only the calls layerctl makes).
	function func(t *testing.T, name string, code []byte, layers []string, tags map[string]string)
	alias    func(t *testing.T, function, alias, version string)
}

func motoSide(t *testing.T, url, region string) *side {
	ctx := context.Background()
	lc := testenv.LambdaAt(url, region)
	ic := iam.New(iam.Options{Region: region, BaseEndpoint: aws.String(url), Credentials: testenv.Creds})
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(testenv.UniqueName("contract-role")),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatalf("creating an IAM role in moto: %v", err)
	}
	return &side{name: "moto", lc: lc,
		function: func(t *testing.T, name string, code []byte, layers []string, tags map[string]string) {
			_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role.Role.Arn,
				Runtime: types.RuntimePython312, Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: code},
				Layers: layers, Tags: tags, Architectures: []types.Architecture{types.ArchitectureArm64}})
			if err != nil {
				t.Fatalf("moto: creating function %s: %v", name, err)
			}
		},
		alias: func(t *testing.T, function, alias, version string) {
			if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(function), Name: aws.String(alias), FunctionVersion: aws.String(version)}); err != nil {
				t.Fatalf("moto: creating alias: %v", err)
			}
		},
	}
}

func fakeSide(t *testing.T, region string) *side {
	s := Start(t)
	s.Region = region
	return &side{name: "double", lc: testenv.LambdaAt(s.URL, region),
		function: func(t *testing.T, name string, code []byte, layers []string, tags map[string]string) {
			s.PutFunction(Function{Name: name, Runtime: "python3.12", Architectures: []string{"arm64"}, Layers: layers, Tags: tags, CodeSize: int64(len(code))})
		},
		alias: func(t *testing.T, function, alias, version string) { s.PutAlias(function, alias, version) },
	}
}

func TestContractWithMoto(t *testing.T) {
	url := testenv.MotoURL(t)
	for _, region := range []string{"us-east-1", "eusc-de-east-1"} {
		t.Run(region, func(t *testing.T) {
			layer, fn := testenv.UniqueName("contract"), testenv.UniqueName("contract-fn")
			sides := []*side{motoSide(t, url, region), fakeSide(t, region)}
			seen := map[string]observations{}
			for _, s := range sides {
				seen[s.name] = runContract(t, s, layer, fn)
			}
			moto, double := seen["moto"], seen["double"]
			for key, want := range motoDiffers {
				if got, ok := double[key]; !ok || !cmp.Equal(got, want) {
					t.Errorf("double: %s = %v, want Lambda's %v", key, got, want)
				}
				delete(moto, key)
				delete(double, key)
			}
			if d := cmp.Diff(moto, double); d != "" {
				t.Errorf("the double answers otherwise than moto (-moto +double):\n%s", d)
			}
			if len(moto) < 30 {
				t.Errorf("only %d observations compared", len(moto))
			}
		})
	}
}

// observations are what layerctl reads of each answer, by step and field.
type observations map[string]any

func (o observations) add(step string, fields map[string]any) {
	for k, v := range fields {
		o[step+": "+k] = v
	}
}

// fail records the error code of a call expected to fail ("" if it did not).
func (o observations) fail(step string, err error) {
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	} else if err != nil {
		code = err.Error()
	}
	o[step+": error"] = code
}

// runContract makes layerctl's calls, in the order publish, attach and
// prune make them, and records what it reads.
func runContract(t *testing.T, s *side, layer, fn string) observations {
	ctx := context.Background()
	o := observations{}
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %s: %v", s.name, step, err)
		}
	}

	// publish: PublishLayerVersion, ListLayerVersions, GetLayerVersion,
	// GetLayerVersionPolicy, AddLayerVersionPermission, DeleteLayerVersion.
	for i, body := range []string{"one", "two"} {
		out, err := s.lc.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String(layer),
			Description: aws.String("v" + body + " layerctl-sha256:ab"), LicenseInfo: aws.String("MIT"),
			CompatibleRuntimes:      []types.Runtime{types.RuntimePython312, types.RuntimePython313},
			CompatibleArchitectures: []types.Architecture{types.ArchitectureArm64},
			Content:                 &types.LayerVersionContentInput{ZipFile: zipWith("python/m.py", body)}})
		must("PublishLayerVersion", err)
		o.add("PublishLayerVersion "+body, layerVersion(out.Version, out.LayerArn, out.LayerVersionArn, out.Description, out.CompatibleRuntimes, out.CompatibleArchitectures, out.Content.CodeSha256, out.Content.CodeSize))
		if out.Version != int64(i+1) {
			t.Errorf("%s: published version %d, want %d", s.name, out.Version, i+1)
		}
	}
	listed := func(step string) {
		var got []map[string]any
		pages := lambda.NewListLayerVersionsPaginator(s.lc, &lambda.ListLayerVersionsInput{LayerName: aws.String(layer)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			must(step, err)
			for _, v := range page.LayerVersions {
				got = append(got, map[string]any{"Version": v.Version, "LayerVersionArn": aws.ToString(v.LayerVersionArn),
					"Description": aws.ToString(v.Description), "CompatibleRuntimes": fmtSlice(v.CompatibleRuntimes)})
			}
		}
		// Lambda documents no order: layerctl does not rely on one.
		slices.SortFunc(got, func(a, b map[string]any) int { return int(a["Version"].(int64) - b["Version"].(int64)) })
		o[step] = got
	}
	listed("ListLayerVersions")
	gv, err := s.lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(1)})
	must("GetLayerVersion", err)
	o.add("GetLayerVersion 1", layerVersion(gv.Version, gv.LayerArn, gv.LayerVersionArn, gv.Description, gv.CompatibleRuntimes, gv.CompatibleArchitectures, gv.Content.CodeSha256, gv.Content.CodeSize))
	layerARN := aws.ToString(gv.LayerArn)
	// attach reads other layers by ARN (never GetLayerVersionByArn: moto
	// answers it wrongly).
	gv, err = s.lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layerARN), VersionNumber: aws.Int64(2)})
	must("GetLayerVersion by ARN", err)
	o.add("GetLayerVersion by ARN 2", layerVersion(gv.Version, gv.LayerArn, gv.LayerVersionArn, gv.Description, gv.CompatibleRuntimes, gv.CompatibleArchitectures, gv.Content.CodeSha256, gv.Content.CodeSize))
	_, err = s.lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(9)})
	o.fail("GetLayerVersion of a version never published", err)
	_, err = s.lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layer + "-none"), VersionNumber: aws.Int64(1)})
	o.fail("GetLayerVersion of a layer never published", err)
	_, err = s.lc.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(2)})
	o.fail("GetLayerVersionPolicy without a policy", err)
	perm := &lambda.AddLayerVersionPermissionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(2),
		StatementId: aws.String("layerctl-all"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")}
	ap, err := s.lc.AddLayerVersionPermission(ctx, perm)
	must("AddLayerVersionPermission", err)
	o.add("AddLayerVersionPermission", map[string]any{"Statement": statement(t, aws.ToString(ap.Statement)), "RevisionId": aws.ToString(ap.RevisionId) != ""})
	pol, err := s.lc.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(2)})
	must("GetLayerVersionPolicy", err)
	var doc struct{ Statement []json.RawMessage }
	must("GetLayerVersionPolicy: the policy", json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc))
	var stmts []any
	for _, st := range doc.Statement {
		stmts = append(stmts, statement(t, string(st)))
	}
	o.add("GetLayerVersionPolicy", map[string]any{"Statement": stmts})
	_, err = s.lc.AddLayerVersionPermission(ctx, perm)
	o.fail("AddLayerVersionPermission again", err)
	_, err = s.lc.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(1)})
	o.fail("DeleteLayerVersion", err)
	_, err = s.lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(layerARN), VersionNumber: aws.Int64(1)})
	o.fail("GetLayerVersion of a deleted version", err)
	_, err = s.lc.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(layer), VersionNumber: aws.Int64(1)})
	o.fail("DeleteLayerVersion again", err)
	listed("ListLayerVersions after the delete")

	// attach: ListFunctions, GetFunction, UpdateFunctionConfiguration,
	// PublishVersion, GetAlias, UpdateAlias.
	v1, v2 := layerARN+":1", layerARN+":2"
	code := zipWith("app.py", "def handler(event, context):\n    return 1\n")
	s.function(t, fn+"-a", code, []string{v2}, map[string]string{"team": "payments"})
	s.function(t, fn+"-b", code, nil, nil)
	lf, err := s.lc.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	must("ListFunctions", err)
	for _, f := range lf.Functions {
		if name := aws.ToString(f.FunctionName); name == fn+"-a" || name == fn+"-b" {
			o.add("ListFunctions "+name[len(fn):], listedFunction(&f, true))
		}
	}
	gf, err := s.lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn + "-a")})
	must("GetFunction", err)
	o.add("GetFunction fn-a", readFunction(gf.Configuration))
	o.add("GetFunction fn-a", map[string]any{"Tags": gf.Tags})
	_, err = s.lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn + "-none")})
	o.fail("GetFunction of no function", err)
	up, err := s.lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn + "-b"), Layers: []string{v2}})
	must("UpdateFunctionConfiguration", err)
	o.add("UpdateFunctionConfiguration", readFunction(&types.FunctionConfiguration{FunctionName: up.FunctionName, FunctionArn: up.FunctionArn,
		Runtime: up.Runtime, PackageType: up.PackageType, Architectures: up.Architectures, Layers: up.Layers, CodeSize: up.CodeSize,
		CodeSha256: up.CodeSha256, RevisionId: up.RevisionId, LastUpdateStatus: up.LastUpdateStatus, State: up.State, Version: up.Version, SnapStart: up.SnapStart}))
	waiter := lambda.NewFunctionUpdatedV2Waiter(s.lc, func(o *lambda.FunctionUpdatedV2WaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	done, err := waiter.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn + "-b")}, 10*time.Second)
	must("FunctionUpdatedV2 waiter", err)
	o.add("GetFunction fn-b after the update", readFunction(done.Configuration))
	_, err = s.lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn + "-b"), Layers: []string{v1}})
	o.fail("UpdateFunctionConfiguration with a deleted layer", err)
	gf, err = s.lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn + "-a")})
	must("GetFunction", err)
	o.add("GetFunction fn-a after the update", readFunction(gf.Configuration))

	pv, err := s.lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn + "-a"), CodeSha256: gf.Configuration.CodeSha256, RevisionId: gf.Configuration.RevisionId})
	must("PublishVersion", err)
	o.add("PublishVersion", readFunction(&types.FunctionConfiguration{FunctionName: pv.FunctionName, FunctionArn: pv.FunctionArn,
		Runtime: pv.Runtime, PackageType: pv.PackageType, Architectures: pv.Architectures, Layers: pv.Layers, CodeSize: pv.CodeSize,
		CodeSha256: pv.CodeSha256, RevisionId: pv.RevisionId, LastUpdateStatus: pv.LastUpdateStatus, State: pv.State, Version: pv.Version, SnapStart: pv.SnapStart}))
	gf, err = s.lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn + "-a"), Qualifier: pv.Version})
	must("GetFunction with a Qualifier", err)
	o.add("GetFunction fn-a:1", readFunction(gf.Configuration))
	_, err = s.lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn + "-a"), Qualifier: aws.String("7")})
	o.fail("GetFunction of no version", err)

	s.alias(t, fn+"-a", "live", "$LATEST")
	ga, err := s.lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn + "-a"), Name: aws.String("live")})
	must("GetAlias", err)
	o.add("GetAlias", readAlias(ga.Name, ga.FunctionVersion, ga.AliasArn, ga.RevisionId))
	_, err = s.lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn + "-a"), Name: aws.String("none")})
	o.fail("GetAlias of no alias", err)
	ua, err := s.lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn + "-a"), Name: aws.String("live"), FunctionVersion: pv.Version, RevisionId: ga.RevisionId})
	must("UpdateAlias", err)
	o.add("UpdateAlias", readAlias(ua.Name, ua.FunctionVersion, ua.AliasArn, ua.RevisionId))

	// prune and status: every version of every function.
	var all []map[string]any
	pages := lambda.NewListFunctionsPaginator(s.lc, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		must("ListFunctions ALL", err)
		for _, f := range page.Functions {
			if aws.ToString(f.FunctionName) == fn+"-a" {
				// FunctionArn is left out: moto gives $LATEST's a
				// ":$LATEST" suffix here, and whether Lambda does is not
				// documented.
				all = append(all, listedFunction(&f, false))
			}
		}
	}
	o["ListFunctions FunctionVersion=ALL fn-a"] = all
	return o
}

func layerVersion(version int64, layerARN, arn, desc *string, runtimes []types.Runtime, archs []types.Architecture, sha *string, size int64) map[string]any {
	return map[string]any{"Version": version, "LayerArn": aws.ToString(layerARN), "LayerVersionArn": aws.ToString(arn),
		"Description": aws.ToString(desc), "CompatibleRuntimes": fmtSlice(runtimes), "CompatibleArchitectures": fmtSlice(archs),
		"CodeSha256": aws.ToString(sha), "CodeSize": size}
}

// readFunction is what attach reads of a function's configuration: values,
// and kinds where the two cannot agree (the double's CodeSha256 is of the
// function's name, moto's of the ZIP).
func readFunction(c *types.FunctionConfiguration) map[string]any {
	out := map[string]any{"FunctionName": aws.ToString(c.FunctionName), "FunctionArn": aws.ToString(c.FunctionArn),
		"Runtime": string(c.Runtime), "PackageType": string(c.PackageType), "Architectures": fmtSlice(c.Architectures),
		"Layers": layers(c.Layers), "CodeSize": c.CodeSize, "CodeSha256": isSHA256(aws.ToString(c.CodeSha256)),
		"RevisionId": aws.ToString(c.RevisionId) != "", "LastUpdateStatus": string(c.LastUpdateStatus), "State": string(c.State),
		"Version": aws.ToString(c.Version)}
	if c.SnapStart != nil {
		out["SnapStart"] = string(c.SnapStart.ApplyOn)
	}
	return out
}

func listedFunction(f *types.FunctionConfiguration, arn bool) map[string]any {
	out := map[string]any{"FunctionName": aws.ToString(f.FunctionName), "Version": aws.ToString(f.Version),
		"Layers": layers(f.Layers), "Runtime": string(f.Runtime), "Architectures": fmtSlice(f.Architectures), "CodeSize": f.CodeSize}
	if arn {
		out["FunctionArn"] = aws.ToString(f.FunctionArn)
	}
	return out
}

func readAlias(name, version, arn, revision *string) map[string]any {
	return map[string]any{"Name": aws.ToString(name), "FunctionVersion": aws.ToString(version), "AliasArn": aws.ToString(arn), "RevisionId": aws.ToString(revision) != ""}
}

func layers(ls []types.Layer) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, aws.ToString(l.Arn))
	}
	return out
}

func isSHA256(b64 string) bool {
	b, err := base64.StdEncoding.DecodeString(b64)
	return err == nil && len(b) == sha256.Size
}

func fmtSlice[T ~string](s []T) []string {
	out := []string{}
	for _, v := range s {
		out = append(out, string(v))
	}
	return out
}

// statement is a policy statement as publish reads it.
func statement(t *testing.T, doc string) map[string]any {
	var st map[string]any
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		t.Fatalf("statement %q: %v", doc, err)
	}
	return st
}

func zipWith(name, body string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create(name)
	w.Write([]byte(body))
	zw.Close()
	return b.Bytes()
}
