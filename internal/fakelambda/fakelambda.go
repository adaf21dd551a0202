// Package fakelambda is a fault-injecting Lambda for tests: an HTTP server
// speaking Lambda's REST-JSON wire protocol, so the SDK client under test is
// the real one. It reproduces what the moto emulator does not: throttling,
// server errors, answers lost after the work was done, paging, slow calls,
// functions whose updates stay InProgress and check RevisionIds, concurrent
// changes by another party, request quotas (functions.go), and it counts
// requests in flight.
package fakelambda

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// Fault is what the server does to one request instead of answering it.
type Fault struct {
	Status     int    // HTTP status of the error answer, e.g. 429 or 500
	Code       string // the error type, e.g. TooManyRequestsException
	Message    string
	RetryAfter string // Retry-After header, seconds
	// AfterWork performs the operation first, then fails the answer: the
	// caller cannot know the work was done.
	AfterWork bool
	// Drop closes the connection without any answer.
	Drop bool
}

// Throttle is a 429 TooManyRequestsException.
func Throttle() Fault {
	return Fault{Status: 429, Code: "TooManyRequestsException", Message: "Rate exceeded"}
}

// ServerError is a 500 ServiceException.
func ServerError() Fault {
	return Fault{Status: 500, Code: "ServiceException", Message: "internal error"}
}

// LostAnswer does the work, then drops the connection.
func LostAnswer() Fault { return Fault{AfterWork: true, Drop: true} }

// Server is the fake Lambda. Its zero value is not usable: call New.
type Server struct {
	*httptest.Server
	Account  string
	Region   string
	PageSize int           // ListLayerVersions page size
	Latency  time.Duration // added to every call
	// MaxBody, when set, is Lambda's limit on a PublishLayerVersion body:
	// one of MaxBody bytes or more is refused with 413
	// RequestEntityTooLargeException, as Lambda refuses one of 70167211.
	MaxBody int64

	mu          sync.Mutex
	layers      map[string][]*version // version n at n-1, deleted ones kept
	alter       int                   // published ZIPs still to alter
	faults      map[string][]Fault
	unshared    map[string]bool // other accounts' layer versions no longer readable
	calls       map[string]int
	arrivals    map[string][]time.Time
	inFlight    int
	maxInFlight int

	// Functions, their versions and aliases: functions.go.
	UpdateDuration time.Duration // how long an accepted update stays InProgress
	// BlockedRuntimes are runtimes whose functions may no longer be updated,
	// as AWS documents after a runtime's block-update date: an update
	// answers InvalidParameterValueException. (One report says a
	// configuration update that does not send Runtime still passed: leave
	// the runtime out to play that.)
	BlockedRuntimes []string
	// SnapStartDuration is how long a version published from a SnapStart
	// function stays Pending, its snapshot being made.
	SnapStartDuration time.Duration
	// ControlPlaneRate, when set, throttles function calls other than
	// GetFunction beyond this many in any second, as Lambda does at 15.
	ControlPlaneRate int
	functions        map[string]*function
	controlCalls     []time.Time // the last second's, for ControlPlaneRate
	throttled        int

	// What status and prune read: lifecycle.go.
	account *AccountSettings
	onCall  map[string]map[int]func()
}

type version struct {
	Number        int64
	Description   string
	License       string
	Runtimes      []string
	Architectures []string
	CodeSha256    string
	CodeSize      int64
	Created       string
	Policy        []map[string]any
	Deleted       bool // numbers are never reused, so deleted versions stay
}

