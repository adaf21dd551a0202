package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// Parse parses and validates a manifest read from path. Every error is an
// *Error listing all problems found, in file order. Warnings about
// runtimes say what is true today.
func Parse(path string, data []byte) (*Manifest, error) {
	return ParseAt(path, data, time.Now())
}

// ParseAt is Parse with the day runtime warnings are true of.
func ParseAt(path string, data []byte, now time.Time) (*Manifest, error) {
	w := &walker{file: path, now: now}
	var m *Manifest
	if w.checkSize(data) {
		if root := w.decode(data); root != nil && w.checkAliases(root) {
			m = w.manifest(root)
		}
	}
	if len(w.problems) > 0 {
		return nil, newError(w.problems)
	}
	m.Path = path
	m.Dir = filepath.Dir(path)
	m.Warnings = inFileOrder(w.warnings)
	return m, nil
}

// walker walks the YAML node tree, collecting problems rather than stopping
// at the first, since every problem comes with the position of its node.
type walker struct {
	file     string
	now      time.Time // the day runtime lifecycle warnings speak of
	problems []*Problem
	warnings []*Problem
	splits   []splitName // split_architectures names, expanded once every layer is read
}

// entry is one key and its value in a YAML mapping, aliases resolved.
type entry struct {
	key, value *yaml.Node
}

func (w *walker) at(n *yaml.Node) Pos {
	return Pos{File: w.file, Line: n.Line, Column: n.Column}
}

func (w *walker) fail(n *yaml.Node, field, format string, args ...any) {
	w.failAt(w.at(n), field, format, args...)
}

func (w *walker) failAt(pos Pos, field, format string, args ...any) {
	w.problems = append(w.problems, &Problem{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (w *walker) warn(n *yaml.Node, field, format string, args ...any) {
	w.warnings = append(w.warnings, &Problem{Pos: w.at(n), Field: field, Msg: fmt.Sprintf(format, args...)})
}

// decode returns the root node of the single YAML document in data, or nil
// after recording why there is none.
func (w *walker) decode(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			w.failAt(Pos{File: w.file}, "", "the manifest is empty; start it with version: 1 and a layers mapping (see README: Manifest reference)")
		} else {
			w.syntaxError(err, data)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		w.fail(&extra, "", "found a second YAML document (after ---); a manifest is a single document")
	} else if !errors.Is(err, io.EOF) {
		w.syntaxError(err, data)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			root = nil
		} else {
			root = deref(root.Content[0])
		}
	}
	if root == nil || isNull(root) {
		w.failAt(Pos{File: w.file}, "", "the manifest is empty; start it with version: 1 and a layers mapping (see README: Manifest reference)")
		return nil
	}
	return root
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxError records a YAML syntax error at the line yaml reports, if any.
func (w *walker) syntaxError(err error, data []byte) {
	msg := err.Error()
	pos := Pos{File: w.file}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	// yaml's message for a tab in the indentation does not mention tabs.
	if lines := bytes.Split(data, []byte("\n")); pos.Line > 0 && pos.Line <= len(lines) &&
		bytes.HasPrefix(bytes.TrimLeft(lines[pos.Line-1], " "), []byte("\t")) {
		msg += " (indent with spaces: YAML does not allow tabs)"
	}
	w.failAt(pos, "", "invalid YAML: %s", msg)
}

// entries returns the entries of mapping n with merge keys (<<) expanded,
// recording duplicate keys, non-string keys and, when valid is not nil, keys
// not in valid. field names the mapping in problems.
func (w *walker) entries(n *yaml.Node, field string, valid []string) []entry {
	var out []entry
	seen := make(map[string]*yaml.Node)
	var merged []entry
	w.collect(n, field, valid, seen, &out, &merged, map[*yaml.Node]bool{})
	// Explicit keys override merged ones, and earlier merges override later.
	for _, e := range merged {
		if _, ok := seen[e.key.Value]; !ok {
			seen[e.key.Value] = e.key
			out = append(out, e)
		}
	}
	return out
}

func (w *walker) collect(n *yaml.Node, field string, valid []string, seen map[string]*yaml.Node, out, merged *[]entry, visited map[*yaml.Node]bool) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if isMerge(k) {
			w.merge(v, field, valid, merged, visited)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			w.fail(k, field, "keys must be strings, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			w.fail(k, field, "duplicate key %q; first set at %d:%d", k.Value, first.Line, first.Column)
			continue
		}
		if valid != nil && !slices.Contains(valid, k.Value) {
			w.fail(k, field, "unknown key %q; valid keys: %s%s", k.Value, strings.Join(valid, ", "), didYouMean(k.Value, valid))
			continue
		}
		seen[k.Value] = k
		*out = append(*out, entry{k, v})
	}
}

// merge adds to merged the entries of the mapping (or list of mappings) v,
// the value of a << key. Each mapping is merged at most once per target, which
// bounds the work however the aliases nest.
func (w *walker) merge(v *yaml.Node, field string, valid []string, merged *[]entry, visited map[*yaml.Node]bool) {
	sources := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		sources = v.Content
	}
	for _, s := range sources {
		s = deref(s)
		if s.Kind != yaml.MappingNode {
			w.fail(s, field, "<< must merge a mapping or a list of mappings, got %s", describe(s))
			continue
		}
		if visited[s] {
			continue
		}
		visited[s] = true
		var own []entry
		w.collect(s, field, valid, make(map[string]*yaml.Node), &own, merged, visited)
		*merged = append(*merged, own...)
	}
}

