package manifest

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// The keys each mapping accepts, sorted as they are listed in problems.
var (
	topKeys      = []string{"accounts", "defaults", "external_id", "layers", "lock", "role_template", "version"}
	defaultsKeys = []string{"architectures", "license", "python", "regions", "runtimes", "s3", "share"}
	layerKeys    = []string{"accounts", "architectures", "attach", "default_excludes", "description", "exclude", "files", "go", "license", "node", "python", "regions", "runtimes", "s3", "share", "split_architectures"}
	fileKeys     = []string{"allow_outside", "architecture", "from", "to", "unpack"}
)

// layerName is Lambda's rule for layer names.
var layerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,140}$`)

// maxRuntimes is Lambda's limit on a layer's compatible runtimes.
const maxRuntimes = 15

// shared holds the settings a layer can inherit from defaults. The has*
// fields say whether the setting was given at all, even if invalid, so that a
// bad value is reported once rather than again as missing.
type shared struct {
	runtimes, architectures           []string
	license                           string
	hasRuntimes, hasArchs, hasLicense bool
	pub                               publishing
	python                            *pythonSettings // defaults.python only
	accounts                          []Account       // the top-level accounts, which a layer inherits
	accountDefaults                   accountDefaults // role_template and external_id
}

func (w *walker) manifest(root *yaml.Node) *Manifest {
	if root.Kind != yaml.MappingNode {
		w.fail(root, "", "the manifest must be a mapping with version and layers, got %s", describe(root))
		return nil
	}
	keys := byKey(w.entries(root, "", topKeys))
	m := &Manifest{}
	switch e, ok := keys["version"]; {
	case !ok:
		w.fail(root, "", "version is required; add version: 1")
	case isNull(e.value):
		w.fail(e.key, "version", "must be the integer 1, got nothing")
	default:
		m.Version = w.version(e.value)
	}
	var d shared
	if e, ok := keys["defaults"]; ok {
		d = w.defaults(e.value)
	}
	d.accountDefaults = w.accountDefaults(keys)
	if e, ok := keys["accounts"]; ok {
		d.accounts, _ = w.accounts(e.value, "accounts", d.accountDefaults)
		m.Accounts = d.accounts
	}
	if e, ok := keys["lock"]; ok {
		m.Lock = w.lockPlace(e.value, w.at(e.key))
	}
	switch e, ok := keys["layers"]; {
	case !ok:
		w.fail(root, "", "layers is required; add a layers mapping with at least one layer")
	case isNull(e.value):
		w.fail(e.key, "layers", "must have at least one layer")
	default:
		m.Layers = w.layers(e.value, d)
	}
	return m
}

func (w *walker) version(n *yaml.Node) int {
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		w.fail(n, "version", "must be the integer 1, got %s", describe(n))
		return 0
	}
	if v != 1 {
		w.fail(n, "version", "unsupported version %d; this layerctl reads version 1", v)
	}
	return v
}

func (w *walker) defaults(n *yaml.Node) shared {
	if isNull(n) {
		return shared{}
	}
	if n.Kind != yaml.MappingNode {
		w.fail(n, "defaults", "must be a mapping with keys %s, got %s", strings.Join(defaultsKeys, ", "), describe(n))
		return shared{}
	}
	keys := byKey(w.entries(n, "defaults", defaultsKeys))
	s := w.shared(keys, "defaults")
	s.python = w.defaultPython(keys)
	return s
}

func (w *walker) shared(keys map[string]entry, field string) shared {
	var s shared
	if e, ok := keys["runtimes"]; ok {
		s.runtimes, s.hasRuntimes = w.runtimes(e.value, field+".runtimes")
	}
	if e, ok := keys["architectures"]; ok {
		s.architectures, s.hasArchs = w.architectures(e.value, field+".architectures")
	}
	if e, ok := keys["license"]; ok && !isNull(e.value) {
		s.license, s.hasLicense = w.license(e.value, field+".license"), true
	}
	s.pub = w.publishing(keys, field)
	return s
}

func (w *walker) layers(n *yaml.Node, d shared) []*Layer {
	if n.Kind != yaml.MappingNode {
		w.fail(n, "layers", "must be a mapping from layer names to layers, got %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		w.fail(n, "layers", "must have at least one layer")
		return nil
	}
	var out []*Layer
	for _, e := range w.entries(n, "layers", nil) {
		out = append(out, w.layer(e, d))
	}
	slices.SortFunc(out, func(a, b *Layer) int { return strings.Compare(a.Name, b.Name) })
	return w.expandSplits(out)
}

func (w *walker) layer(e entry, d shared) *Layer {
	name := e.key.Value
	field := layerField(name)
	if !lambdafacts.ValidLayerName(name) {
		w.fail(e.key, "layers", "layer name %q is invalid: use 1 to 140 letters, digits, hyphens (-) or underscores (_)", name)
	}
	l := &Layer{Name: name, Pos: w.at(e.key), DefaultExcludes: true}
	var keys map[string]entry
	switch n := e.value; {
	case isNull(n):
	case n.Kind == yaml.MappingNode:
		keys = byKey(w.entries(n, field, layerKeys))
	default:
		w.fail(n, field, "must be a mapping with keys %s, got %s", strings.Join(layerKeys, ", "), describe(n))
		return l
	}

	own := w.shared(keys, field)
	switch {
	case own.hasRuntimes:
		l.Runtimes = own.runtimes
	case d.hasRuntimes:
		l.Runtimes = slices.Clone(d.runtimes)
	default:
		w.fail(e.key, field, "no runtimes: set runtimes under the layer or in defaults")
	}
	switch {
	case own.hasArchs:
		l.Architectures = own.architectures
	case d.hasArchs:
		l.Architectures = slices.Clone(d.architectures)
	default:
		l.Architectures = []string{"x86_64"}
	}
	l.License = d.license
	if own.hasLicense {
		l.License = own.license
	}
	l.Publishing = own.pub.inherit(d.pub)
	l.Accounts = d.accounts
	if k, ok := keys["accounts"]; ok {
		if own, set := w.accounts(k.value, field+".accounts", d.accountDefaults); set {
			l.Accounts = own
		}
	}
	l.Attach = w.attach(keys, field)

	if k, ok := keys["description"]; ok && !isNull(k.value) {
		l.Description = w.description(k.value, field+".description")
	}
	files, hasFiles := []FileMap(nil), false
	if k, ok := keys["files"]; ok {
		files, hasFiles = w.files(k.value, field+".files")
	}
	l.Files = files
	if hasBuilders := w.builders(keys, field, l, d); !hasFiles && !hasBuilders {
		w.fail(e.key, field, "no content: add files (a list of {from: PATH, to: PATH-IN-ZIP}), python, node or go")
	}
	if k, ok := keys["exclude"]; ok {
		l.Exclude = w.exclude(k.value, field+".exclude")
	}
	if k, ok := keys["default_excludes"]; ok && !isNull(k.value) {
		l.DefaultExcludes = w.boolean(k.value, field+".default_excludes")
	}
	return l
}

func (w *walker) description(n *yaml.Node, field string) string {
	s, ok := w.text(n, field)
	if !ok {
		return ""
	}
	if c := utf8.RuneCountInString(s); c > MaxDescription {
		w.fail(n, field, "is %d characters; the maximum is %d, since Lambda allows 256 and layerctl appends the %d-character content digest tag",
			c, MaxDescription, len(DigestTag(strings.Repeat("0", 64))))
	}
	if tag := strings.TrimSpace(DigestTagPrefix); strings.Contains(s, tag) {
		w.fail(n, field, "must not contain %q; layerctl appends it with the content digest", tag)
	}
	return s
}

func (w *walker) license(n *yaml.Node, field string) string {
	s, ok := w.text(n, field)
	if !ok {
		return ""
	}
	if c := utf8.RuneCountInString(s); c > lambdafacts.MaxLicense {
		w.fail(n, field, "is %d characters; Lambda allows at most %d (give an SPDX identifier or a URL)", c, lambdafacts.MaxLicense)
	}
	return s
}

func (w *walker) boolean(n *yaml.Node, field string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		w.fail(n, field, "must be true or false, got %s", describe(n))
		return true
	}
	return b
}

func (w *walker) runtimes(n *yaml.Node, field string) ([]string, bool) {
	items, set := w.strList(n, field)
	if !set {
		return nil, false
	}
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			w.fail(n, field, "must list at least one runtime")
		} else if len(n.Content) > maxRuntimes {
			w.fail(n, field, "lists %d runtimes; Lambda allows at most %d per layer", len(n.Content), maxRuntimes)
		}
	}
	var out []string
	for _, it := range items {
		switch {
		case !lambdafacts.ValidRuntime(it.s):
			w.fail(it.node, it.field, "%q is not a Lambda runtime; %s", it.s, runtimeHint(it.s, w.now))
		case slices.Contains(out, it.s):
			w.fail(it.node, it.field, "%q is listed twice", it.s)
		default:
			out = append(out, it.s)
			if msg := lambdafacts.Explain(it.s, w.now); msg != "" {
				w.warn(it.node, it.field, "%s", msg)
			}
		}
	}
	return out, true
}

func (w *walker) architectures(n *yaml.Node, field string) ([]string, bool) {
	items, set := w.strList(n, field)
	if !set {
		return nil, false
	}
	valid := strings.Join(lambdafacts.Architectures, ", ")
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		w.fail(n, field, "must list at least one architecture; valid: %s", valid)
	}
	var out []string
	for _, it := range items {
		switch {
		case !slices.Contains(lambdafacts.Architectures, it.s):
			hint := didYouMean(it.s, lambdafacts.Architectures)
			if a, ok := lambdafacts.ArchitectureAlias(it.s); ok {
				hint = fmt.Sprintf(" (did you mean %q?)", a)
			}
			w.fail(it.node, it.field, "%q is not a Lambda architecture; valid: %s%s", it.s, valid, hint)
		case slices.Contains(out, it.s):
			w.fail(it.node, it.field, "%q is listed twice", it.s)
		default:
			out = append(out, it.s)
		}
	}
	return out, true
}

// files returns the files entries of list n; set is false when n is null.
func (w *walker) files(n *yaml.Node, field string) (files []FileMap, set bool) {
	if isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		w.fail(n, field, "must be a list of {from: PATH, to: PATH-IN-ZIP}, got %s", describe(n))
		return nil, true
	}
	if len(n.Content) == 0 {
		w.fail(n, field, "must list at least one {from: PATH, to: PATH-IN-ZIP}")
	}
	for i, c := range n.Content {
		if f, ok := w.fileMap(deref(c), fmt.Sprintf("%s[%d]", field, i)); ok {
			files = append(files, f)
		}
	}
	return files, true
}

func (w *walker) fileMap(n *yaml.Node, field string) (FileMap, bool) {
	if n.Kind != yaml.MappingNode {
		if isString(n) {
			w.fail(n, field, "must be a mapping, got a string; write {from: %s, to: PATH-IN-ZIP}", n.Value)
		} else {
			w.fail(n, field, "must be a mapping {from: PATH, to: PATH-IN-ZIP}, got %s", describe(n))
		}
		return FileMap{}, false
	}
	keys := byKey(w.entries(n, field, fileKeys))
	f := FileMap{Pos: w.at(n)}
	ok := true
	if e, has := keys["from"]; !has || isNull(e.value) {
		w.fail(n, field, "from is required: the file or folder to copy, relative to the manifest's folder")
		ok = false
	} else if f.From, ok = w.str(e.value, field+".from"); ok {
		switch {
		case f.From == "":
			w.fail(e.value, field+".from", "must not be empty")
			ok = false
		case strings.Contains(f.From, `\`):
			w.fail(e.value, field+".from", "%q uses backslashes; use forward slashes: %q", f.From, strings.ReplaceAll(f.From, `\`, "/"))
			ok = false
		}
	}
	if e, has := keys["to"]; has && !isNull(e.value) {
		to, isStr := w.str(e.value, field+".to")
		if isStr {
			clean, msg := cleanTo(to)
			if msg != "" {
				w.fail(e.value, field+".to", "%s", msg)
				isStr = false
			}
			f.To = clean
		}
		ok = ok && isStr
	}
	ok = w.fileExtras(keys, field, &f) && ok
	return f, ok
}

var windowsDrive = regexp.MustCompile(`^[A-Za-z]:`)

// cleanTo returns to as a clean slash path inside the ZIP ("" for its root),
// or a message saying why it is not one.
func cleanTo(to string) (string, string) {
	switch {
	case strings.Contains(to, `\`):
		return "", fmt.Sprintf("%q uses backslashes; use forward slashes: %q", to, strings.ReplaceAll(to, `\`, "/"))
	case strings.HasPrefix(to, "/"):
		msg := fmt.Sprintf("%q is absolute; give a path inside the ZIP, which Lambda extracts to /opt", to)
		if rest := strings.TrimPrefix(path.Clean(to), "/opt/"); rest != path.Clean(to) {
			msg += fmt.Sprintf(" (did you mean %q?)", rest)
		}
		return "", msg
	case windowsDrive.MatchString(to):
		return "", fmt.Sprintf("%q is absolute; give a path inside the ZIP", to)
	}
	clean := path.Clean(to)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Sprintf("%q climbs out of the ZIP with ..; give a path inside the ZIP", to)
	}
	if clean == "." {
		clean = ""
	}
	return clean, ""
}

func (w *walker) exclude(n *yaml.Node, field string) []string {
	items, _ := w.strList(n, field)
	var out []string
	for _, it := range items {
		switch {
		case it.s == "":
			w.fail(it.node, it.field, "must not be empty")
		case !doublestar.ValidatePattern(it.s):
			w.fail(it.node, it.field, "%q is not a valid glob pattern (see github.com/bmatcuk/doublestar)", it.s)
		case strings.HasPrefix(it.s, "/"):
			w.fail(it.node, it.field, "%q never matches: paths inside the ZIP do not start with /", it.s)
		default:
			out = append(out, it.s)
		}
	}
	return out
}
