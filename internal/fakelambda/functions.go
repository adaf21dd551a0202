package fakelambda

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Function is a Lambda function as tests set it up and read it back.
type Function struct {
	Name          string
	Runtime       string   // "" with PackageType "Image"
	PackageType   string   // "Zip" (the default) or "Image"
	Architectures []string // default [x86_64]
	Layers        []string // layer version ARNs, in order
	CodeSize      int64    // zipped size of the function's code
	Tags          map[string]string
	// Env stands for the rest of a function's configuration: what another
	// party may change concurrently, and what attach must leave alone.
	Env map[string]string
	// SnapStart is SnapStart.ApplyOn PublishedVersions: each version
	// published is Pending for the server's SnapStartDuration (its
	// snapshot being made), then Active, or Failed with SnapStartFailure
	// when that is set.
	SnapStart        bool
	SnapStartFailure string
}

// FunctionState is a function as the fake holds it now.
type FunctionState struct {
	Function
	RevisionId string
	Status     string   // LastUpdateStatus: Successful, InProgress or Failed
	Updates    int      // UpdateFunctionConfiguration calls accepted
	History    []string // each accepted Layers list, joined with ","
	Versions   []string // published versions' Layers, joined with ","; Versions[0] is version 1
	Aliases    map[string]string
	// AliasedPending counts the times an alias was pointed at a version
	// that was not Active yet: calls through it would have failed
	// (SnapStartNotReadyException).
	AliasedPending int
}

// function is the fake's record of one function.
type function struct {
	cfg            Function
	revision       int
	status         string
	reason         string
	updateEnds     time.Time
	updates        int
	history        []string
	versions       []publishedVersion
	aliases        map[string]*alias
	pendingAliased int
	afterRead      []func(*Function) // concurrent changes made right after the next read
	afterEnd       []func(*Function) // made right after the first read once an update ended
	failWith       string            // when set, updates (those failWhen selects) end Failed with this reason
	failWhen       func(layers []string) bool
	failing        bool // the update in progress will end Failed
}

type alias struct {
	version  string
	revision int
}

// publishedVersion is a function version: the configuration published,
// and when its snapshot is ready (SnapStart).
type publishedVersion struct {
	cfg     Function
	readyAt time.Time
}

// state is the version's State now: Pending until its snapshot is ready,
// then Active, or Failed.
func (v publishedVersion) state() (state, reason string) {
	switch {
	case time.Now().Before(v.readyAt):
		return "Pending", ""
	case v.cfg.SnapStart && v.cfg.SnapStartFailure != "":
		return "Failed", v.cfg.SnapStartFailure
	}
	return "Active", ""
}

// PutFunction creates or replaces a function; it starts Successful.
func (s *Server) PutFunction(f Function) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.functions == nil {
		s.functions = map[string]*function{}
	}
	if f.PackageType == "" {
		f.PackageType = "Zip"
	}
	if len(f.Architectures) == 0 {
		f.Architectures = []string{"x86_64"}
	}
	if f.CodeSize == 0 {
		f.CodeSize = 1024
	}
	f.Layers = slices.Clone(f.Layers)
	f.Tags, f.Env = maps.Clone(f.Tags), maps.Clone(f.Env)
	s.functions[f.Name] = &function{cfg: f, revision: 1, status: "Successful", aliases: map[string]*alias{}}
}

// PutAlias points a function's alias at one of its published versions
// ("$LATEST" included).
func (s *Server) PutAlias(function, name, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.functions[function].aliases[name] = &alias{version: version, revision: 1}
}

// PublishFunctionVersion publishes the function's current configuration as
// a version, as a deploy before the test would have, and returns its number.
func (s *Server) PublishFunctionVersion(function string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.functions[function]
	f.versions = append(f.versions, publishedVersion{cfg: clone(f.cfg)})
	return strconv.Itoa(len(f.versions))
}

// ChangeAfterRead makes another party change the function right after the
// next GetFunction or GetFunctionConfiguration of it has been answered: whoever read it then
// holds a stale RevisionId. change runs with the server's lock held.
func (s *Server) ChangeAfterRead(function string, change func(*Function)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.functions[function]
	f.afterRead = append(f.afterRead, change)
}