func byKey(entries []entry) map[string]entry {
	m := make(map[string]entry, len(entries))
	for _, e := range entries {
		m[e.key.Value] = e
	}
	return m
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && n.ShortTag() == "!!merge"
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isString(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// describe names the type of n for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "true/false"
		case "!!timestamp":
			return "a date"
		case "!!null":
			return "nothing"
		default:
			return "a value tagged " + tag
		}
	}
	return "something else"
}

// str returns the string value of n, recording a problem if n is not a string.
func (w *walker) str(n *yaml.Node, field string) (string, bool) {
	if !isString(n) {
		if n.Kind == yaml.ScalarNode && !isNull(n) {
			w.fail(n, field, "must be a string, got %s; quote it: %q", describe(n), n.Value)
		} else {
			w.fail(n, field, "must be a string, got %s", describe(n))
		}
		return "", false
	}
	// Paths, names, patterns and URLs never hold a control character: in a
	// path it would reach the ZIP, where unzippers disagree on it (a NUL
	// cuts the name short), and in any of them it would reach a terminal.
	if c, ok := safetext.Control(n.Value); ok {
		w.fail(n, field, "%q has a control character (%s), which no path, name or pattern may hold; remove it", n.Value, c)
		return "", false
	}
	return n.Value, true
}

// text is str for free text (description, license), which may also run
// over several lines and hold tabs.
func (w *walker) text(n *yaml.Node, field string) (string, bool) {
	if !isString(n) {
		return w.str(n, field)
	}
	if c, ok := safetext.Control(strings.NewReplacer("\n", "", "\t", "").Replace(n.Value)); ok {
		w.fail(n, field, "%q has a control character (%s); only newlines and tabs may be in text", n.Value, c)
		return "", false
	}
	return n.Value, true
}

// item is one string in a YAML list, with what is needed to report on it.
type item struct {
	s     string
	node  *yaml.Node
	field string
}

// strList returns the strings in list n. set is false when n is null (the key
// is as good as absent); items that are not strings are reported and left out.
func (w *walker) strList(n *yaml.Node, field string) (items []item, set bool) {
	if isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		if isString(n) {
			w.fail(n, field, "must be a list of strings, got a string; write [%s]", n.Value)
		} else {
			w.fail(n, field, "must be a list of strings, got %s", describe(n))
		}
		return nil, true
	}
	for i, c := range n.Content {
		c = deref(c)
		f := fmt.Sprintf("%s[%d]", field, i)
		if s, ok := w.str(c, f); ok {
			items = append(items, item{s, c, f})
		}
	}
	return items, true
}

// layerField is the field path of layer name, quoted if the name would make
// the path ambiguous.
func layerField(name string) string {
	if lambdafacts.ValidLayerName(name) {
		return "layers." + name
	}
	return fmt.Sprintf("layers[%q]", name)
}
