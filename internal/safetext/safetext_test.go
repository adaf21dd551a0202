package safetext

import "testing"

func TestControl(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"python/a.py", "", false},
		{"python/café.py", "", false},
		{"", "", false},
		{"a\x00b", `\x00`, true},
		{"python/\x1b[31mred.py", `\x1b`, true},
		{"new\nline", `\n`, true},
		{"tab\there", `\t`, true},
		{"del\x7f", `\x7f`, true},
		{"c1\u0085x", `\u0085`, true},
		{"csi\u009b31m", `\u009b`, true},
		{"raw\x9b31m", `\x9b`, true},
		{"latin1\xe9", "", false}, // not UTF-8, but not a control byte either
	} {
		got, ok := Control(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Control(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"python/a.py":           "python/a.py",
		"python/café.py":        "python/café.py",
		"bin/with space":        "bin/with space",
		"python/\x1b[31mred.py": `"python/\x1b[31mred.py"`,
		"a\x00b":                `"a\x00b"`,
		"new\nline":             `"new\nline"`,
		"c1\u0085x":             `"c1\u0085x"`,
		"raw\x9b31m":            `"raw\x9b31m"`,
		"evil\u202egnp.py":      `"evil\u202egnp.py"`,
		`already "quoted" name`: `already "quoted" name`,
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"layer \"x\":\n\tline two":         "layer \"x\":\n\tline two",
		"file src/\x1b[2Jgone.py: refused": `file src/\x1b[2Jgone.py: refused`,
		"a\x00b\r\n":                       "a\\x00b\\r\n",
		"c1 \u0085 and \x9b":               `c1 \u0085 and \x9b`,
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
