// Package fakests puts in front of the moto emulator the STS answer it
// never gives, for tests: AccessDenied to an AssumeRole of a role whose
// trust policy does not let the caller in (moto lets anyone assume any
// role, even one that does not exist). It is a proxy speaking STS's query
// protocol: every request goes on to moto except an AssumeRole of a role
// the test denied, which it answers as STS does. It counts the AssumeRole
// calls per role.
package fakests

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
)

// maxBody bounds the request body read: an STS request is a small form.
const maxBody = 1 << 20

// Proxy is the STS endpoint a test's client uses. Its zero value is not
// usable: call New.
type Proxy struct {
	*httptest.Server
	mu      sync.Mutex
	denied  map[string]bool
	assumed map[string]int
}

// New starts a proxy to target (moto's URL) on a loopback port; Close
// stops it.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{denied: map[string]bool{}, assumed: map[string]int{}}
	next := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			http.Error(w, "fakests: request body unreadable or too large", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") == "AssumeRole" && p.deny(form.Get("RoleArn")) {
			accessDenied(w, form.Get("RoleArn"))
			return
		}
		next.ServeHTTP(w, r)
	}))
	return p, nil
}

// Deny makes every AssumeRole of role fail with AccessDenied, as STS
// answers when the role's trust policy does not name the caller (or the
// role does not exist).
func (p *Proxy) Deny(role string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.denied[role] = true
}

// Assumed is how many AssumeRole requests of role arrived, denied or not.
func (p *Proxy) Assumed(role string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.assumed[role]
}

func (p *Proxy) deny(role string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.assumed[role]++
	return p.denied[role]
}

// accessDenied writes STS's answer to an AssumeRole it refuses.
func accessDenied(w http.ResponseWriter, role string) {
	type stsError struct {
		Type    string
		Code    string
		Message string
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
		Error     stsError
		RequestID string `xml:"RequestId"`
	}{
		Error:     stsError{Type: "Sender", Code: "AccessDenied", Message: "User: arn:aws:sts::123456789012:assumed-role/ci/job is not authorized to perform: sts:AssumeRole on resource: " + role},
		RequestID: "FAKESTS",
	})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", "FAKESTS")
	w.WriteHeader(http.StatusForbidden)
	w.Write(append([]byte(xml.Header), body...))
}
