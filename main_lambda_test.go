package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdLambda sets up and reads back, in the moto emulator, what the
// attach scripts need and layerctl does not make:
//
//	lambda create-function NAME [--runtime R] [--tag K=V]... [LAYER_ARN...]
//	lambda publish-layer NAME            (another team's layer; prints its ARN)
//	lambda layers NAME                   (prints the function's Layers, one a line)
//	lambda create-alias FUNCTION ALIAS   (publishes a version, points ALIAS at it)
//	lambda alias FUNCTION ALIAS          (prints the version ALIAS points to)
//	lambda versions LAYER [REGION]       (prints the layer's versions, one a line)
//	lambda set-layers FUNCTION [LAYER_ARN...]  (sets the function's Layers)
//	lambda share LAYER VERSION ACCOUNT   (lets ACCOUNT use that version)
//
// Before the subcommand, --account ID acts in that account (a role assumed
// there: moto answers in the account the role's ARN names) and --region R
// in that region (default us-east-1).
func cmdLambda(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: lambda [--account ID] [--region R] create-function|publish-layer|layers|create-alias|alias|versions ARGS...")
	}
	ctx := context.Background()
	var creds aws.CredentialsProvider = credentials.NewStaticCredentialsProvider("testing", "testing", "")
	url := ts.Getenv("MOTO_URL")
	home := "us-east-1"
	for len(args) >= 2 && strings.HasPrefix(args[0], "--") {
		switch args[0] {
		case "--account":
			sc := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds})
			creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sc, "arn:aws:iam::"+args[1]+":role/layerctl-e2e"))
		case "--region":
			home = args[1]
		default:
			ts.Fatalf("lambda: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	lc := lambda.New(lambda.Options{Region: home, BaseEndpoint: aws.String(url), Credentials: creds})
	switch args[0] {
	case "create-function":
		name, runtime, layers, tags := args[1], types.RuntimePython312, args[2:], map[string]string{}
		for len(layers) >= 2 && strings.HasPrefix(layers[0], "--") {
			switch layers[0] {
			case "--runtime":
				runtime = types.Runtime(layers[1])
			case "--tag":
				k, v, _ := strings.Cut(layers[1], "=")
				tags[k] = v
			default:
				ts.Fatalf("lambda create-function: unknown flag %s", layers[0])
			}
			layers = layers[2:]
		}
		role := scriptRole(ts, iam.New(iam.Options{Region: home, BaseEndpoint: aws.String(url), Credentials: creds}))
		var code bytes.Buffer
		zw := zip.NewWriter(&code)
		w, _ := zw.Create("app.py")
		w.Write([]byte("def handler(event, context):\n    return 'ok'\n"))
		zw.Close()
		_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(role),
			Runtime: runtime, Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: code.Bytes()}, Layers: layers, Tags: tags})
		ts.Check(err)
	case "publish-layer":
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.Create("python/other.py")
		w.Write([]byte("X = 1\n"))
		zw.Close()
		out, err := lc.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String(args[1]),
			Content: &types.LayerVersionContentInput{ZipFile: b.Bytes()}})
		ts.Check(err)
		fmt.Fprintln(ts.Stdout(), aws.ToString(out.LayerVersionArn))
	case "layers":
		out, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(args[1])})
		ts.Check(err)
		for _, l := range out.Layers {
			fmt.Fprintln(ts.Stdout(), aws.ToString(l.Arn))
		}
	case "create-alias", "alias":
		if len(args) != 3 {
			ts.Fatalf("usage: lambda %s FUNCTION ALIAS", args[0])
		}
		if args[0] == "alias" {
			out, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(args[1]), Name: aws.String(args[2])})
			ts.Check(err)
			fmt.Fprintln(ts.Stdout(), aws.ToString(out.FunctionVersion))
			return
		}
		v, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(args[1])})
		ts.Check(err)
		_, err = lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(args[1]), Name: aws.String(args[2]), FunctionVersion: v.Version})
		ts.Check(err)
	case "versions":
		region := home
		if len(args) == 3 {
			region = args[2]
		}
		rc := lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(url), Credentials: creds})
		out, err := rc.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String(args[1])})
		ts.Check(err)
		for _, v := range out.LayerVersions {
			fmt.Fprintln(ts.Stdout(), v.Version)
		}
	case "set-layers":
		_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(args[1]), Layers: args[2:]})
		ts.Check(err)
	case "share":
		if len(args) != 4 {
			ts.Fatalf("usage: lambda share LAYER VERSION ACCOUNT")
		}
		n, err := strconv.ParseInt(args[2], 10, 64)
		ts.Check(err)
		_, err = lc.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String(args[1]), VersionNumber: aws.Int64(n),
			StatementId: aws.String("share-" + args[3]), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String(args[3])})
		ts.Check(err)
	default:
		ts.Fatalf("lambda: unknown subcommand %q", args[0])
	}
}

// scriptRole is the IAM role moto wants a function to have.
func scriptRole(ts *testscript.TestScript, ic *iam.Client) string {
	ctx := context.Background()
	name := aws.String("layerctl-e2e")
	out, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name,
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		got, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
		ts.Check(err)
		return aws.ToString(got.Role.Arn)
	}
	ts.Check(err)
	return aws.ToString(out.Role.Arn)
}
