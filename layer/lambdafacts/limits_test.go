package lambdafacts

import (
	"encoding/base64"
	"testing"
)

// MaxInline is the largest ZIP whose smallest request fits under
// MaxPublishBody: one byte more does not.
func TestMaxInlineIsTheLargestThatFits(t *testing.T) {
	if n := len(`{"Content":{"ZipFile":""}}`); n != smallestPublishBody {
		t.Fatalf("smallestPublishBody = %d, want %d", smallestPublishBody, n)
	}
	body := func(zip int) int { return smallestPublishBody + base64.StdEncoding.EncodedLen(zip) }
	if MaxInline != 52_625_388 {
		t.Errorf("MaxInline = %d, want 52,625,388", MaxInline)
	}
	if b := body(MaxInline); b >= MaxPublishBody {
		t.Errorf("a %d-byte ZIP makes a %d-byte body, not under %d", MaxInline, b, MaxPublishBody)
	}
	if b := body(MaxInline + 1); b < MaxPublishBody {
		t.Errorf("a %d-byte ZIP makes a %d-byte body, still under %d", MaxInline+1, b, MaxPublishBody)
	}
}
