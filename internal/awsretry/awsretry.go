// Package awsretry is how layerctl treats AWS errors: which are worth
// another try and after how long (honouring Lambda's Retry-After), which
// mean "not found" or "throttled", and how an access error is explained
// with the permissions a command needs. publish and attach import it; it
// imports only the SDK.
package awsretry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// Backoff waits exponentially longer from base, capped at most, with jitter
// over the upper half of each step; a throttle's Retry-After wins.
func Backoff(attempt int, err error, base, most time.Duration) time.Duration {
	var tm *types.TooManyRequestsException
	if errors.As(err, &tm) && tm.RetryAfterSeconds != nil {
		if s, perr := strconv.Atoi(aws.ToString(tm.RetryAfterSeconds)); perr == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	ceiling := min(most, base<<attempt)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// Retryable reports whether a failed call may succeed if made again:
// throttles, server errors, connections lost.
func Retryable(err error) bool {
	return IsThrottle(err) || retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// Sleep waits d, or less if ctx ends first (its error then).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// IsNotFound reports whether err is Lambda's ResourceNotFoundException.
func IsNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// IsThrottle reports whether err is Lambda's TooManyRequestsException.
func IsThrottle(err error) bool {
	var tm *types.TooManyRequestsException
	return errors.As(err, &tm)
}

// Short is an AWS error's code and message without the SDK's request
// details, for one-line logs.
func Short(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// Explain adds to an access error which permissions the command needs.
func Explain(err error, region, needs string) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.ErrorCode() {
	case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException":
		return fmt.Errorf("%s: %s; %s in %s", ae.ErrorCode(), ae.ErrorMessage(), needs, region)
	}
	return err
}