// ChangeAfterUpdate makes another party change the function right after
// the first GetFunction or GetFunctionConfiguration that finds an update ended: whoever
// read it then holds a stale RevisionId. change runs with the lock held.
func (s *Server) ChangeAfterUpdate(function string, change func(*Function)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.functions[function]
	f.afterEnd = append(f.afterEnd, change)
}

// FailUpdates makes the later updates of the function that set Layers
// for which when is true (all of them when when is nil) end Failed with
// reason, as Lambda reports an update it could not apply.
func (s *Server) FailUpdates(function, reason string, when func(layers []string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.functions[function].failWith = reason
	s.functions[function].failWhen = when
}

// FunctionState returns the function as the fake holds it now.
func (s *Server) FunctionState(name string) FunctionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.functions[name]
	if f == nil {
		return FunctionState{}
	}
	s.settle(f)
	st := FunctionState{Function: clone(f.cfg), RevisionId: f.revisionID(), Status: f.status, Updates: f.updates,
		History: slices.Clone(f.history), Aliases: map[string]string{}}
	for _, v := range f.versions {
		st.Versions = append(st.Versions, strings.Join(v.cfg.Layers, ","))
	}
	st.AliasedPending = f.pendingAliased
	for n, a := range f.aliases {
		st.Aliases[n] = a.version
	}
	return st
}

// AddLayerVersion adds a layer version without content, for functions to
// use, and returns its ARN. The version reports codeSize as its CodeSize.
func (s *Server) AddLayerVersion(layer string, runtimes, architectures []string, codeSize int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.layers[layer]
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d", layer, len(vs)+1)))
	v := &version{Number: int64(len(vs) + 1), Runtimes: runtimes, Architectures: architectures,
		CodeSha256: base64.StdEncoding.EncodeToString(sum[:]), CodeSize: codeSize,
		Created: time.Now().UTC().Format("2006-01-02T15:04:05.000-0700")}
	s.layers[layer] = append(vs, v)
	return fmt.Sprintf("%s:%d", s.arn(layer), v.Number)
}

// Conflict is a 409 ResourceConflictException, as Lambda answers while an
// update of the function is in progress.
func Conflict() Fault {
	return Fault{Status: 409, Code: "ResourceConflictException", Message: "The operation cannot be performed at this time. An update is in progress for resource."}
}

func clone(f Function) Function {
	f.Layers, f.Architectures = slices.Clone(f.Layers), slices.Clone(f.Architectures)
	f.Tags, f.Env = maps.Clone(f.Tags), maps.Clone(f.Env)
	return f
}

func (f *function) revisionID() string {
	return fmt.Sprintf("%s-rev-%d", f.cfg.Name, f.revision)
}

// settle ends an update whose time is up. Like Lambda, the end of an update
// is a change of its own: the RevisionId moves on.
func (s *Server) settle(f *function) {
	if f.status != "InProgress" || time.Now().Before(f.updateEnds) {
		return
	}
	f.status, f.reason = "Successful", ""
	if f.failing {
		// The function keeps the configuration that failed: the pessimistic
		// reading of the docs, which makes the caller put it back.
		f.status, f.reason = "Failed", f.failWith
	}
	f.revision++
}

var (
	functionsPath = regexp.MustCompile(`^/2015-03-31/functions/?$`)
	functionPath  = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)$`)
	configPath    = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/configuration$`)
	fnVersionPath = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/versions$`)
	aliasPath     = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/aliases/([^/]+)$`)
	tagsPath      = regexp.MustCompile(`^/2017-03-31/tags/(.+)$`)
)

// functionOps are the operations functions.go serves.
var functionOps = map[string]bool{"ListFunctions": true, "GetFunction": true, "GetFunctionConfiguration": true,
	"UpdateFunctionConfiguration": true, "PublishVersion": true, "GetAlias": true, "UpdateAlias": true, "ListTags": true}

