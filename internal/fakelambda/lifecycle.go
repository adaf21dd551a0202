package fakelambda

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

// What status and prune read that attach does not: every published
// version of every function (ListFunctions with FunctionVersion=ALL), the
// aliases of a function (ListAliases), the account's code storage
// (GetAccountSettings), and a hook to change the account between two calls.

// AccountSettings is what GetAccountSettings answers; nil (the default)
// answers 404, as moto does.
type AccountSettings struct {
	TotalCodeSizeUsed, TotalCodeSizeLimit int64
	FunctionCount                         int64
}

// SetAccountSettings makes GetAccountSettings answer a (nil: 404).
// lifecycleOps are the calls status and prune make besides attach's.
var lifecycleOps = map[string]bool{"ListAliases": true, "GetAccountSettings": true}

func (s *Server) SetAccountSettings(a *AccountSettings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account = a
}

// OnCall runs do when the nth request of op (from 1) arrives, before it is
// served and without the server's lock held: another party acting between
// two calls of the code under test (a function that starts using a layer
// version between prune's plan and its delete).
func (s *Server) OnCall(op string, n int, do func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.onCall == nil {
		s.onCall = map[string]map[int]func(){}
	}
	if s.onCall[op] == nil {
		s.onCall[op] = map[int]func(){}
	}
	s.onCall[op][n] = do
}

// SetLayers sets a function's ($LATEST) Layers, as another party's update
// would; it moves its RevisionId on.
func (s *Server) SetLayers(function string, layers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.functions[function]
	f.cfg.Layers = slices.Clone(layers)
	f.revision++
}

// hook is the OnCall action due for the nth call of op, if any; the caller
// holds s.mu.
func (s *Server) hook(op string, n int) func() {
	do := s.onCall[op][n]
	delete(s.onCall[op], n)
	return do
}

var (
	aliasesPath         = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/aliases$`)
	accountSettingsPath = regexp.MustCompile(`^/2016-08-19/account-settings/?$`)
)

// lifecycleRoute names the operation of this file that r asks for, "" if
// none.
func lifecycleRoute(r *http.Request) (string, []string) {
	if r.Method != http.MethodGet {
		return "", nil
	}
	if m := aliasesPath.FindStringSubmatch(r.URL.Path); m != nil {
		return "ListAliases", m
	}
	if m := accountSettingsPath.FindStringSubmatch(r.URL.Path); m != nil {
		return "GetAccountSettings", m
	}
	return "", nil
}

// handleLifecycle serves an operation of this file; the caller holds s.mu.
func (s *Server) handleLifecycle(op string, m []string, r *http.Request) (int, any) {
	if op == "GetAccountSettings" {
		if s.account == nil {
			return 404, apiError{"ResourceNotFoundException", "Not yet implemented"}
		}
		return 200, map[string]any{
			"AccountLimit": map[string]any{"TotalCodeSize": s.account.TotalCodeSizeLimit, "CodeSizeZipped": 52428800, "CodeSizeUnzipped": 262144000, "ConcurrentExecutions": 1000},
			"AccountUsage": map[string]any{"TotalCodeSize": s.account.TotalCodeSizeUsed, "FunctionCount": s.account.FunctionCount},
		}
	}
	if s.overRate(op) {
		return 429, apiError{"TooManyRequestsException", "Rate exceeded"}
	}
	name := functionName(m[1])
	f := s.functions[name]
	if f == nil {
		return s.notFound("Function not found: " + s.functionARN(name))
	}
	want := r.URL.Query().Get("FunctionVersion")
	var all []any
	for _, n := range slices.Sorted(maps.Keys(f.aliases)) {
		a := f.aliases[n]
		if want == "" || want == a.version {
			all = append(all, map[string]any{"AliasArn": s.functionARN(name) + ":" + n, "Name": n, "FunctionVersion": a.version, "RevisionId": aliasRevision(a)})
		}
	}
	page, next := s.page(all, r)
	out := map[string]any{"Aliases": page}
	if next != "" {
		out["NextMarker"] = next
	}
	return 200, out
}

// page is the part of items a request's Marker and MaxItems select (at
// most PageSize), and the marker of the next page ("" after the last).
func (s *Server) page(items []any, r *http.Request) ([]any, string) {
	start, _ := strconv.Atoi(r.URL.Query().Get("Marker"))
	size := s.PageSize
	if n, err := strconv.Atoi(r.URL.Query().Get("MaxItems")); err == nil && n > 0 && n < size {
		size = n
	}
	page := []any{}
	for i := start; i < len(items) && len(page) < size; i++ {
		page = append(page, items[i])
	}
	if next := start + len(page); next < len(items) {
		return page, strconv.Itoa(next)
	}
	return page, ""
}

// allVersions is every configuration ListFunctions with FunctionVersion=ALL
// lists: each function's $LATEST, then its published versions, in order.
func (s *Server) allVersions() []any {
	var out []any
	for _, name := range slices.Sorted(maps.Keys(s.functions)) {
		f := s.functions[name]
		s.settle(f)
		out = append(out, s.configuration(f))
		for n := 1; n <= len(f.versions); n++ {
			out = append(out, s.versionConfiguration(f, n))
		}
	}
	return out
}
