// Command attach measures `layerctl attach` against what a shell script with
// aws-cli does, on the same fault-injecting Lambda double: N functions, a
// fixed latency on every API call, updates that stay InProgress for a while.
//
//	go run ./bench/attach                          # 200 functions, 50 ms, 1 s
//	go run ./bench/attach -layerctl ./layerctl     # also the real binary
//
// Contenders, each on a fresh double:
//
//   - serial: per function, get-function-configuration, update-function-
//     configuration, then `aws lambda wait function-updated-v2` (GetFunction
//     at once, then every 1 s until the update ended): the aws-cli loop,
//     without its ~0.3 s of Python start-up per command.
//   - parallel+waiter: the same per function, 10 at a time, with the SDK's
//     FunctionUpdatedV2 waiter (what a quick Go tool would do).
//   - layerctl (binary): `layerctl attach LAYER --version 2`, finding the
//     functions by their use of the layer, reading, planning and updating
//     them with RevisionIds, polling GetFunction; paced as for real Lambda
//     (--rate 12: 200 updates take at least 16.7 s), and not (--rate 0),
//     which the double allows.
//   - layer.Attach, not paced, with other first poll delays, to measure
//     that choice.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerctl/layerctl/internal/fakelambda"
	"github.com/layerctl/layerctl/layer/attach"
	"github.com/layerctl/layerctl/manifest"
)

var (
	functions   = flag.Int("functions", 200, "functions to attach")
	latency     = flag.Duration("latency", 50*time.Millisecond, "added to every API call")
	update      = flag.Duration("update", time.Second, "how long an update stays InProgress")
	concurrency = flag.Int("concurrency", 10, "calls in flight for layerctl, workers for the parallel loop")
	binary      = flag.String("layerctl", "", "a layerctl binary to run as well (bench/attach.sh builds one)")
	skipSerial  = flag.Bool("skip-serial", false, "skip the serial loop (it takes minutes)")
)

// ops are the operations the double counts.
var ops = []string{"ListFunctions", "GetFunction", "GetFunctionConfiguration", "UpdateFunctionConfiguration", "GetLayerVersion"}

type result struct {
	name     string
	wall     time.Duration
	calls    int
	inFlight int
}

func main() {
	flag.Parse()
	fmt.Printf("%d functions, %s per API call, updates InProgress for %s, concurrency %d\n\n", *functions, *latency, *update, *concurrency)
	var results []result
	run := func(name string, f func(fake *fakelambda.Server, lc *lambda.Client) error) {
		fake, lc := setup()
		defer fake.Close()
		fmt.Fprintf(os.Stderr, "running %s...\n", name)
		start := time.Now()
		if err := f(fake, lc); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		wall := time.Since(start)
		if err := check(fake); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		calls := 0
		for _, op := range ops {
			calls += fake.Calls(op)
		}
		results = append(results, result{name, wall, calls, fake.MaxInFlight()})
	}

	if !*skipSerial {
		run("serial aws-cli loop", serial)
	}
	run(fmt.Sprintf("parallel loop, %d workers, SDK waiter", *concurrency), parallelWithWaiter)
	if *binary != "" {
		run("layerctl attach (binary, default --rate 12)", func(fake *fakelambda.Server, lc *lambda.Client) error {
			return runBinary(fake)
		})
		run("layerctl attach (binary, --rate 0)", func(fake *fakelambda.Server, lc *lambda.Client) error {
			return runBinary(fake, "--rate", "0")
		})
	}
	for _, poll := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		run(fmt.Sprintf("layer.Attach, first poll %s", poll), func(fake *fakelambda.Server, lc *lambda.Client) error {
			return library(lc, poll)
		})
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "contender\twall\tAPI calls\tmax in flight\tvs serial\t")
	for _, r := range results {
		ratio := "-"
		if !*skipSerial {
			ratio = fmt.Sprintf("%.1fx", results[0].wall.Seconds()/r.wall.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%.2fs\t%d\t%d\t%s\t\n", r.name, r.wall.Seconds(), r.calls, r.inFlight, ratio)
	}
	tw.Flush()
	for _, r := range results {
		if strings.HasPrefix(r.name, "layer") && r.inFlight > *concurrency {
			fmt.Printf("FAIL: %s had %d calls in flight, more than %d\n", r.name, r.inFlight, *concurrency)
			os.Exit(1)
		}
	}
}

const layerName = "shared"

// setup starts a double holding layer versions 1 and 2 and the functions,
// each on version 1 beside another team's layer.
func setup() (*fakelambda.Server, *lambda.Client) {
	fake := fakelambda.New()
	fake.Latency, fake.UpdateDuration = *latency, *update
	v1 := fake.AddLayerVersion(layerName, []string{"python3.12"}, []string{"x86_64"}, 5<<20)
	fake.AddLayerVersion(layerName, []string{"python3.12"}, []string{"x86_64"}, 5<<20)
	other := fake.AddLayerVersion("team-a", nil, nil, 1<<20)
	for i := range *functions {
		layers := []string{other, v1}
		if i%2 == 1 {
			layers = []string{v1, other}
		}
		fake.PutFunction(fakelambda.Function{Name: fmt.Sprintf("fn-%03d", i), Runtime: "python3.12", Layers: layers})
	}
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL),
		Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", "")})
	return fake, lc
}

