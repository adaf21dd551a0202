// Package safetext keeps names that come from files, archives and
// manifests from reaching a terminal raw: a control character in a name
// (ESC [ ... above all) could recolour, move the cursor or rewrite what the
// user reads, and a NUL or newline makes one name look like another.
package safetext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Control returns the first control character of s, written as Go would
// escape it (\x00, \x1b, \n, \x7f, \u0085), and whether s has one. Control
// characters are C0 (U+0000-U+001F), DEL and C1 (U+0080-U+009F), and the
// bytes 0x80-0x9F outside UTF-8, which some terminals still take as C1.
func Control(s string) (string, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if b := s[i]; b >= 0x80 && b <= 0x9f {
				return fmt.Sprintf(`\x%02x`, b), true
			}
		case isControl(r):
			q := strconv.QuoteRune(r)
			return q[1 : len(q)-1], true
		}
		i += size
	}
	return "", false
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f)
}

// Name returns s as it is when every character of it prints as itself, or
// else Go-quoted ("python/\x1b[31mred.py"), so that an ordinary name
// prints unchanged and a strange one can neither act on the terminal nor
// pass for another name. Invalid UTF-8 and invisible format characters
// (such as the bidirectional overrides) are strange too.
func Name(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// Text returns a message for people with every control character escaped
// except newlines and tabs, which lay the message out. It is the last
// guard before a terminal, for text that may quote a name raw.
func Text(s string) string {
	if _, ok := Control(strings.NewReplacer("\n", "", "\t", "").Replace(s)); !ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == utf8.RuneError && size == 1 && s[i] >= 0x80 && s[i] <= 0x9f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case isControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
