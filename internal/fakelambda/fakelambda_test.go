package fakelambda

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// The double is asserted through the real SDK client, over HTTP: what the
// code under test would see.

func client(s *Server) *lambda.Client {
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""), RetryMaxAttempts: 1})
}

func newServer(t *testing.T) (*Server, *lambda.Client) {
	s := New()
	t.Cleanup(s.Close)
	return s, client(s)
}

func zipOf(t *testing.T, body string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("python/m.py")
	w.Write([]byte(body))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Published versions number from 1, carry CodeSha256 of the bytes, and
// are listed newest first in pages of PageSize, marker after marker.
func TestLayerVersionsArePagedNewestFirst(t *testing.T) {
	s, lc := newServer(t)
	s.PageSize = 2
	ctx := context.Background()
	for i := range 5 {
		data := zipOf(t, string(rune('a'+i)))
		out, err := lc.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("l"), Content: &types.LayerVersionContentInput{ZipFile: data}})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if out.Version != int64(i+1) || aws.ToString(out.Content.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Fatalf("published version %d, CodeSha256 %s", out.Version, aws.ToString(out.Content.CodeSha256))
		}
	}
	var got []int64
	pages := 0
	p := lambda.NewListLayerVersionsPaginator(lc, &lambda.ListLayerVersionsInput{LayerName: aws.String("l")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.LayerVersions) > 2 {
			t.Errorf("a page of %d, PageSize is 2", len(page.LayerVersions))
		}
		for _, v := range page.LayerVersions {
			got = append(got, v.Version)
		}
		pages++
	}
	if !slices.Equal(got, []int64{5, 4, 3, 2, 1}) || pages != 3 {
		t.Errorf("listed %v in %d pages, want 5..1 in 3", got, pages)
	}
	if n := s.Calls("ListLayerVersions"); n != 3 {
		t.Errorf("%d ListLayerVersions calls counted, want 3", n)
	}
}

// A deleted version is gone from lists and reads, its number is never
// reused, and deleting it again is no error.
func TestDeleteLayerVersion(t *testing.T) {
	s, lc := newServer(t)
	ctx := context.Background()
	for _, body := range []string{"a", "b"} {
		if _, err := lc.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("l"), Content: &types.LayerVersionContentInput{ZipFile: zipOf(t, body)}}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := lc.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String("l"), VersionNumber: aws.Int64(2)}); err != nil {
			t.Fatalf("deleting version 2: %v", err)
		}
	}
	_, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("l"), VersionNumber: aws.Int64(2)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("reading a deleted version: %v, want ResourceNotFoundException", err)
	}
	list, err := lc.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("l")})
	if err != nil || len(list.LayerVersions) != 1 || list.LayerVersions[0].Version != 1 {
		t.Fatalf("list after the delete: %+v %v", list, err)
	}
	out, err := lc.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("l"), Content: &types.LayerVersionContentInput{ZipFile: zipOf(t, "c")}})
	if err != nil || out.Version != 3 {
		t.Errorf("next version %v (%v), want 3: numbers are never reused", out.Version, err)
	}
	if !slices.Equal(s.Versions("l"), []int64{1, 3}) {
		t.Errorf("versions %v", s.Versions("l"))
	}
}

// Injected faults reach the SDK as Lambda's typed errors, once each, in
// order; a throttle carries its Retry-After.
func TestFaultsAreLambdasErrors(t *testing.T) {
	s, lc := newServer(t)
	ctx := context.Background()
	s.Inject("GetLayerVersion", Fault{Status: 429, Code: "TooManyRequestsException", Message: "Rate exceeded", RetryAfter: "3"}, ServerError())
	in := &lambda.GetLayerVersionInput{LayerName: aws.String("l"), VersionNumber: aws.Int64(1)}
	_, err := lc.GetLayerVersion(ctx, in)
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) || aws.ToString(tm.RetryAfterSeconds) != "3" {
		t.Fatalf("first call: %v, want a throttle with Retry-After 3", err)
	}
	_, err = lc.GetLayerVersion(ctx, in)
	var se *types.ServiceException
	if !errors.As(err, &se) {
		t.Fatalf("second call: %v, want ServiceException", err)
	}
	_, err = lc.GetLayerVersion(ctx, in)
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("third call: %v, want the real answer (no such version)", err)
	}
	if n := s.Calls("GetLayerVersion"); n != 3 {
		t.Errorf("%d calls counted", n)
	}
}

