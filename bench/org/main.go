// Command org measures `layerctl deploy --shard I/N` at organisation scale:
// A accounts × R regions × F functions, each account and region a
// fault-injecting Lambda double (internal/fakelambda) that throttles past
// Lambda's 15 control-plane calls per second, all behind one endpoint: a
// latency proxy that adds a fixed delay to every call, answers STS
// (AssumeRole into any account, GetCallerIdentity) and routes each Lambda
// call to the double of the account its credentials are in and the region
// it is signed for.
//
//	go run ./bench/org -layerctl ./layerctl            # 10 × 3 × 100, shards 1, 2, 4, 8, 16
//	go run ./bench/org -layerctl ./layerctl -shards 1,2,4,8 -latency 80ms
//
// For each N, every double starts afresh (one old layer version, every
// function on it), N copies of the project are made (one checkout per CI
// job, each with its local lock: the double serves no S3), and the N
// shards run at once as N processes. Each publishes the new content in its
// accounts and regions and moves every function there onto it. The table
// says the slowest shard's wall time against the quota floor: the updates
// of one account and region at Lambda's 15 per second (at layerctl's
// default --rate 12 with a burst of 3, a little more), which no number of
// shards can beat, since every account and region is already worked on at
// once.
package main

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/layerctl/layerctl/internal/fakelambda"
)

var (
	accounts    = flag.Int("accounts", 10, "accounts")
	regions     = flag.Int("regions", 3, "regions per account")
	functions   = flag.Int("functions", 100, "functions per account and region")
	latency     = flag.Duration("latency", 50*time.Millisecond, "added to every call by the proxy")
	update      = flag.Duration("update", time.Second, "how long an update stays InProgress")
	shardList   = flag.String("shards", "1,2,4,8,16", "numbers of shards to run, comma-separated")
	concurrency = flag.Int("concurrency", 10, "layerctl's --concurrency in each shard")
	binary      = flag.String("layerctl", "", "the layerctl binary (bench/org.sh builds one)")
)

var allRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1", "ap-northeast-1", "sa-east-1", "ca-central-1"}

func main() {
	flag.Parse()
	if *binary == "" {
		fmt.Fprintln(os.Stderr, "org: -layerctl PATH is required (bash bench/org.sh builds one)")
		os.Exit(2)
	}
	var ns []int
	for _, s := range strings.Split(*shardList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "org: -shards: %q is not a number of shards\n", s)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	units := *accounts * *regions
	updates := units * *functions
	floor15 := time.Duration(float64(*functions) / 15 * float64(time.Second))
	floor12 := time.Duration(float64(*functions-3) / 12 * float64(time.Second))
	fmt.Printf("%d accounts × %d regions × %d functions = %d updates in %d accounts and regions; %s per call, updates InProgress for %s, --concurrency %d per shard\n",
		*accounts, *regions, *functions, updates, units, *latency, *update, *concurrency)
	fmt.Printf("quota floor: %d updates of one account and region at 15/s = %.1f s (at layerctl's --rate 12, burst 3: %.1f s)\n\n",
		*functions, floor15.Seconds(), floor12.Seconds())

	var rows []string
	for _, n := range ns {
		r, err := runShards(n)
		if err != nil {
			fmt.Fprintf(os.Stderr, "org: %d shards: %v\n", n, err)
			os.Exit(1)
		}
		rows = append(rows, fmt.Sprintf("%d\t%d\t%.1f s\t%.0f\t%.1f\t%.1fx\t%d\t%d\t", n, (units+n-1)/n, r.wall.Seconds(), float64(updates)/r.wall.Seconds(),
			r.perQuota, r.wall.Seconds()/floor15.Seconds(), r.throttled, r.calls))
		fmt.Fprintf(os.Stderr, "  %d shard(s): %.1f s\n", n, r.wall.Seconds())
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "shards\tunits per shard\twall time\tupdates/s\tupdates/s in an account and region (median)\tvs floor (15/s)\tthrottled\tcalls\t")
	for _, row := range rows {
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
}

type result struct {
	wall             time.Duration
	throttled, calls int
	perQuota         float64 // the median over accounts and regions of their updates per second, first to last
}

// runShards deploys with n shards at once on fresh doubles.
func runShards(n int) (*result, error) {
	org := newOrg()
	defer org.close()
	work, err := os.MkdirTemp("", "layerctl-bench-org-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 1; i <= n; i++ {
		dir := filepath.Join(work, fmt.Sprintf("job%d", i))
		if err := project(dir); err != nil {
			return nil, err
		}
		cmd := exec.Command(*binary, "deploy", "--shard", fmt.Sprintf("%d/%d", i, n), "--concurrency", strconv.Itoa(*concurrency))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+org.URL, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
			"AWS_REGION=us-east-1", "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	fmt.Fprintf(os.Stderr, "running %d shard(s)...\n", n)
	start := time.Now()
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			return nil, err
		}
	}
	var failed []string
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			failed = append(failed, fmt.Sprintf("shard %d/%d: %v\n%s", i+1, n, err, outs[i]))
		}
	}
	wall := time.Since(start)
	if len(failed) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(failed, "\n"))
	}
	moved := 0
	for _, f := range org.fakes {
		moved += f.Calls("UpdateFunctionConfiguration")
	}
	if want := *accounts * *regions * *functions; moved < want {
		return nil, fmt.Errorf("%d updates made, want %d", moved, want)
	}
	r := &result{wall: wall, calls: int(org.calls.Load())}
	var rates []float64
	for _, f := range org.fakes {
		r.throttled += f.Throttled()
		rates = append(rates, rate(f.Arrivals("UpdateFunctionConfiguration")))
	}
	slices.Sort(rates)
	r.perQuota = rates[len(rates)/2]
	return r, nil
}

