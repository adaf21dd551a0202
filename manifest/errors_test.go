package manifest

import "testing"

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"full", Problem{Pos{"layerctl.yaml", 12, 7}, "layers.api.runtimes[1]", "bad"}, "layerctl.yaml:12:7: layers.api.runtimes[1]: bad"},
		{"no column", Problem{Pos{"layerctl.yaml", 12, 0}, "version", "bad"}, "layerctl.yaml:12: version: bad"},
		{"no line", Problem{Pos{"layerctl.yaml", 0, 0}, "", "file not found"}, "layerctl.yaml: file not found"},
		{"no field", Problem{Pos{"m.yaml", 3, 1}, "", "unknown key"}, "m.yaml:3:1: unknown key"},
		{"no position", Problem{Pos{}, "", `no layer "x"`}, `no layer "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestError(t *testing.T) {
	e := &Error{Problems: []*Problem{{Pos: Pos{"a", 1, 2}, Msg: "one"}, {Pos: Pos{"a", 3, 0}, Field: "f", Msg: "two"}}}
	if got, want := e.Error(), "a:1:2: one\na:3: f: two"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDigestTag(t *testing.T) {
	hex := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if got, want := DigestTag(hex), " layerctl-sha256:"+hex; got != want {
		t.Errorf("DigestTag = %q, want %q", got, want)
	}
	if n := MaxDescription + len(DigestTag(hex)); n != 256 {
		t.Errorf("MaxDescription + digest tag = %d, want Lambda's limit 256", n)
	}
}
