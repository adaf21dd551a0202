package lambdafacts

import (
	"slices"
	"testing"
)

func TestPathFamily(t *testing.T) {
	tests := []struct{ rt, family, version string }{
		{"python3.12", "python", "3.12"},
		{"python3.9", "python", "3.9"},
		{"nodejs22.x", "nodejs", "22"},
		{"nodejs4.3-edge", "nodejs", "4"},
		{"java21", "java", "21"},
		{"java8.al2", "java", "8"},
		{"ruby3.3", "ruby", "3.3"},
		{"provided.al2023", "", ""},
		{"dotnet8", "", ""},
		{"go1.x", "", ""},
		{"nodejs", "", ""}, // no version: no versioned paths either
		{"", "", ""},
		{"İ3", "", ""}, // lower-casing makes it longer: no panic
	}
	for _, tt := range tests {
		f, v := PathFamily(tt.rt)
		if f != tt.family || v != tt.version {
			t.Errorf("PathFamily(%q) = %q, %q; want %q, %q", tt.rt, f, v, tt.family, tt.version)
		}
	}
}

func TestRuntimeFamily(t *testing.T) {
	for rt, want := range map[string]string{"python3.12": "python", "nodejs22.x": "nodejs", "provided.al2023": "provided", "Java21": "java", "dotnet8": "dotnet"} {
		if got := RuntimeFamily(rt); got != want {
			t.Errorf("RuntimeFamily(%q) = %q, want %q", rt, got, want)
		}
	}
}

func TestRootContentRuntimes(t *testing.T) {
	tests := []struct {
		rt               string
		bootstrap, wraps bool
	}{
		{"provided.al2023", true, false},
		{"provided.al2", true, false},
		{"provided", true, false},
		{"python3.12", false, true},
		{"nodejs22.x", false, true},
		{"java21", false, true},
		{"dotnet8", false, true},
		{"ruby3.3", false, true},
		{"go1.x", false, false},
	}
	for _, tt := range tests {
		if got := RunsBootstrap(tt.rt); got != tt.bootstrap {
			t.Errorf("RunsBootstrap(%q) = %v", tt.rt, got)
		}
		if got := TakesExecWrapper(tt.rt); got != tt.wraps {
			t.Errorf("TakesExecWrapper(%q) = %v", tt.rt, got)
		}
	}
}

func TestSupportedRuntimes(t *testing.T) {
	// As of LifecycleChecked (2026-11-30): nodejs20.x was deprecated on
	// 2026-04-30, nodejs22.x is not until 2027-04-30.
	node := SupportedRuntimes(NodeJS)
	if !slices.Contains(node, "nodejs22.x") || slices.Contains(node, "nodejs20.x") || slices.Contains(node, "nodejs") {
		t.Errorf("SupportedRuntimes(nodejs) = %v", node)
	}
	for _, rt := range node {
		if f, _ := PathFamily(rt); f != NodeJS {
			t.Errorf("%s is not a Node.js runtime", rt)
		}
	}
	if py := SupportedRuntimes(Python); !slices.Contains(py, "python3.12") || slices.Contains(py, "python3.9") {
		t.Errorf("SupportedRuntimes(python) = %v", py)
	}
	if got := SupportedRuntimes(""); len(got) != 0 {
		t.Errorf("SupportedRuntimes(\"\") = %v", got)
	}
}