// A body of MaxBody bytes or more is refused as Lambda refuses it: 413,
// RequestEntityTooLargeException, which the SDK has no type for; one byte
// less is published.
func TestBodyLimit(t *testing.T) {
	s, lc := newServer(t)
	in := &lambda.PublishLayerVersionInput{LayerName: aws.String("l"), Content: &types.LayerVersionContentInput{ZipFile: zipOf(t, "a")}}
	var sent int64
	record := func(o *lambda.Options) {
		o.HTTPClient = recordLength{o.HTTPClient, &sent}
	}
	if _, err := lc.PublishLayerVersion(context.Background(), in, record); err != nil {
		t.Fatal(err)
	}
	s.MaxBody = sent
	_, err := lc.PublishLayerVersion(context.Background(), in)
	var ae *smithy.GenericAPIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || ae.Code != "RequestEntityTooLargeException" || !errors.As(err, &re) || re.HTTPStatusCode() != 413 ||
		ae.Message != fmt.Sprintf("Request must be smaller than %d bytes for the PublishLayerVersion operation", sent) {
		t.Fatalf("a body of MaxBody bytes: %v", err)
	}
	s.MaxBody = sent + 1
	if _, err := lc.PublishLayerVersion(context.Background(), in); err != nil {
		t.Fatalf("a body of MaxBody-1 bytes: %v", err)
	}
	if !slices.Equal(s.Versions("l"), []int64{1, 2}) {
		t.Errorf("versions %v", s.Versions("l"))
	}
}

// recordLength keeps the length of the last request body sent.
type recordLength struct {
	next lambda.HTTPClient
	n    *int64
}

func (r recordLength) Do(req *http.Request) (*http.Response, error) {
	*r.n = req.ContentLength
	return r.next.Do(req)
}

// A lost answer did the work: the caller sees an error, the version exists.
func TestLostAnswerDidTheWork(t *testing.T) {
	s, lc := newServer(t)
	s.Inject("PublishLayerVersion", LostAnswer())
	_, err := lc.PublishLayerVersion(context.Background(), &lambda.PublishLayerVersionInput{LayerName: aws.String("l"), Content: &types.LayerVersionContentInput{ZipFile: zipOf(t, "a")}})
	if err == nil {
		t.Fatal("a dropped answer reached the SDK as a success")
	}
	if !slices.Equal(s.Versions("l"), []int64{1}) {
		t.Errorf("versions %v: the work was not done", s.Versions("l"))
	}
}

// Updates check the RevisionId, stay InProgress for UpdateDuration (a
// second update meanwhile is a conflict), and end Successful; the
// FunctionUpdatedV2 waiter sees them end.
func TestFunctionUpdatesCheckRevisionsAndConflict(t *testing.T) {
	s, lc := newServer(t)
	ctx := context.Background()
	s.UpdateDuration = 200 * time.Millisecond
	v1 := s.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	v2 := s.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
	s.PutFunction(Function{Name: "fn", Runtime: "python3.12", Layers: []string{v1}})
	got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	rev := aws.ToString(got.Configuration.RevisionId)

	_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Layers: []string{v2}, RevisionId: aws.String("stale")})
	var pre *types.PreconditionFailedException
	if !errors.As(err, &pre) {
		t.Fatalf("a stale RevisionId: %v, want PreconditionFailedException", err)
	}
	up, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Layers: []string{v2}, RevisionId: aws.String(rev)})
	if err != nil || up.LastUpdateStatus != types.LastUpdateStatusInProgress || aws.ToString(up.RevisionId) == rev {
		t.Fatalf("update: %+v %v", up, err)
	}
	_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Layers: []string{v1}})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("an update while one is in progress: %v, want ResourceConflictException", err)
	}
	w := lambda.NewFunctionUpdatedV2Waiter(lc, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	})
	done, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}, 5*time.Second)
	if err != nil || done.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Fatalf("waiting: %v", err)
	}
	if st := s.FunctionState("fn"); !slices.Equal(st.Layers, []string{v2}) || st.Updates != 1 {
		t.Errorf("state %+v", st)
	}
}

// Past ControlPlaneRate calls in a second, function calls other than
// GetFunction are throttled, as Lambda's quota does; GetFunction is not.
func TestControlPlaneRateThrottles(t *testing.T) {
	s, lc := newServer(t)
	ctx := context.Background()
	s.ControlPlaneRate = 3
	s.PutFunction(Function{Name: "fn", Runtime: "python3.12"})
	throttled := 0
	for range 6 {
		_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Environment: &types.Environment{}})
		var tm *types.TooManyRequestsException
		if errors.As(err, &tm) {
			throttled++
		}
	}
	if throttled == 0 || s.Throttled() != throttled {
		t.Errorf("%d of 6 quick updates throttled (the fake counts %d), want some", throttled, s.Throttled())
	}
	for range 10 {
		if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}); err != nil {
			t.Fatalf("GetFunction throttled: %v", err)
		}
	}
}

