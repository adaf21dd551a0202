package lambdafacts

import (
	"slices"
	"testing"
	"time"
)

func TestRuntimes(t *testing.T) {
	rs := Runtimes()
	for _, r := range []string{"python3.12", "nodejs22.x", "provided.al2023", "java21"} {
		if !slices.Contains(rs, r) {
			t.Errorf("Runtimes() lacks %s", r)
		}
	}
	if i, j := slices.Index(rs, "python3.9"), slices.Index(rs, "python3.10"); i < 0 || j < 0 || i > j {
		t.Errorf("Runtimes() puts python3.9 at %d and python3.10 at %d; want numeric order", i, j)
	}
	if !slices.IsSortedFunc(rs, CompareNatural) {
		t.Errorf("Runtimes() is not sorted: %v", rs)
	}
	rs[0] = "changed"
	if Runtimes()[0] == "changed" {
		t.Error("Runtimes() returns a shared slice")
	}
}

func TestDeprecatedAt(t *testing.T) {
	tests := []struct {
		runtime string
		want    bool
	}{
		{"python3.8", true},
		{"go1.x", true},
		{"provided", true},
		{"python3.12", false},
		{"provided.al2023", false},
		{"cobol", false},
	}
	checked, _ := time.Parse(time.DateOnly, LifecycleChecked)
	for _, tt := range tests {
		if got := DeprecatedAt(tt.runtime, checked); got != tt.want {
			t.Errorf("DeprecatedAt(%q, %s) = %v, want %v", tt.runtime, LifecycleChecked, got, tt.want)
		}
	}
}

func TestCompareNatural(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"python3.9", "python3.10", -1},
		{"python3.10", "python3.9", 1},
		{"java8", "java8.al2", -1},
		{"nodejs4.3", "nodejs4.3-edge", -1},
		{"a01", "a1", -1},
		{"x", "x", 0},
	}
	for _, tt := range tests {
		if got := CompareNatural(tt.a, tt.b); sign(got) != tt.want {
			t.Errorf("CompareNatural(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func sign(n int) int {
	return max(-1, min(1, n))
}
