package verify

import (
	"regexp"
	"strconv"
	"strings"
)

// A version as npm's semver ranges compare it: major, minor, patch.
type semver [3]int

func (a semver) cmp(b semver) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// parseVersion reads "v20.11.1" or "20.11.1-pre" (the pre-release dropped).
func parseVersion(s string) (semver, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "-")
	s, _, _ = strings.Cut(s, "+")
	var v semver
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

// partial is a version that may stop early or hold x: "20", "18.x", "1.2.3".
type partial struct {
	v semver
	n int // how many parts are given (0 to 3)
}

var partialRe = regexp.MustCompile(`^v?(\d+|[xX*])(?:\.(\d+|[xX*])(?:\.(\d+|[xX*])(?:[-+][0-9A-Za-z.+-]*)?)?)?$`)

func parsePartial(s string) (partial, bool) {
	m := partialRe.FindStringSubmatch(s)
	if m == nil {
		return partial{}, false
	}
	var p partial
	for i := 1; i <= 3; i++ {
		if m[i] == "" || m[i] == "x" || m[i] == "X" || m[i] == "*" {
			break
		}
		n, err := strconv.Atoi(m[i])
		if err != nil {
			return partial{}, false
		}
		p.v[i-1] = n
		p.n = i
	}
	return p, true
}

// next is the first version past every one the partial matches: 1.2 ->
// 1.3.0, 1 -> 2.0.0; for a full version, itself.
func (p partial) next() semver {
	v := p.v
	switch p.n {
	case 1:
		return semver{v[0] + 1, 0, 0}
	case 2:
		return semver{v[0], v[1] + 1, 0}
	}
	return v
}

// bound is one comparison: version op v.
type bound struct {
	op string // >=, >, <, <=
	v  semver
}

func (b bound) holds(v semver) bool {
	c := v.cmp(b.v)
	switch b.op {
	case ">=":
		return c >= 0
	case ">":
		return c > 0
	case "<":
		return c < 0
	}
	return c <= 0
}

// bounds turns one comparator ("^20.3.0", ">=18", "1.x", "~1.2") into
// bounds; false when it is not one npm would read.
func bounds(tok string) ([]bound, bool) {
	op := ""
	for _, o := range []string{">=", "<=", ">", "<", "=", "^", "~"} {
		if strings.HasPrefix(tok, o) {
			op, tok = o, strings.TrimPrefix(tok, o)
			break
		}
	}
	p, ok := parsePartial(tok)
	if !ok {
		return nil, false
	}
	if p.n == 0 { // *, x: anything (a bound only "<x" would refuse all)
		if op == "<" || op == ">" {
			return []bound{{"<", semver{0, 0, 0}}}, true
		}
		return nil, true
	}
	lo := bound{">=", p.v}
	switch op {
	case "", "=":
		if p.n == 3 {
			return []bound{lo, {"<=", p.v}}, true
		}
		return []bound{lo, {"<", p.next()}}, true
	case ">=":
		return []bound{lo}, true
	case ">":
		if p.n == 3 {
			return []bound{{">", p.v}}, true
		}
		return []bound{{">=", p.next()}}, true
	case "<":
		return []bound{{"<", p.v}}, true
	case "<=":
		if p.n == 3 {
			return []bound{{"<=", p.v}}, true
		}
		return []bound{{"<", p.next()}}, true
	case "~":
		if p.n == 1 {
			return []bound{lo, {"<", p.next()}}, true
		}
		return []bound{lo, {"<", semver{p.v[0], p.v[1] + 1, 0}}}, true
	}
	// ^: up to the next change of the first non-zero part given.
	switch {
	case p.v[0] > 0 || p.n == 1:
		return []bound{lo, {"<", semver{p.v[0] + 1, 0, 0}}}, true
	case p.v[1] > 0 || p.n == 2:
		return []bound{lo, {"<", semver{0, p.v[1] + 1, 0}}}, true
	}
	return []bound{lo, {"<", semver{0, 0, p.v[2] + 1}}}, true
}

// satisfies says whether version meets an npm range such as
// "^18.17.0 || ^20.3.0 || >=21.0.0" or ">= 16 < 22". known is false for a
// version or range it cannot read; then nothing should be concluded.
func satisfies(version, rng string) (ok, known bool) {
	v, good := parseVersion(version)
	if !good {
		return false, false
	}
	for _, alt := range strings.Split(rng, "||") {
		set, good := rangeBounds(alt)
		if !good {
			return false, false
		}
		all := true
		for _, b := range set {
			all = all && b.holds(v)
		}
		if all {
			return true, true
		}
	}
	return false, true
}

// rangeBounds reads one side of || : comparators separated by spaces, or
// a hyphen range "1.2 - 2.3.4".
func rangeBounds(s string) ([]bound, bool) {
	fields := strings.Fields(s)
	// ">= 18": an operator alone joins the version after it.
	var toks []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Trim(f, "<>=^~") == "" && f != "-" && i+1 < len(fields) {
			f += fields[i+1]
			i++
		}
		toks = append(toks, f)
	}
	if len(toks) == 3 && toks[1] == "-" {
		lo, ok1 := parsePartial(toks[0])
		hi, ok2 := parsePartial(toks[2])
		if !ok1 || !ok2 {
			return nil, false
		}
		out := []bound{{">=", lo.v}}
		if hi.n == 3 {
			out = append(out, bound{"<=", hi.v})
		} else if hi.n > 0 {
			out = append(out, bound{"<", hi.next()})
		}
		return out, true
	}
	var out []bound
	for _, t := range toks {
		b, ok := bounds(t)
		if !ok {
			return nil, false
		}
		out = append(out, b...)
	}
	return out, true
}
