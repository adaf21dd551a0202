package verify

import "testing"

// engines.node ranges as packages on the registry write them.
func TestSatisfies(t *testing.T) {
	for _, tc := range []struct {
		version, rng string
		ok, known    bool
	}{
		{"v20.20.2", ">=18", true, true},
		{"v20.20.2", ">= 18.0.0", true, true},
		{"v20.20.2", ">=22", false, true},
		{"v20.20.2", "^18.17.0 || ^20.3.0 || >=21.0.0", true, true},
		{"v20.1.0", "^18.17.0 || ^20.3.0 || >=21.0.0", false, true},
		{"v22.11.0", "^18.17.0 || ^20.3.0 || >=21.0.0", true, true},
		{"v16.20.0", ">=14 <17", true, true},
		{"v20.20.2", ">= 16 < 20", false, true},
		{"v20.20.2", "18.x || 20.x", true, true},
		{"v20.20.2", "20", true, true},
		{"v20.20.2", "~20.19", false, true},
		{"v20.20.2", "~20.20.0", true, true},
		{"v20.20.2", "18 - 20.19", false, true},
		{"v20.20.2", "18 - 20", true, true},
		{"v20.20.2", "*", true, true},
		{"v20.20.2", "", true, true},
		{"v0.10.2", "^0.10.0", true, true},
		{"v0.11.0", "^0.10.0", false, true},
		{"v20.20.2", ">=20.0.0-rc.1", true, true},
		{"v20.20.2", "node >= 18", false, false},
		{"nonsense", ">=18", false, false},
	} {
		ok, known := satisfies(tc.version, tc.rng)
		if ok != tc.ok || known != tc.known {
			t.Errorf("satisfies(%q, %q) = %v, %v; want %v, %v", tc.version, tc.rng, ok, known, tc.ok, tc.known)
		}
	}
}