// functionRoute names the function operation r asks for, "" if none.
func functionRoute(r *http.Request) (string, []string) {
	p := r.URL.Path
	routes := []struct {
		method, op string
		re         *regexp.Regexp
	}{
		{http.MethodGet, "ListFunctions", functionsPath},
		{http.MethodGet, "GetFunction", functionPath},
		{http.MethodGet, "GetFunctionConfiguration", configPath},
		{http.MethodPut, "UpdateFunctionConfiguration", configPath},
		{http.MethodPost, "PublishVersion", fnVersionPath},
		{http.MethodGet, "GetAlias", aliasPath},
		{http.MethodPut, "UpdateAlias", aliasPath},
		{http.MethodGet, "ListTags", tagsPath},
	}
	for _, rt := range routes {
		if r.Method == rt.method {
			if m := rt.re.FindStringSubmatch(p); m != nil {
				return rt.op, m
			}
		}
	}
	return "", nil
}

// Throttled is how many function calls ControlPlaneRate refused.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// overRate reports whether a control-plane call now goes over
// ControlPlaneRate, and counts it if not.
func (s *Server) overRate(op string) bool {
	if s.ControlPlaneRate <= 0 || op == "GetFunction" {
		return false
	}
	now := time.Now()
	recent := s.controlCalls[:0]
	for _, t := range s.controlCalls {
		if now.Sub(t) < time.Second {
			recent = append(recent, t)
		}
	}
	s.controlCalls = recent
	if len(recent) >= s.ControlPlaneRate {
		s.throttled++
		return true
	}
	s.controlCalls = append(s.controlCalls, now)
	return false
}

// handleFunction serves a function operation; the caller holds s.mu.
func (s *Server) handleFunction(op string, m []string, r *http.Request) (int, any) {
	if s.overRate(op) {
		return 429, apiError{"TooManyRequestsException", "Rate exceeded"}
	}
	if op == "ListFunctions" {
		return s.listFunctions(r)
	}
	name := functionName(m[1])
	if op == "ListTags" {
		name = m[1][strings.LastIndex(m[1], ":")+1:]
	}
	f := s.functions[name]
	if f == nil {
		return s.notFound("Function not found: " + s.functionARN(name))
	}
	s.settle(f)
	switch op {
	case "GetFunctionConfiguration", "GetFunction":
		out := s.configuration(f)
		if q := r.URL.Query().Get("Qualifier"); q != "" && q != "$LATEST" {
			n, err := strconv.Atoi(q)
			if err != nil || n < 1 || n > len(f.versions) {
				return s.notFound("Function not found: " + s.functionARN(name) + ":" + q)
			}
			out = s.versionConfiguration(f, n)
		}
		if op == "GetFunction" {
			out = map[string]any{"Configuration": out, "Tags": f.cfg.Tags,
				"Code": map[string]any{"RepositoryType": "S3", "Location": "https://example.invalid/" + name}}
		}
		changes := f.afterRead
		f.afterRead = nil
		if f.updates > 0 && f.status != "InProgress" {
			changes, f.afterEnd = append(changes, f.afterEnd...), nil
		}
		for _, change := range changes {
			change(&f.cfg)
			f.revision++
		}
		return 200, out
	case "ListTags":
		return 200, map[string]any{"Tags": f.cfg.Tags}
	case "UpdateFunctionConfiguration":
		return s.updateConfiguration(f, r)
	case "PublishVersion":
		return s.publishVersion(f, r)
	case "GetAlias", "UpdateAlias":
		a := f.aliases[m[2]]
		if a == nil {
			return s.notFound(fmt.Sprintf("Alias not found: %s:%s", s.functionARN(name), m[2]))
		}
		if op == "UpdateAlias" {
			var in struct{ FunctionVersion, RevisionId string }
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				return 400, apiError{"InvalidParameterValueException", err.Error()}
			}
			if in.RevisionId != "" && in.RevisionId != aliasRevision(a) {
				return 412, apiError{"PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id"}
			}
			if n, err := strconv.Atoi(in.FunctionVersion); in.FunctionVersion != "$LATEST" && (err != nil || n < 1 || n > len(f.versions)) {
				return 404, apiError{"ResourceNotFoundException", "Function not found: " + s.functionARN(name) + ":" + in.FunctionVersion}
			}
			if n, err := strconv.Atoi(in.FunctionVersion); err == nil {
				if state, _ := f.versions[n-1].state(); state != "Active" {
					f.pendingAliased++
				}
			}
			a.version = in.FunctionVersion
			a.revision++
		}
		return 200, map[string]any{"AliasArn": s.functionARN(name) + ":" + m[2], "Name": m[2], "FunctionVersion": a.version, "RevisionId": aliasRevision(a)}
	}
	return 400, apiError{"InvalidRequestContentException", "unknown operation"}
}