// Functions are listed in pages too, every function once.
func TestFunctionsArePaged(t *testing.T) {
	s, lc := newServer(t)
	s.PageSize = 3
	var want []string
	for _, n := range []string{"e", "a", "d", "b", "c", "f", "g"} {
		s.PutFunction(Function{Name: n, Runtime: "python3.12"})
		want = append(want, n)
	}
	slices.Sort(want)
	var got []string
	p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			got = append(got, aws.ToString(f.FunctionName))
		}
	}
	if !slices.Equal(got, want) || s.Calls("ListFunctions") != 3 {
		t.Errorf("listed %v in %d calls, want %v in 3", got, s.Calls("ListFunctions"), want)
	}
}

// A fault is reported as unfired until a call of its operation meets it;
// injecting into an operation the double does not serve is refused.
func TestUnfiredFaults(t *testing.T) {
	s, lc := newServer(t)
	s.Inject("GetFunction", Throttle(), Throttle())
	s.Inject("GetFunctionConfiguration", Throttle())
	s.PutFunction(Function{Name: "fn", Runtime: "python3.12"})
	_, err := lc.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if !errors.As(err, new(*types.TooManyRequestsException)) {
		t.Fatalf("GetFunction: %v, want the throttle injected", err)
	}
	if got, want := s.Unfired(), map[string]int{"GetFunction": 1, "GetFunctionConfiguration": 1}; !maps.Equal(got, want) {
		t.Errorf("unfired %v, want %v", got, want)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `Inject("GetFunctionConfig")`) {
			t.Errorf("injecting into an operation not served: %v", r)
		}
	}()
	s.Inject("GetFunctionConfig", Throttle())
}

// Another account's layer version is readable (shared) until Unshare:
// then reading it, and an update sending it, are denied, as Lambda
// authorizes lambda:GetLayerVersion on every layer an update sends.
func TestUnsharedLayerIsDenied(t *testing.T) {
	s, lc := newServer(t)
	ctx := context.Background()
	foreign := "arn:aws:lambda:us-east-1:999999999999:layer:tracing"
	s.PutFunction(Function{Name: "fn", Runtime: "python3.12", Layers: []string{foreign + ":4"}})
	got, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(foreign), VersionNumber: aws.Int64(4)})
	if err != nil || aws.ToString(got.LayerVersionArn) != foreign+":4" || got.Version != 4 {
		t.Fatalf("a shared version: %+v %v", got, err)
	}
	s.Unshare(foreign + ":4")
	_, err = lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(foreign), VersionNumber: aws.Int64(4)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "lambda:GetLayerVersion on resource: "+foreign+":4") {
		t.Fatalf("an unshared version: %v", err)
	}
	_, err = lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Layers: []string{foreign + ":4"}})
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("an update sending it: %v", err)
	}
	if _, err := lc.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String(foreign)}); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("listing another account's layer: %v, want AccessDeniedException (it cannot be shared)", err)
	}
}

// A version published from a SnapStart function is Pending while its
// snapshot is made, then Active (or Failed); GetFunction with its
// Qualifier says which, and an alias moved to it while Pending is counted.
func TestSnapStartVersionsArePendingFirst(t *testing.T) {
	s, lc := newServer(t)
	ctx := context.Background()
	s.SnapStartDuration = 150 * time.Millisecond
	s.PutFunction(Function{Name: "fn", Runtime: "java21", SnapStart: true})
	s.PutFunction(Function{Name: "broken", Runtime: "java21", SnapStart: true, SnapStartFailure: "the snapshot could not be made"})
	s.PutAlias("fn", "live", "$LATEST")
	pv, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")})
	if err != nil || aws.ToString(pv.Version) != "1" || pv.State != types.StatePending || pv.SnapStart == nil || pv.SnapStart.ApplyOn != types.SnapStartApplyOnPublishedVersions {
		t.Fatalf("published: %+v %v", pv, err)
	}
	latest, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if err != nil || latest.Configuration.State != types.StateActive || latest.Configuration.SnapStart.OptimizationStatus != types.SnapStartOptimizationStatusOff {
		t.Fatalf("$LATEST: %+v %v", latest.Configuration, err)
	}
	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if n := s.FunctionState("fn").AliasedPending; n != 1 {
		t.Errorf("an alias moved to a Pending version counted %d times", n)
	}
	w := lambda.NewFunctionActiveV2Waiter(lc, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 50*time.Millisecond
	})
	v, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")}, 5*time.Second)
	if err != nil || v.Configuration.State != types.StateActive || aws.ToString(v.Configuration.Version) != "1" {
		t.Fatalf("waiting for version 1: %v", err)
	}
	if _, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("broken")}); err != nil {
		t.Fatal(err)
	}
	_, err = w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("broken"), Qualifier: aws.String("1")}, 5*time.Second)
	if err == nil {
		t.Fatal("a version whose snapshot failed became Active")
	}
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("2")}); !errors.As(err, new(*types.ResourceNotFoundException)) {
		t.Errorf("no version 2: %v", err)
	}
}
