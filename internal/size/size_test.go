package size

import "testing"

// Sizes read as AWS writes its limits, the domain's and cmd's alike (both
// write them with Text).
func TestText(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{1023, "1023 B"},
		{1024, "1.0 KB"},
		{1536, "1.5 KB"},
		{50 << 20, "50.0 MB"},
		{262_144_000, "250.0 MB"}, // Lambda's limit
		{1 << 40, "1.0 TB"},
		{1<<63 - 1, "8.0 EB"},
	} {
		if got := Text(c.n); got != c.want {
			t.Errorf("Text(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
