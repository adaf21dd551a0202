package awsretry

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

func TestBackoffHonoursRetryAfter(t *testing.T) {
	err := fmt.Errorf("calling: %w", &types.TooManyRequestsException{RetryAfterSeconds: aws.String("3")})
	if d := Backoff(0, err, time.Millisecond, time.Second); d != 3*time.Second {
		t.Errorf("Backoff with Retry-After 3 = %v, want 3s", d)
	}
	if !IsThrottle(err) || !Retryable(err) {
		t.Errorf("a wrapped TooManyRequestsException is not a retryable throttle")
	}
}

func TestBackoffIsJitteredAndCapped(t *testing.T) {
	base, most := 100*time.Millisecond, time.Second
	for attempt := range 8 {
		ceiling := min(most, base<<attempt)
		for range 50 {
			if d := Backoff(attempt, errors.New("x"), base, most); d < ceiling/2 || d > ceiling {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", attempt, d, ceiling/2, ceiling)
			}
		}
	}
}

func TestExplainNamesThePermissions(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}
	got := Explain(denied, "eu-west-1", "the credentials need lambda:GetFunction")
	if want := "AccessDeniedException: not allowed; the credentials need lambda:GetFunction in eu-west-1"; got.Error() != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
	other := &types.ResourceNotFoundException{Message: aws.String("no such layer")}
	if got := Explain(other, "eu-west-1", "x"); got != error(other) {
		t.Errorf("Explain changed a non-access error: %v", got)
	}
	if !IsNotFound(fmt.Errorf("w: %w", other)) || !strings.HasPrefix(Short(other), "ResourceNotFoundException: ") {
		t.Errorf("IsNotFound/Short of ResourceNotFoundException: %v %q", IsNotFound(other), Short(other))
	}
}
