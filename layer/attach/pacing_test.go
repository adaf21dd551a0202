package attach

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/manifest"
)

// callRecorder is the HTTP client of every region's Lambda client: it
// notes when each call leaves attach, by region and kind of call (the
// quota it counts against), and how many are in flight over all regions.
type callRecorder struct {
	mu                    sync.Mutex
	inFlight, maxInFlight int
	sent                  map[string][]time.Time // "REGION read" (GetFunction) or "REGION other"
}

type recordingClient struct {
	rec    *callRecorder
	region string
	next   *awshttp.BuildableClient
}

func (c recordingClient) Do(req *http.Request) (*http.Response, error) {
	kind := "other"
	if awsmiddleware.GetOperationName(req.Context()) == "GetFunction" {
		kind = "read"
	}
	c.rec.mu.Lock()
	c.rec.sent[c.region+" "+kind] = append(c.rec.sent[c.region+" "+kind], time.Now())
	c.rec.inFlight++
	c.rec.maxInFlight = max(c.rec.maxInFlight, c.rec.inFlight)
	c.rec.mu.Unlock()
	defer func() {
		c.rec.mu.Lock()
		c.rec.inFlight--
		c.rec.mu.Unlock()
	}()
	return c.next.Do(req)
}

// busiestSecond is the most calls in any one-second window.
func busiestSecond(times []time.Time) int {
	times = slices.SortedFunc(slices.Values(times), time.Time.Compare)
	most, from := 0, 0
	for i, t := range times {
		for t.Sub(times[from]) >= time.Second {
			from++
		}
		most = max(most, i-from+1)
	}
	return most
}

// Lambda's request quotas are per account and region: attach paces each
// region on its own (at cmd's defaults, 12 calls per second plus a burst
// of 3 for everything but GetFunction, 80 for GetFunction), so that no
// region goes over Lambda's 15 (and 100) in any second, while three
// regions together run three times as fast as one: a pace shared by the
// regions would hold them all to 15. --concurrency still bounds the calls
// in flight over every region.
func TestAttachPacesEachRegionOnItsOwn(t *testing.T) {
	regions := []string{"eu-west-1", "eusc-de-east-1", "us-east-1"}
	rec := &callRecorder{sent: map[string][]time.Time{}}
	fakes := map[string]*fakelambda.Server{}
	lock := &manifest.LockLayer{SHA256: strings.Repeat("ab", 32), Regions: map[string]*manifest.LockRegion{}}
	for _, region := range regions {
		f := fakelambda.Start(t)
		f.Region, f.UpdateDuration, f.Latency = region, 5*time.Millisecond, 3*time.Millisecond
		f.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
		v2 := f.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
		other := f.AddLayerVersion("team-a", nil, nil, 100)
		for i := range 30 {
			f.PutFunction(fakelambda.Function{Name: fmt.Sprintf("f%02d", i), Runtime: "python3.12", Layers: []string{other, strings.TrimSuffix(v2, "2") + "1"}})
		}
		fakes[region] = f
		lock.Regions[region] = &manifest.LockRegion{ARN: v2, Version: 2}
	}
	v, err := testenv.LambdaAt(fakes["us-east-1"].URL, "us-east-1").GetLayerVersion(context.Background(), &lambda.GetLayerVersionInput{LayerName: aws.String("shared"), VersionNumber: aws.Int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	lock.CodeSHA256 = aws.ToString(v.Content.CodeSha256) // the same in every region: the fake's is of the name and number
	opts := Options{
		Lambda: func(region string) API {
			return lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(fakes[region].URL), Credentials: testenv.Creds,
				HTTPClient: recordingClient{rec: rec, region: region, next: awshttp.NewBuildableClient()}})
		},
		Concurrency: 4, Rate: 12, ReadRate: 80, PollInterval: 10 * time.Millisecond, RetryBase: 20 * time.Millisecond,
	}
	start := time.Now()
	r, err := Attach(context.Background(), []Target{{Layer: testenv.PyLayer("shared"), Regions: regions, Lock: lock}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if len(r.Functions) != 90 || r.Problems() != 0 || strings.Count(r.Summary(), "attached") != 1 {
		t.Fatalf("%d functions: %s", len(r.Functions), r.Summary())
	}
	var all []time.Time
	for _, region := range regions {
		other, read := busiestSecond(rec.sent[region+" other"]), busiestSecond(rec.sent[region+" read"])
		t.Logf("%s: %d calls, busiest second %d (GetFunction: %d calls, busiest second %d)", region, len(rec.sent[region+" other"]), other, len(rec.sent[region+" read"]), read)
		if other > 15 || read > 100 {
			t.Errorf("%s: %d calls in one second (Lambda allows 15), %d GetFunction (100)", region, other, read)
		}
		if other < 10 {
			t.Errorf("%s: at most %d calls in a second: it never ran at its own pace of 12", region, other)
		}
		all = append(all, rec.sent[region+" other"]...)
	}
	busiest := busiestSecond(all)
	t.Logf("all regions: busiest second %d calls; %d functions in %v; at most %d calls in flight", busiest, len(r.Functions), took, rec.maxInFlight)
	if busiest < 2*15 {
		t.Errorf("the three regions made at most %d calls in a second together: they share one pace (one region's is 15)", busiest)
	}
	if rec.maxInFlight > 4 {
		t.Errorf("%d calls in flight over all regions, --concurrency 4", rec.maxInFlight)
	}
	if n := fakes["us-east-1"].Throttled(); n != 0 {
		t.Errorf("throttled %d times", n)
	}
}