// New starts a fake Lambda on a loopback port; Close stops it.
func New() *Server {
	s := &Server{Account: "123456789012", Region: "us-east-1", PageSize: 50,
		layers: map[string][]*version{}, faults: map[string][]Fault{}, unshared: map[string]bool{}, calls: map[string]int{}, arrivals: map[string][]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Start is New for a test: the server is closed when t ends, and t fails
// if a fault injected into it never fired (see Unfired).
func Start(t testing.TB) *Server {
	t.Helper()
	s := New()
	t.Cleanup(func() {
		s.Close()
		if left := s.Unfired(); len(left) > 0 {
			t.Errorf("fakelambda: faults injected but never met by a call (is the operation the one the code calls?): %v", left)
		}
	})
	return s
}

// Inject queues faults for the next calls of op (e.g. "PublishLayerVersion").
// An op the double does not serve is a test's mistake: it panics.
func (s *Server) Inject(op string, faults ...Fault) {
	if !layerOps[op] && !functionOps[op] && !lifecycleOps[op] {
		panic(fmt.Sprintf("fakelambda: Inject(%q): no such operation is served (%v)", op, servedOps()))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], faults...)
}

// Unfired is how many injected faults of each operation no call has met
// yet. A fault left over when the test ends was injected into an operation
// the code did not call as often as the test assumed, or not at all: the
// path it meant to exercise never ran.
func (s *Server) Unfired() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for op, q := range s.faults {
		if len(q) > 0 {
			out[op] = len(q)
		}
	}
	return out
}

// layerOps are the layer operations fakelambda.go serves.
var layerOps = map[string]bool{"ListLayerVersions": true, "PublishLayerVersion": true, "GetLayerVersion": true,
	"DeleteLayerVersion": true, "GetLayerVersionPolicy": true, "AddLayerVersionPermission": true}

func servedOps() []string {
	var out []string
	for op := range layerOps {
		out = append(out, op)
	}
	for op := range lifecycleOps {
		out = append(out, op)
	}
	for op := range functionOps {
		out = append(out, op)
	}
	slices.Sort(out)
	return out
}

// Calls is how many requests op received, faulted ones included.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Arrivals is when each request of op arrived, in order.
func (s *Server) Arrivals(op string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.arrivals[op]...)
}

// MaxInFlight is the most requests that were ever being served at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// Versions returns the version numbers of a layer, oldest first, without
// deleted ones.
func (s *Server) Versions(layer string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for _, v := range s.layers[layer] {
		if !v.Deleted {
			out = append(out, v.Number)
		}
	}
	return out
}

// AlterUploads makes the next n PublishLayerVersion calls store other bytes
// than the request carried (its last byte changed), as if the ZIP were
// altered on its way: the answer's CodeSha256 is that of the bytes stored.
func (s *Server) AlterUploads(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alter += n
}

