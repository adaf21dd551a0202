package publish

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// The largest ZIP sent inline fits under the limit with its overhead and
// margin, and one byte more does not: exact edges, for each remainder of
// the room modulo 4 (base64 grows 4 bytes for every 3).
func TestMaxInlineZipEdges(t *testing.T) {
	tests := []struct{ limit, overhead, margin, want int64 }{
		{lambdafacts.MaxPublishBody, 26, 0, lambdafacts.MaxInline},
		{lambdafacts.MaxPublishBody, 26, 0, 52_625_388},
		{69_905_067, 26, 0, 52_428_780},                             // Lambda's limit until about 2024: 50 MiB - 20 B
		{lambdafacts.MaxPublishBody, 400, inlineMargin, 52_622_034}, // room 70,162,714
		{1000, 100, 0, 672},                                         // room 899: 224 groups of 4
		{1001, 100, 0, 675},                                         // room 900
		{1002, 100, 0, 675},
		{1003, 100, 0, 675},
		{1004, 100, 0, 675}, // room 903
		{1005, 100, 0, 678}, // room 904: one more group
		{100, 99, 0, 0},     // no room at all
		{100, 200, 0, 0},
	}
	for _, tc := range tests {
		got := maxInlineZip(tc.limit, tc.overhead, tc.margin)
		if got != tc.want {
			t.Errorf("maxInlineZip(%d, %d, %d) = %d, want %d", tc.limit, tc.overhead, tc.margin, got, tc.want)
		}
		under := func(zip int64) bool { return tc.overhead+base64Len(zip)+tc.margin < tc.limit }
		if got > 0 && !under(got) {
			t.Errorf("limit %d: a ZIP of %d bytes makes %d bytes, not under the limit", tc.limit, got, tc.overhead+base64Len(got)+tc.margin)
		}
		if under(got + 1) {
			t.Errorf("limit %d: a ZIP of %d bytes (one more) still fits", tc.limit, got+1)
		}
	}
}

// bodyOverhead bounds what the SDK really sends around the ZIP, for
// ordinary metadata and for strings its JSON escaping makes the most of;
// bodySize records the body's real length.
func TestBodyOverheadBoundsTheSDKsBody(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"Version":1}`)
	}))
	defer srv.Close()
	lc := testenv.LambdaAt(srv.URL, "us-east-1")
	tag := " layerctl-sha256:" + strings.Repeat("f", 64)
	tests := []struct {
		name                string
		desc, license       string
		runtimes, archs     []string
		zip                 int
		noDesc, withLicense bool
	}{
		{"the smallest", "", "", nil, nil, 1, true, false},
		{"ordinary", "HTTP pins" + tag, "Apache-2.0", []string{"python3.12", "python3.13"}, []string{"x86_64", "arm64"}, 1000, false, true},
		{"15 runtimes", tag, "", strings.Split("python3.9 python3.10 python3.11 python3.12 python3.13 python3.14 nodejs18.x nodejs20.x nodejs22.x nodejs24.x java21 java17 ruby3.3 ruby3.4 provided.al2023", " "), []string{"x86_64"}, 3, false, false},
		{"control characters", strings.Repeat("\x01\x1f", 87) + tag, strings.Repeat("\x00", 512), []string{"python3.12"}, []string{"x86_64"}, 2, false, true},
		{"quotes and backslashes", strings.Repeat(`"\`, 87) + tag, strings.Repeat(`\"`, 256), nil, nil, 5, false, true},
		{"invalid UTF-8", strings.Repeat("\xff", 175) + tag, strings.Repeat("\xc3", 512), nil, nil, 7, false, true},
		{"line separators and emoji", strings.Repeat("\u2028", 58) + tag, strings.Repeat("😀", 128), nil, nil, 4, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.PublishLayerVersionInput{LayerName: aws.String("l"), Content: &types.LayerVersionContentInput{ZipFile: make([]byte, tc.zip)}}
			if !tc.noDesc {
				in.Description = aws.String(tc.desc)
			}
			if tc.withLicense {
				in.LicenseInfo = aws.String(tc.license)
			}
			in.CompatibleRuntimes = runtimesOf(tc.runtimes)
			in.CompatibleArchitectures = archsOf(tc.archs)
			var sent int64
			if _, err := lc.PublishLayerVersion(context.Background(), in, bodySize(&sent)); err != nil {
				t.Fatal(err)
			}
			if sent != int64(len(got)) {
				t.Errorf("bodySize recorded %d bytes, the server read %d", sent, len(got))
			}
			around := int64(len(got)) - base64Len(int64(tc.zip))
			if bound := bodyOverhead(in); around > bound {
				t.Errorf("the SDK sent %d bytes around the ZIP, over the bound %d:\n%s", around, bound, got)
			}
		})
	}
}

// A ZIP over the inline limit with no bucket for the region is refused
// before any call, with the numbers and what to set.
func TestPublishTooLargeInlineWithoutABucketCallsNothing(t *testing.T) {
	e := newFaultEnv(t)
	e.inline = 10
	r := e.publish()
	if r.Status != layer.StatusFailed || r.Err == nil {
		t.Fatalf("got %s: %v", r.Status, r.Err)
	}
	for _, want := range []string{"bytes), over the 10 bytes layerctl sends inline", "Lambda takes a request body under 70167211 bytes",
		"no S3 bucket is set for us-east-1: add s3: {bucket: NAME} (or s3.buckets.us-east-1)"} {
		if !strings.Contains(r.Err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, r.Err)
		}
	}
	for _, op := range []string{"ListLayerVersions", "GetLayerVersion", "PublishLayerVersion"} {
		if n := e.fake.Calls(op); n != 0 {
			t.Errorf("%s called %d times", op, n)
		}
	}
}

// Lambda's 413 (a limit lower than layerctl's, as before 2024) is
// explained, never sent again, and leaves nothing: the request was refused
// before it was read, so there is no version to look for either.
func TestPublishRefusedAsTooLarge(t *testing.T) {
	e := newFaultEnv(t)
	e.fake.MaxBody = 300
	r := e.publish()
	if r.Status != layer.StatusFailed || r.Err == nil {
		t.Fatalf("got %s: %v", r.Status, r.Err)
	}
	for _, want := range []string{"Lambda refused the request as too large (", "RequestEntityTooLargeException: Request must be smaller than 300 bytes for the PublishLayerVersion operation",
		"nothing was published; set s3: {bucket: NAME} (or s3.buckets.us-east-1)"} {
		if !strings.Contains(r.Err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, r.Err)
		}
	}
	if n := e.fake.Calls("PublishLayerVersion"); n != 1 {
		t.Errorf("PublishLayerVersion called %d times: a 413 was sent again", n)
	}
	if n := e.fake.Calls("ListLayerVersions"); n != 1 {
		t.Errorf("ListLayerVersions called %d times, want 1 (the lookup before publishing)", n)
	}
	if vs := e.fake.Versions("faulty"); len(vs) != 0 || e.lock.Layers["faulty"] != nil {
		t.Errorf("versions %v, lock %+v", vs, e.lock.Layers["faulty"])
	}
}
