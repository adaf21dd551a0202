package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/aws/smithy-go/middleware"
)

// UnreachableError is an AWS endpoint that could not be reached at all:
// the connection was refused, the name did not resolve, the connection
// timed out. Its message says which endpoint and region, and what to
// check, instead of the SDK's chain of retries; Unwrap gives that chain.
type UnreachableError struct {
	Service  string // Lambda, S3, STS
	Endpoint string // scheme://host[:port]
	Region   string
	Reason   string // connection refused, no such host, timed out
	Custom   bool   // an endpoint given by --endpoint-url or AWS_ENDPOINT_URL*
	Err      error
}

func (e *UnreachableError) Error() string {
	hint := "check the network and any proxy (HTTPS_PROXY), and that the region is right"
	if e.Custom {
		hint = "is the endpoint up? check --endpoint-url/AWS_ENDPOINT_URL"
	}
	return fmt.Sprintf("cannot reach %s at %s (%s): %s: %s", e.Service, e.Endpoint, e.Region, e.Reason, hint)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// unreachable is the SDK's error for a call that could not connect, made
// an *UnreachableError; other errors pass as they are. It sees the error
// after the SDK's retries, before the operation's name is put on it.
func unreachable(service, region string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("layerctl/unreachable",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err != nil && ctx.Err() == nil {
					if ue := asUnreachable(err, service, region); ue != nil {
						err = ue
					}
				}
				return out, md, err
			}), middleware.Before)
	}
}

// asUnreachable recognises a failure to connect (a dial or a name lookup
// that failed) in err, or returns nil.
func asUnreachable(err error, service, region string) *UnreachableError {
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return nil
	}
	var urlErr *url.Error
	if !errors.As(err, &urlErr) {
		return nil
	}
	reason := ""
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var errno syscall.Errno
	switch {
	case errors.As(err, &dnsErr):
		reason = "cannot resolve " + dnsErr.Name
		if dnsErr.IsNotFound {
			reason += ": no such host"
		}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		switch {
		case opErr.Timeout():
			reason = "the connection timed out"
		case errors.As(opErr.Err, &errno):
			reason = errno.Error()
		default:
			reason = opErr.Err.Error()
		}
	default:
		return nil
	}
	endpoint := urlErr.URL
	custom := true
	if u, perr := url.Parse(urlErr.URL); perr == nil && u.Host != "" {
		endpoint = u.Scheme + "://" + u.Host
		host := u.Hostname()
		custom = !strings.HasSuffix(host, ".amazonaws.com") && !strings.HasSuffix(host, ".amazonaws.com.cn") && !strings.HasSuffix(host, ".api.aws")
	}
	return &UnreachableError{Service: service, Endpoint: endpoint, Region: region, Reason: reason, Custom: custom, Err: err}
}