// A layer is named by its name or its ARN (arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME).
var (
	versionsPath = regexp.MustCompile(`^/2018-10-31/layers/([A-Za-z0-9_-]+|arn:[^/]+)/versions$`)
	versionPath  = regexp.MustCompile(`^/2018-10-31/layers/([A-Za-z0-9_-]+|arn:[^/]+)/versions/([0-9]+)$`)
	policyPath   = regexp.MustCompile(`^/2018-10-31/layers/([A-Za-z0-9_-]+|arn:[^/]+)/versions/([0-9]+)/policy$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/" {
		s.serveSTS(w, r) // sts.go
		return
	}
	var op string
	var m []string
	switch p := r.URL.Path; {
	case r.Method == http.MethodGet && versionsPath.MatchString(p):
		op, m = "ListLayerVersions", versionsPath.FindStringSubmatch(p)
	case r.Method == http.MethodPost && versionsPath.MatchString(p):
		op, m = "PublishLayerVersion", versionsPath.FindStringSubmatch(p)
	case r.Method == http.MethodGet && versionPath.MatchString(p):
		op, m = "GetLayerVersion", versionPath.FindStringSubmatch(p)
	case r.Method == http.MethodDelete && versionPath.MatchString(p):
		op, m = "DeleteLayerVersion", versionPath.FindStringSubmatch(p)
	case r.Method == http.MethodGet && policyPath.MatchString(p):
		op, m = "GetLayerVersionPolicy", policyPath.FindStringSubmatch(p)
	case r.Method == http.MethodPost && policyPath.MatchString(p):
		op, m = "AddLayerVersionPermission", policyPath.FindStringSubmatch(p)
	default:
		if op, m = functionRoute(r); op == "" {
			op, m = lifecycleRoute(r)
		}
		if op == "" {
			writeError(w, 400, "InvalidRequestContentException", "fakelambda does not serve "+r.Method+" "+p)
			return
		}
	}

	s.mu.Lock()
	s.calls[op]++
	s.arrivals[op] = append(s.arrivals[op], time.Now())
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	var fault *Fault
	if q := s.faults[op]; len(q) > 0 {
		fault, s.faults[op] = &q[0], q[1:]
	}
	do := s.hook(op, s.calls[op])
	s.mu.Unlock()
	if do != nil {
		do()
	}
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}

	if fault != nil && !fault.AfterWork {
		s.fail(w, *fault)
		return
	}
	status, body := s.handle(op, m, r)
	if fault != nil {
		s.fail(w, *fault)
		return
	}
	if e, ok := body.(apiError); ok {
		writeError(w, status, e.code, e.msg)
		return
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// apiError is an error answer from handle.
type apiError struct{ code, msg string }

func (s *Server) fail(w http.ResponseWriter, f Fault) {
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	status, code := f.Status, f.Code
	if status == 0 {
		status, code = 500, "ServiceException"
	}
	writeError(w, status, code, f.Message)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func (s *Server) handle(op string, m []string, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if functionOps[op] {
		return s.handleFunction(op, m, r)
	}
	if lifecycleOps[op] {
		return s.handleLifecycle(op, m, r)
	}
	name, local := s.layerName(m[1])
	if !local {
		number := ""
		if len(m) > 2 {
			number = m[2]
		}
		return s.foreignLayer(op, m[1], number)
	}
	switch op {
	case "ListLayerVersions":
		vs := s.layers[name]
		start := 0
		if mk := r.URL.Query().Get("Marker"); mk != "" {
			start, _ = strconv.Atoi(mk)
		}
		// Newest first, as Lambda lists them, without deleted ones; the
		// marker counts the live versions already listed.
		var live []*version
		for i := len(vs) - 1; i >= 0; i-- {
			if !vs[i].Deleted {
				live = append(live, vs[i])
			}
		}
		var page []any
		for i := start; i < len(live) && len(page) < s.PageSize; i++ {
			page = append(page, s.summary(name, live[i]))
		}
		out := map[string]any{"LayerVersions": page}
		if next := start + len(page); next < len(live) {
			out["NextMarker"] = strconv.Itoa(next)
		}
		return 200, out
	case "PublishLayerVersion":
		if s.MaxBody > 0 && r.ContentLength >= s.MaxBody {
			return 413, apiError{"RequestEntityTooLargeException", fmt.Sprintf("Request must be smaller than %d bytes for the PublishLayerVersion operation", s.MaxBody)}
		}
		var in struct {
			Description             string
			LicenseInfo             string
			CompatibleRuntimes      []string
			CompatibleArchitectures []string
			Content                 struct {
				ZipFile  []byte
				S3Bucket string
				S3Key    string
			}
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return 400, apiError{"InvalidParameterValueException", err.Error()}
		}
		if len(in.Content.ZipFile) == 0 {
			return 400, apiError{"InvalidParameterValueException", "fakelambda takes only inline ZipFile content"}
		}
		if s.alter > 0 {
			s.alter--
			in.Content.ZipFile[len(in.Content.ZipFile)-1] ^= 0xff
		}
		sum := sha256.Sum256(in.Content.ZipFile)
		vs := s.layers[name]
		v := &version{Number: int64(len(vs) + 1), Description: in.Description, License: in.LicenseInfo,
			Runtimes: in.CompatibleRuntimes, Architectures: in.CompatibleArchitectures,
			CodeSha256: base64.StdEncoding.EncodeToString(sum[:]), CodeSize: int64(len(in.Content.ZipFile)),
			Created: time.Now().UTC().Format("2006-01-02T15:04:05.000-0700")}
		s.layers[name] = append(vs, v)
		return 201, s.detail(name, v)
	case "GetLayerVersion", "GetLayerVersionPolicy", "AddLayerVersionPermission", "DeleteLayerVersion":
		n, _ := strconv.ParseInt(m[2], 10, 64)
		vs := s.layers[name]
		if n < 1 || n > int64(len(vs)) || vs[n-1].Deleted {
			if op == "DeleteLayerVersion" {
				return 204, nil // nothing to delete is no error
			}
			return s.notFound(fmt.Sprintf("Layer version %s:%d not found", name, n))
		}
		v := vs[n-1]
		switch op {
		case "DeleteLayerVersion":
			v.Deleted = true
			return 204, nil
		case "GetLayerVersion":
			return 200, s.detail(name, v)
		case "GetLayerVersionPolicy":
			if len(v.Policy) == 0 {
				return s.notFound("No policy is associated with the given resource.")
			}
			doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": v.Policy})
			return 200, map[string]any{"Policy": string(doc), "RevisionId": "r1"}
		default:
			var in struct{ StatementId, Action, Principal, OrganizationId string }
			json.NewDecoder(r.Body).Decode(&in)
			for _, st := range v.Policy {
				if st["Sid"] == in.StatementId {
					return 409, apiError{"ResourceConflictException", "The statement id (" + in.StatementId + ") provided already exists."}
				}
			}
			st := map[string]any{"Sid": in.StatementId, "Effect": "Allow", "Principal": in.Principal, "Action": in.Action,
				"Resource": s.arn(name) + ":" + m[2]}
			if in.OrganizationId != "" {
				st["Condition"] = map[string]any{"StringEquals": map[string]string{"aws:PrincipalOrgID": in.OrganizationId}}
			}
			v.Policy = append(v.Policy, st)
			doc, _ := json.Marshal(st)
			return 201, map[string]any{"Statement": string(doc), "RevisionId": "r1"}
		}
	}
	return 400, apiError{"InvalidRequestContentException", "unknown operation"}
}

func (s *Server) notFound(msg string) (int, any) {
	return 404, apiError{"ResourceNotFoundException", msg}
}

func (s *Server) arn(name string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s", s.partition(), s.Region, s.Account, name)
}

// partition is the ARN partition of the server's region: aws-eusc for
// eusc-de-east-1, aws-cn for cn-north-1...
func (s *Server) partition() string { return lambdafacts.Partition(s.Region) }

// layerName is the name of the layer a request names (by name or ARN), and
// whether it is one of this account and region.
func (s *Server) layerName(nameOrARN string) (string, bool) {
	if !strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN, true
	}
	name, ok := strings.CutPrefix(nameOrARN, s.arn(""))
	return name, ok
}

// foreignLayer answers a call on another account's (or region's) layer:
// reading a version is allowed unless Unshare revoked it, as when its owner
// shares it with this account; anything else is denied, as Lambda grants
// other accounts nothing but lambda:GetLayerVersion.
func (s *Server) foreignLayer(op, layerARN, number string) (int, any) {
	if op == "GetLayerVersion" && !s.unshared[layerARN+":"+number] {
		sum := sha256.Sum256([]byte(layerARN + ":" + number))
		n, _ := strconv.ParseInt(number, 10, 64)
		return 200, map[string]any{"LayerArn": layerARN, "LayerVersionArn": layerARN + ":" + number, "Version": n,
			"Content": map[string]any{"CodeSha256": base64.StdEncoding.EncodeToString(sum[:]), "CodeSize": 100}}
	}
	if number != "" {
		layerARN += ":" + number
	}
	return accessDenied("lambda:"+op, layerARN)
}

// accessDenied is Lambda's answer to a call on a resource the caller may
// not use; for a layer version, also what a deleted version of another
// account looks like.
func accessDenied(action, resource string) (int, any) {
	return 403, apiError{"AccessDeniedException", "User: arn:aws:iam::123456789012:user/fakelambda is not authorized to perform: " +
		action + " on resource: " + resource + " because no resource-based policy allows the " + action + " action"}
}

// Unshare makes version arn of another account's layer unreadable, as when
// its owner revokes the share or deletes it: GetLayerVersion of it, and an
// update sending it in a function's Layers, answer 403
// AccessDeniedException.
func (s *Server) Unshare(arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unshared[arn] = true
}

func (s *Server) summary(name string, v *version) map[string]any {
	return map[string]any{
		"LayerVersionArn": fmt.Sprintf("%s:%d", s.arn(name), v.Number), "Version": v.Number,
		"Description": v.Description, "CreatedDate": v.Created, "LicenseInfo": v.License,
		"CompatibleRuntimes": v.Runtimes, "CompatibleArchitectures": v.Architectures,
	}
}

func (s *Server) detail(name string, v *version) map[string]any {
	d := s.summary(name, v)
	d["LayerArn"] = s.arn(name)
	d["Content"] = map[string]any{"CodeSha256": v.CodeSha256, "CodeSize": v.CodeSize, "Location": "https://example.invalid/" + name}
	return d
}
