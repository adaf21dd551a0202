package check

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer"
)

// What unzippers make of odd entry names, tried with Info-ZIP unzip 6.0 and
// Python's zipfile (both used to unpack layers by hand and by tools):
//   - a NUL byte ends the name for both: "python/a.py\x00x" lands as
//     python/a.py, over a real python/a.py or under it;
//   - other control characters are dropped or replaced by unzip and kept by
//     zipfile, so the file's name depends on the unzipper;
//   - "./" and "//" are dropped by both; a trailing "/." is not: unzip
//     writes python/a.py/_ for "python/a.py/.", zipfile python/a.py.
//
// So names are compared as unzippers read them (entryKey), and any name
// that is not already that clean form is flagged.

// entryKey is the name an unzipper gives an entry: cut at a NUL byte,
// cleaned of "./", "//" and "..", without a leading or trailing "/" (the
// folder "python/" and the file "python" are one name in /opt).
func entryKey(name string) string {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return strings.TrimLeft(path.Clean(name), "/")
}

// canonicalName is name as a clean ZIP writer writes it: no "./", "//"
// or trailing "/.", folders ending in "/"; "" for the ZIP's root itself.
func canonicalName(name string, dir bool) string {
	c := path.Clean(name)
	switch {
	case c == ".":
		return ""
	case dir:
		return c + "/"
	}
	return c
}

// nameFindings says what is wrong with one entry's name on its own.
func nameFindings(name string, dir bool) []layer.Finding {
	if name == "" {
		return []layer.Finding{{Severity: layer.SevError, Path: name, Message: "an entry has an empty name: unzip stops with an error on it and Python's zipfile fails; remove it"}}
	}
	var out []layer.Finding
	problem := unsafeName(name)
	if problem != "" {
		out = append(out, layer.Finding{Severity: layer.SevError, Path: name, Message: fmt.Sprintf("entry %q %s: Lambda refuses such a ZIP and tools that unpack it may write outside their folder", name, problem), Kind: layer.UnsafeName})
	}
	if i := strings.IndexByte(name, 0); i >= 0 {
		out = append(out, layer.Finding{Severity: layer.SevError, Path: name, Message: fmt.Sprintf("entry %q has a NUL byte in its name: unzip and Python's zipfile cut the name there (to %q), so the file lands under another name; rename it", name, name[:i])})
	} else if c, ok := safetext.Control(name); ok {
		out = append(out, layer.Finding{Severity: layer.SevError, Path: name, Message: fmt.Sprintf("entry %q has a control character (%s) in its name: unzip drops or replaces it and Python's zipfile keeps it, so the file's name in /opt depends on the unzipper, and listing it can act on a terminal; rename it", name, c)})
	}
	switch want := canonicalName(name, dir); {
	case problem != "" || want == name:
	case want == "":
		out = append(out, layer.Finding{Severity: layer.SevWarning, Path: name, Message: fmt.Sprintf("entry %q names the ZIP's root itself, which unzippers skip; leave it out", name)})
	default:
		out = append(out, layer.Finding{Severity: layer.SevWarning, Path: name, Message: fmt.Sprintf("entry %q is not a clean path: unzippers mostly read it as %q, but not all do the same; write it as that", name, want)})
	}
	return out
}

// duplicateFindings reports every name that more than one entry lands on,
// given each entry's name in ZIP order.
func duplicateFindings(names []string) []layer.Finding {
	spellings := map[string][]string{}
	for _, n := range names {
		k := entryKey(n)
		spellings[k] = append(spellings[k], n)
	}
	keys := make([]string, 0, len(spellings))
	for k, s := range spellings {
		if len(s) > 1 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []layer.Finding
	for _, k := range keys {
		s := spellings[k]
		times := fmt.Sprintf("%d times", len(s))
		if len(s) == 2 {
			times = "twice"
		}
		msg := fmt.Sprintf("entry %q appears %s", s[0], times)
		if distinct := distinctQuoted(s); len(distinct) > 1 {
			msg = fmt.Sprintf("entry %q appears %s, written %s", k, times, strings.Join(distinct, ", "))
		}
		out = append(out, layer.Finding{Severity: layer.SevError, Path: s[0], Message: msg + ": which copy wins depends on the unzipper"})
	}
	return out
}

// distinctQuoted returns the different names of s, quoted, in order.
func distinctQuoted(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range s {
		if !seen[n] {
			seen[n] = true
			out = append(out, fmt.Sprintf("%q", n))
		}
	}
	return out
}

// unsafeName says what is wrong with an entry name that could land outside
// the folder it is unpacked into, or "" when it is fine.
func unsafeName(name string) string {
	switch {
	case strings.HasPrefix(name, "/"):
		return "is an absolute path"
	case strings.Contains(name, "\\"):
		return "contains a backslash"
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "climbs out of the ZIP with .."
	}
	return ""
}
