package size

import (
	"testing"

	"github.com/layerctl/layerctl/internal/output"
)

// The domain's sizes read as cmd's do.
func TestTextIsOutputBytes(t *testing.T) {
	for _, n := range []int64{0, 1, 1023, 1024, 1536, 50 << 20, 262_144_000, 1 << 40, 1<<63 - 1} {
		if got, want := Text(n), output.Bytes(n); got != want {
			t.Errorf("Text(%d) = %q, output.Bytes says %q", n, got, want)
		}
	}
	if got := Text(262_144_000); got != "250.0 MB" {
		t.Errorf("Lambda's limit reads %q", got)
	}
}