// rate is calls per second from the first call to the last: how fast an
// account and region was worked on (Lambda allows 15).
func rate(times []time.Time) float64 {
	if len(times) < 2 {
		return 0
	}
	first, last := slices.MinFunc(times, time.Time.Compare), slices.MaxFunc(times, time.Time.Compare)
	return float64(len(times)-1) / last.Sub(first).Seconds()
}

// project writes a layerctl project: one layer in every account and
// region, attached to the functions using it.
func project(dir string) error {
	var ids []string
	for a := range *accounts {
		ids = append(ids, fmt.Sprintf(`  - {id: "%s"}`, accountID(a)))
	}
	manifest := fmt.Sprintf(`version: 1
role_template: arn:aws:iam::{account}:role/layerctl
accounts:
%s
layers:
  shared:
    runtimes: [python3.12]
    regions: [%s]
    files: [{from: src, to: python/shared}]
`, strings.Join(ids, "\n"), strings.Join(allRegions[:*regions], ", "))
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "__init__.py"), []byte("V = 2\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "layerctl.yaml"), []byte(manifest), 0o644)
}

func accountID(a int) string { return fmt.Sprintf("%012d", 400000000000+a) }

// org is the doubles of every account and region behind the proxy.
type org struct {
	*httptest.Server
	fakes map[string]*fakelambda.Server // by "ACCOUNT REGION"
	next  map[string]*httputil.ReverseProxy
	calls atomic.Int64
}

func newOrg() *org {
	o := &org{fakes: map[string]*fakelambda.Server{}, next: map[string]*httputil.ReverseProxy{}}
	for a := range *accounts {
		for _, region := range allRegions[:*regions] {
			f := fakelambda.New()
			f.Account, f.Region, f.UpdateDuration, f.ControlPlaneRate = accountID(a), region, *update, 15
			old := f.AddLayerVersion("shared", []string{"python3.12"}, nil, 100)
			for i := range *functions {
				f.PutFunction(fakelambda.Function{Name: fmt.Sprintf("fn-%03d", i), Runtime: "python3.12", Layers: []string{old}})
			}
			k := accountID(a) + " " + region
			o.fakes[k] = f
			u, _ := url.Parse(f.URL)
			o.next[k] = httputil.NewSingleHostReverseProxy(u)
		}
	}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	return o
}

func (o *org) close() {
	o.Close()
	for _, f := range o.fakes {
		f.Close()
	}
}

// scope is the access key and the region of a SigV4 Authorization header.
var scope = regexp.MustCompile(`Credential=([^/]+)/[0-9]+/([a-z0-9-]+)/([a-z0-9]+)/aws4_request`)

const ownAccount = "123456789012"

func (o *org) serve(w http.ResponseWriter, r *http.Request) {
	o.calls.Add(1)
	time.Sleep(*latency)
	m := scope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "bench proxy: unsigned request", http.StatusForbidden)
		return
	}
	key, region, service := m[1], m[2], m[3]
	if service == "sts" {
		o.sts(w, r, key)
		return
	}
	account, ok := strings.CutPrefix(key, "ASIABENCH")
	next := o.next[account+" "+region]
	if !ok || next == nil {
		http.Error(w, fmt.Sprintf("bench proxy: no account and region for %s in %s", key, region), http.StatusForbidden)
		return
	}
	next.ServeHTTP(w, r)
}

// sts answers AssumeRole (credentials whose access key names the role's
// account) and GetCallerIdentity.
func (o *org) sts(w http.ResponseWriter, r *http.Request, key string) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	form, _ := url.ParseQuery(string(body))
	w.Header().Set("Content-Type", "text/xml")
	switch form.Get("Action") {
	case "AssumeRole":
		role := form.Get("RoleArn")
		parts := strings.Split(role, ":")
		if len(parts) < 6 {
			http.Error(w, "bench proxy: bad role "+role, http.StatusBadRequest)
			return
		}
		account := parts[4]
		type creds struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		type user struct{ AssumedRoleId, Arn string }
		out, _ := xml.Marshal(struct {
			XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
			Result  struct {
				Credentials     creds
				AssumedRoleUser user
			} `xml:"AssumeRoleResult"`
		}{Result: struct {
			Credentials     creds
			AssumedRoleUser user
		}{creds{"ASIABENCH" + account, "secret", "token", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
			user{"AROABENCH:" + form.Get("RoleSessionName"), "arn:aws:sts::" + account + ":assumed-role/layerctl/" + form.Get("RoleSessionName")}}})
		w.Write(out)
	case "GetCallerIdentity":
		account := ownAccount
		if a, ok := strings.CutPrefix(key, "ASIABENCH"); ok {
			account = a
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Account>%s</Account><Arn>arn:aws:iam::%s:user/bench</Arn><UserId>AIDABENCH</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`, account, account)
	default:
		http.Error(w, "bench proxy: no STS "+form.Get("Action"), http.StatusBadRequest)
	}
}