func aliasRevision(a *alias) string { return "alias-rev-" + strconv.Itoa(a.revision) }

// functionName is the name in a function's name or ARN.
func functionName(s string) string {
	if i := strings.LastIndex(s, ":function:"); i >= 0 {
		return s[i+len(":function:"):]
	}
	return s
}

func (s *Server) listFunctions(r *http.Request) (int, any) {
	var all []any
	if r.URL.Query().Get("FunctionVersion") == "ALL" {
		all = s.allVersions()
	} else {
		for _, name := range slices.Sorted(maps.Keys(s.functions)) {
			f := s.functions[name]
			s.settle(f)
			all = append(all, s.configuration(f))
		}
	}
	page, next := s.page(all, r)
	out := map[string]any{"Functions": page}
	if next != "" {
		out["NextMarker"] = next
	}
	return 200, out
}

func (s *Server) updateConfiguration(f *function, r *http.Request) (int, any) {
	var in struct {
		Layers     *[]string
		RevisionId string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return 400, apiError{"InvalidParameterValueException", err.Error()}
	}
	if f.status == "InProgress" {
		return 409, apiError{"ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: " + s.functionARN(f.cfg.Name)}
	}
	if in.RevisionId != "" && in.RevisionId != f.revisionID() {
		return 412, apiError{"PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	}
	if slices.Contains(s.BlockedRuntimes, f.cfg.Runtime) {
		return 400, apiError{"InvalidParameterValueException", "The runtime parameter of " + f.cfg.Runtime +
			" is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions."}
	}
	if in.Layers != nil {
		layers := *in.Layers
		if f.cfg.PackageType == "Image" && len(layers) > 0 {
			return 400, apiError{"InvalidParameterValueException", "Layers are not supported for functions with package type Image."}
		}
		if len(layers) > 5 {
			return 400, apiError{"InvalidParameterValueException", "Cannot reference more than 5 layers."}
		}
		seen := map[string]bool{}
		for _, arn := range layers {
			i := strings.LastIndex(arn, ":")
			if i < 0 || seen[arn[:i]] {
				return 400, apiError{"InvalidParameterValueException", "Two different versions of the same layer are not allowed."}
			}
			seen[arn[:i]] = true
			if s.unshared[arn] {
				// Lambda authorizes lambda:GetLayerVersion on every layer an update sends.
				return accessDenied("lambda:GetLayerVersion", arn)
			}
			if !s.layerExists(arn) {
				return 400, apiError{"InvalidParameterValueException", "Layer version " + arn + " does not exist."}
			}
		}
		f.cfg.Layers = slices.Clone(layers)
	}
	f.updates++
	f.history = append(f.history, strings.Join(f.cfg.Layers, ","))
	f.revision++
	f.status, f.reason = "InProgress", ""
	f.updateEnds = time.Now().Add(s.UpdateDuration)
	f.failing = f.failWith != "" && (f.failWhen == nil || f.failWhen(f.cfg.Layers))
	out := s.configuration(f)
	s.settle(f) // an UpdateDuration of 0 ends at once, but answers InProgress as Lambda does
	return 200, out
}

// layerExists reports whether arn names a version this fake holds; ARNs of
// layers it does not hold (other accounts' layers) are taken as they are.
func (s *Server) layerExists(arn string) bool {
	rest, ok := strings.CutPrefix(arn, s.arn(""))
	if !ok {
		return true
	}
	name, num, ok := strings.Cut(rest, ":")
	vs, held := s.layers[name]
	if !ok || !held {
		return true
	}
	n, err := strconv.Atoi(num)
	return err == nil && n >= 1 && n <= len(vs) && !vs[n-1].Deleted
}

func (s *Server) publishVersion(f *function, r *http.Request) (int, any) {
	var in struct{ CodeSha256, RevisionId string }
	json.NewDecoder(r.Body).Decode(&in)
	if f.status == "InProgress" {
		return 409, apiError{"ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: " + s.functionARN(f.cfg.Name)}
	}
	if in.RevisionId != "" && in.RevisionId != f.revisionID() {
		return 412, apiError{"PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	}
	if in.CodeSha256 != "" && in.CodeSha256 != codeSha(f.cfg) {
		return 412, apiError{"PreconditionFailedException", "CodeSHA256 (" + in.CodeSha256 + ") is different from current CodeSHA256 in $LATEST. Please try again with the CodeSHA256 in $LATEST."}
	}
	// Like Lambda, nothing new is published when nothing changed.
	if n := len(f.versions); n == 0 || !slices.Equal(f.versions[n-1].cfg.Layers, f.cfg.Layers) || !maps.Equal(f.versions[n-1].cfg.Env, f.cfg.Env) {
		v := publishedVersion{cfg: clone(f.cfg)}
		if f.cfg.SnapStart {
			v.readyAt = time.Now().Add(s.SnapStartDuration)
		}
		f.versions = append(f.versions, v)
	}
	return 201, s.versionConfiguration(f, len(f.versions))
}

// versionConfiguration is published version n of the function, as
// GetFunction with its Qualifier and PublishVersion give it.
func (s *Server) versionConfiguration(f *function, n int) map[string]any {
	v := f.versions[n-1]
	out := s.configuration(&function{cfg: v.cfg, revision: f.revision, status: "Successful"})
	out["Version"] = strconv.Itoa(n)
	out["FunctionArn"] = s.functionARN(f.cfg.Name) + ":" + strconv.Itoa(n)
	state, reason := v.state()
	out["State"] = state
	if reason != "" {
		out["StateReason"], out["StateReasonCode"] = reason, "FunctionError"
	}
	if v.cfg.SnapStart {
		out["SnapStart"] = map[string]any{"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
	}
	return out
}

func codeSha(f Function) string {
	sum := sha256.Sum256([]byte(f.Name))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func (s *Server) functionARN(name string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", s.partition(), s.Region, s.Account, name)
}

func (s *Server) configuration(f *function) map[string]any {
	return s.configurationOf(f, f.cfg)
}

// configurationOf is c, one of f's configurations ($LATEST or a published
// version), as Lambda answers it.
func (s *Server) configurationOf(f *function, c Function) map[string]any {
	layers := []any{}
	for _, arn := range c.Layers {
		var size int64
		if rest, ok := strings.CutPrefix(arn, s.arn("")); ok {
			if name, num, ok := strings.Cut(rest, ":"); ok {
				if n, err := strconv.Atoi(num); err == nil && n >= 1 && n <= len(s.layers[name]) {
					size = s.layers[name][n-1].CodeSize
				}
			}
		}
		layers = append(layers, map[string]any{"Arn": arn, "CodeSize": size})
	}
	out := map[string]any{
		"FunctionName": c.Name, "FunctionArn": s.functionARN(c.Name), "PackageType": c.PackageType,
		"Architectures": c.Architectures, "Layers": layers, "CodeSize": c.CodeSize, "CodeSha256": codeSha(c),
		"RevisionId": f.revisionID(), "State": "Active", "LastUpdateStatus": f.status, "Version": "$LATEST",
		"Role": "arn:aws:iam::" + s.Account + ":role/fake", "Environment": map[string]any{"Variables": c.Env},
	}
	if c.Runtime != "" {
		out["Runtime"], out["Handler"] = c.Runtime, "app.handler"
	}
	// SnapStart makes snapshots of published versions only: $LATEST's
	// optimization is always Off.
	snap := map[string]any{"ApplyOn": "None", "OptimizationStatus": "Off"}
	if c.SnapStart {
		snap["ApplyOn"] = "PublishedVersions"
	}
	out["SnapStart"] = snap
	if f.reason != "" {
		out["LastUpdateStatusReason"], out["LastUpdateStatusReasonCode"] = f.reason, "InvalidConfiguration"
	}
	return out
}