// check makes sure every function ended on version 2, the other layer kept.
func check(fake *fakelambda.Server) error {
	for i := range *functions {
		st := fake.FunctionState(fmt.Sprintf("fn-%03d", i))
		if len(st.Layers) != 2 || !slices.ContainsFunc(st.Layers, func(a string) bool { return strings.HasSuffix(a, ":layer:"+layerName+":2") }) || st.Status != "Successful" {
			return fmt.Errorf("fn-%03d ended with %v, %s", i, st.Layers, st.Status)
		}
	}
	return nil
}

// repoint is the aws-cli loop's step for one function: read, replace the
// layer's ARN, update, wait like `aws lambda wait function-updated-v2`.
func repoint(ctx context.Context, lc *lambda.Client, name string, wait func(string) error) error {
	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if err != nil {
		return err
	}
	var layers []string
	for _, l := range cfg.Layers {
		arn := aws.ToString(l.Arn)
		if i := strings.LastIndex(arn, ":"); strings.HasSuffix(arn[:i], ":layer:"+layerName) {
			arn = arn[:i] + ":2"
		}
		layers = append(layers, arn)
	}
	if _, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Layers: layers}); err != nil {
		return err
	}
	return wait(name)
}

func serial(fake *fakelambda.Server, lc *lambda.Client) error {
	ctx := context.Background()
	// botocore's waiter: call, and sleep the waiter's delay (1 s for
	// function-updated-v2) between calls until a success state.
	cliWait := func(name string) error {
		for {
			out, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
			if err != nil {
				return err
			}
			switch out.Configuration.LastUpdateStatus {
			case types.LastUpdateStatusSuccessful:
				return nil
			case types.LastUpdateStatusFailed:
				return fmt.Errorf("%s: update failed", name)
			}
			time.Sleep(time.Second)
		}
	}
	for i := range *functions {
		if err := repoint(ctx, lc, fmt.Sprintf("fn-%03d", i), cliWait); err != nil {
			return err
		}
	}
	return nil
}

func parallelWithWaiter(fake *fakelambda.Server, lc *lambda.Client) error {
	ctx := context.Background()
	waiter := lambda.NewFunctionUpdatedV2Waiter(lc)
	wait := func(name string) error {
		return waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 5*time.Minute)
	}
	names := make(chan string)
	errs := make(chan error, *functions)
	var wg sync.WaitGroup
	for range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				if err := repoint(ctx, lc, name, wait); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range *functions {
		names <- fmt.Sprintf("fn-%03d", i)
	}
	close(names)
	wg.Wait()
	close(errs)
	return <-errs
}

func library(lc *lambda.Client, poll time.Duration) error {
	l := &manifest.Layer{Name: layerName, Runtimes: []string{"python3.12"}, Architectures: []string{"x86_64"}}
	report, err := attach.Attach(context.Background(), []attach.Target{{Layer: l, Regions: []string{"us-east-1"}, Version: 2}},
		attach.Options{Lambda: func(string) attach.API { return lc }, Concurrency: *concurrency, PollInterval: poll})
	if err != nil {
		return err
	}
	if n := report.Problems(); n > 0 || len(report.Functions) != *functions {
		return fmt.Errorf("%d functions, %d problems: %s", len(report.Functions), n, report.Summary())
	}
	return nil
}

func runBinary(fake *fakelambda.Server, args ...string) error {
	dir, err := os.MkdirTemp("", "layerctl-bench-attach")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	manifestPath := filepath.Join(dir, "layerctl.yaml")
	yaml := "version: 1\nlayers:\n  " + layerName + ":\n    runtimes: [python3.12]\n    files: [{from: ., to: python/x}]\n"
	if err := os.WriteFile(manifestPath, []byte(yaml), 0o644); err != nil {
		return err
	}
	args = append([]string{"-f", manifestPath, "attach", layerName, "--version", "2", "--region", "us-east-1",
		"--concurrency", fmt.Sprint(*concurrency), "--endpoint-url", fake.URL}, args...)
	cmd := exec.Command(*binary, args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}
