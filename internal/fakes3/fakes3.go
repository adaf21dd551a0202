// Package fakes3 puts S3's answers that the moto emulator does not give in
// front of it, for tests: a proxy speaking S3's REST protocol that passes
// every request on to moto, except those a test queued an answer for. It
// reproduces a bucket in another region (HeadBucket 301 with the
// x-amz-bucket-region header), and what least privilege makes S3 answer
// (403 to HeadBucket without s3:ListBucket, 403 instead of 404 to HeadObject
// on a missing key), which moto, granting everything, never does. It
// records each request: method, path and whether it was signed.
package fakes3

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
)

// Answer is what the proxy answers one request with instead of passing it on.
type Answer struct {
	Status int               // HTTP status, e.g. 301 or 403
	Header map[string]string // e.g. "X-Amz-Bucket-Region": "eu-west-1"
	// Code and Message make the XML error body S3 sends; a HEAD answer has
	// no body, as S3's has none.
	Code, Message string
}

// Request is one request the proxy received.
type Request struct {
	Method, Path string
	Signed       bool // it carried an Authorization header
	Answered     bool // the proxy answered it (a queued Answer), moto did not
}

// Proxy is the S3 endpoint a test's client uses. Its zero value is not
// usable: call New.
type Proxy struct {
	*httptest.Server
	mu       sync.Mutex
	queued   map[string][]Answer // by method and path: "HEAD /bucket"
	requests []Request
}

// New starts a proxy to the S3 endpoint at target (moto's URL), on a
// loopback port; Close stops it. Clients address it path-style.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{queued: map[string][]Answer{}}
	next := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := p.take(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		answer(w, r, a)
	}))
	return p, nil
}

// Queue makes the proxy answer the next requests of method to path (as
// sent path-style: "/bucket" or "/bucket/key") with answers, one each.
func (p *Proxy) Queue(method, path string, answers ...Answer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := method + " " + path
	p.queued[k] = append(p.queued[k], answers...)
}

// Requests is every request received, in order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Count is how many requests of method to path were received.
func (p *Proxy) Count(method, path string) int {
	n := 0
	for _, r := range p.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// take records r and returns the answer queued for it, if any.
func (p *Proxy) take(r *http.Request) (Answer, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := r.Method + " " + r.URL.Path
	q := p.queued[k]
	req := Request{Method: r.Method, Path: r.URL.Path, Signed: r.Header.Get("Authorization") != "", Answered: len(q) > 0}
	p.requests = append(p.requests, req)
	if len(q) == 0 {
		return Answer{}, false
	}
	p.queued[k] = q[1:]
	return q[0], true
}

// answer writes a as S3 writes an error: its headers, a request ID, and
// the XML error body unless the request is a HEAD.
func answer(w http.ResponseWriter, r *http.Request, a Answer) {
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Amz-Request-Id", "FAKES3")
	if r.Method == http.MethodHead || a.Code == "" {
		w.WriteHeader(a.Status)
		return
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		RequestID string `xml:"RequestId"`
	}{Code: a.Code, Message: a.Message, RequestID: "FAKES3"})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(a.Status)
	w.Write(append([]byte(xml.Header), body...))
}
