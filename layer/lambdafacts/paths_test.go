package lambdafacts

import "testing"

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
