package python

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/layerctl/layerctl/internal/readfile"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// A requirements file is input from whoever can change the repository: a
// pull request controls it, and pip reads it with the build machine's
// rights. Most of what it may say only chooses which wheels pip downloads;
// a few lines make pip build a package from source, which runs that
// package's setup.py or build backend on the build machine. layerctl reads
// every file pip would read, the way pip reads it (line continuations,
// comments, ${VAR} expansion, option abbreviations, options on requirement
// lines), and refuses those lines unless python.allow_source_builds is set.

// Limits on what layerctl reads: a requirements file is text a person
// writes; one larger than this, or a chain of more includes, is refused.
const (
	MaxRequirementsFile  = 4 << 20
	maxRequirementsFiles = 256
)

// reqLine is a line of a requirements file as pip sees it: continuations
// joined, the comment removed, ${VAR} expanded; line is the number of its
// first physical line.
type reqLine struct {
	File string
	Line int
	text string
}

// Refusal is a line that would make pip build from source, or that
// layerctl cannot check.
type Refusal struct {
	File string
	Line int
	Text string // the line, as pip reads it
	Why  string
	// Unreadable: the file is not a file at all, which no opt-in makes
	// right: the manifest needs fixing.
	Unreadable bool
}

// Requirements is what a requirements file and the files it includes
// make pip read and install.
type Requirements struct {
	Files     []string // the requirements and constraints files, in the order read
	FindLinks []string // local find-links folders
	Local     []string // local paths installed: wheels, source archives, folders
	Sources   bool     // something is built from source: a folder, a VCS or remote source URL
	Refused   []Refusal
}

// ReadRequirements reads the requirements file req (relative to baseDir,
// pip's working folder) and every file it includes, as pip would, with
// getenv for pip's ${VAR} expansion.
func ReadRequirements(ctx context.Context, baseDir, req string, getenv func(string) string) (*Requirements, error) {
	r := &Requirements{}
	seen := map[string]bool{}
	var walk func(file string, from *reqLine) error
	walk = func(file string, from *reqLine) error {
		if seen[file] {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		seen[file] = true
		r.Files = append(r.Files, file)
		if len(r.Files) > maxRequirementsFiles {
			r.refuse(*from, fmt.Sprintf("includes more than %d requirements files: layerctl stops reading there", maxRequirementsFiles))
			return nil
		}
		lines, err := requirementLines(file, getenv)
		if err != nil {
			why := fmt.Sprintf("%s: %v", RelToBase(baseDir, file), err)
			if from == nil {
				r.Refused = append(r.Refused, Refusal{File: file, Why: why})
			} else {
				r.refuse(*from, why)
			}
			r.Refused[len(r.Refused)-1].Unreadable = errors.Is(err, errNotAFile)
			return nil
		}
		for _, l := range lines {
			includes := r.classify(baseDir, l)
			for _, inc := range includes {
				if err := walk(inc, &l); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(archive.AbsPath(baseDir, req), nil); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Requirements) refuse(l reqLine, why string) {
	r.Refused = append(r.Refused, Refusal{File: l.File, Line: l.Line, Text: l.text, Why: why})
}

// errNotAFile is a requirements file that is a FIFO, a device or a folder.
var errNotAFile = errors.New("not a regular file: pip reads requirements from a file")

// requirementLines reads a requirements file into the lines pip parses.
func requirementLines(file string, getenv func(string) string) ([]reqLine, error) {
	data, err := readfile.Read(file, MaxRequirementsFile)
	var tooLarge *readfile.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("larger than %d MiB: layerctl does not read a requirements file that large", MaxRequirementsFile>>20)
	case readfile.IsNotRegular(err):
		return nil, errNotAFile
	case err != nil:
		return nil, fmt.Errorf("cannot read it: %w", archive.UnwrapPathErr(err))
	}
	text, err := decodeRequirements(data)
	if err != nil {
		return nil, err
	}
	var out []reqLine
	for _, l := range joinRequirementLines(pySplitLines(text)) {
		s := strings.TrimFunc(stripRequirementComment(l.text), pySpace)
		if s == "" {
			continue
		}
		out = append(out, reqLine{File: file, Line: l.line, text: expandPipEnv(s, getenv)})
	}
	return out, nil
}

// pipCoding is the coding declaration pip honours in a file's first two
// lines (PEP 263).
var pipCoding = regexp.MustCompile(`coding[:=][ \t\n\r\f\v]*([-\w.]+)`)

// decodeRequirements decodes a requirements file as pip does: a UTF-8 BOM
// or UTF-8. Other encodings pip would honour (UTF-16 with a BOM, a coding
// line naming UTF-7...) are refused: read as UTF-8, such a file could say
// something else to layerctl than to pip.
func decodeRequirements(data []byte) (string, error) {
	for _, bom := range [][]byte{{0xff, 0xfe}, {0xfe, 0xff}, {0, 0, 0xfe, 0xff}} {
		if bytes.HasPrefix(data, bom) {
			return "", errors.New("not UTF-8 (it starts with a UTF-16 or UTF-32 byte order mark): save it as UTF-8")
		}
	}
	if b, ok := bytes.CutPrefix(data, []byte("\xef\xbb\xbf")); ok {
		return string(b), nil
	}
	for i, line := range bytes.SplitN(data, []byte("\n"), 3) {
		if i == 2 || !bytes.HasPrefix(line, []byte("#")) {
			continue
		}
		m := pipCoding.FindSubmatch(line)
		if m == nil {
			continue
		}
		switch enc := strings.ReplaceAll(strings.ToLower(string(m[1])), "_", "-"); enc {
		case "utf-8", "utf8", "u8", "utf", "utf-8-sig", "ascii", "us-ascii", "646":
		case "latin-1", "latin1", "iso-8859-1", "iso8859-1", "8859", "cp819", "l1":
			r := make([]rune, len(data))
			for j, c := range data {
				r[j] = rune(c)
			}
			return string(r), nil
		default:
			return "", fmt.Errorf("declares the encoding %q: layerctl reads requirements files as UTF-8; save it as UTF-8 and remove that line", m[1])
		}
		break
	}
	return string(data), nil
}

// pySpace is Python's str.isspace: what pip's \s and strip() take for
// white space.
func pySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pySplitLines splits as Python's str.splitlines, which pip uses: also at
// \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029.
func pySplitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, s[start:i])
			i += size
			if r == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			start = i
			continue
		}
		i += size
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

type numberedLine struct {
	line int
	text string
}

// joinRequirementLines joins lines ending in a backslash with the next, as
// pip's join_lines does: with nothing in between, the backslashes at both
// ends of the continued line removed, and a comment line ending it.
func joinRequirementLines(lines []string) []numberedLine {
	var out []numberedLine
	var cur []string
	primary := 0
	for i, l := range lines {
		n := i + 1
		comment := strings.HasPrefix(strings.TrimLeftFunc(l, pySpace), "#")
		if !strings.HasSuffix(l, `\`) || comment {
			if comment {
				l = " " + l
			}
			if cur != nil {
				out = append(out, numberedLine{primary, strings.Join(append(cur, l), "")})
				cur = nil
			} else {
				out = append(out, numberedLine{n, l})
			}
			continue
		}
		if cur == nil {
			primary = n
		}
		cur = append(cur, strings.Trim(l, `\`))
	}
	if cur != nil {
		out = append(out, numberedLine{primary, strings.Join(cur, "")})
	}
	return out
}

// stripRequirementComment removes a comment as pip's (^|\s+)#.*$ does.
func stripRequirementComment(l string) string {
	spaceStart := -1
	for i, r := range l {
		switch {
		case r == '#' && (i == 0 || spaceStart >= 0):
			if i == 0 {
				return ""
			}
			return l[:spaceStart]
		case pySpace(r):
			if spaceStart < 0 {
				spaceStart = i
			}
		default:
			spaceStart = -1
		}
	}
	return l
}

var pipEnvVar = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)

// expandPipEnv replaces ${NAME} as pip does: only upper-case names, only
// when set and not empty.
func expandPipEnv(l string, getenv func(string) string) string {
	for _, m := range pipEnvVar.FindAllStringSubmatch(l, -1) {
		if v := getenv(m[1]); v != "" {
			l = strings.ReplaceAll(l, m[0], v)
		}
	}
	return l
}

// pipOption is an option pip takes in a requirements file, or one that
// only matters when pip builds from source.
type pipOption struct {
	value bool   // takes a value
	build string // why it builds from source, or "" for an option that does not
}

const (
	whyNoBinary = "makes pip build packages from source (sdists) instead of installing wheels"
	whyBuildOpt = "only matters when pip builds a package from source"
	whyEditable = "an editable install (-e) is built from source"
)

// pipOptions are the long options of pip's requirements files (pip 23 to
// 25), and the build options of pip's command line, which a newer pip may
// come to take in a file.
var pipOptions = map[string]pipOption{
	"--index-url": {value: true}, "--pypi-url": {value: true}, "--extra-index-url": {value: true},
	"--no-index": {}, "--constraint": {value: true}, "--requirement": {value: true},
	"--find-links": {value: true}, "--only-binary": {value: true}, "--prefer-binary": {},
	"--require-hashes": {}, "--pre": {}, "--trusted-host": {value: true}, "--use-feature": {value: true},
	"--hash": {value: true},

	"--editable":                 {value: true, build: whyEditable},
	"--no-binary":                {value: true, build: whyNoBinary},
	"--global-option":            {value: true, build: whyBuildOpt},
	"--config-settings":          {value: true, build: whyBuildOpt},
	"--build-option":             {value: true, build: whyBuildOpt},
	"--install-option":           {value: true, build: whyBuildOpt},
	"--no-build-isolation":       {build: whyBuildOpt},
	"--use-pep517":               {build: whyBuildOpt},
	"--no-use-pep517":            {build: whyBuildOpt},
	"--check-build-dependencies": {build: whyBuildOpt},
	"--src":                      {value: true, build: "names where pip checks out packages it builds from source"},
}

var pipShortOptions = map[string]string{"-i": "--index-url", "-c": "--constraint", "-r": "--requirement", "-e": "--editable", "-f": "--find-links", "-C": "--config-settings"}

// resolveLong finds the option a long option token names, as Python's
// optparse does: exactly, or by a prefix only one option has. A prefix of
// an option that builds from source counts as that option.
func resolveLong(tok string) (string, pipOption, bool) {
	if o, ok := pipOptions[tok]; ok {
		return tok, o, true
	}
	var names []string
	for name := range pipOptions {
		if strings.HasPrefix(name, tok) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if pipOptions[name].build != "" {
			return name, pipOptions[name], true
		}
	}
	if len(names) == 1 {
		return names[0], pipOptions[names[0]], true
	}
	return "", pipOption{}, false
}

// classify reads one line: it records what it refuses, the local inputs
// it names, and returns the files it includes (-r, -c).
func (r *Requirements) classify(baseDir string, l reqLine) (includes []string) {
	args, opts := breakArgsOptions(l.text)
	if args != "" {
		r.requirement(baseDir, l, args)
	}
	if opts == "" {
		return nil
	}
	toks, err := shlexSplit(opts)
	if err != nil {
		r.refuse(l, fmt.Sprintf("pip cannot read its options (%v)", err))
		return nil
	}
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if tok == "--" {
			break
		}
		if !strings.HasPrefix(tok, "-") || tok == "-" {
			continue // pip ignores arguments on an option line
		}
		name, value, hasValue := tok, "", false
		if strings.HasPrefix(tok, "--") {
			name, value, hasValue = strings.Cut(tok, "=")
		} else if len(tok) > 2 {
			name, value, hasValue = tok[:2], tok[2:], true
		}
		var o pipOption
		ok := false
		if long, short := pipShortOptions[name]; short {
			name, o, ok = long, pipOptions[long], true
		} else if strings.HasPrefix(name, "--") {
			name, o, ok = resolveLong(name)
		}
		if !ok {
			r.refuse(l, fmt.Sprintf("%s is not an option layerctl knows pip to take in a requirements file, so it cannot tell whether it builds from source", strings.SplitN(tok, "=", 2)[0]))
			continue
		}
		if o.value && !hasValue && i+1 < len(toks) {
			i++
			value = toks[i]
		}
		switch {
		case o.build != "":
			r.Sources = r.Sources || name == "--editable"
			r.refuse(l, fmt.Sprintf("%s %s", name, o.build))
		case name == "--only-binary" && slices.ContainsFunc(strings.Split(value, ","), func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), ":none:") }):
			r.refuse(l, "--only-binary :none: lets pip build packages from source (sdists) instead of installing wheels")
		case name == "--requirement" || name == "--constraint":
			if pipURLScheme.MatchString(value) {
				r.refuse(l, fmt.Sprintf("%s %s is read from a URL, where layerctl cannot check it before pip reads it: keep it in the repository and name its path", name, value))
				continue
			}
			inc := filepath.FromSlash(value)
			if !filepath.IsAbs(inc) {
				inc = filepath.Join(filepath.Dir(l.File), inc)
			}
			includes = append(includes, inc)
		case name == "--find-links" && !manifest.IsURL(value):
			// pip tries the folder next to the requirements file first.
			dir := filepath.Join(filepath.Dir(l.File), value)
			if _, err := os.Stat(dir); err != nil || filepath.IsAbs(value) {
				dir = archive.AbsPath(baseDir, value)
			}
			r.FindLinks = append(r.FindLinks, dir)
		}
	}
	return includes
}

// breakArgsOptions splits a line as pip does: the words before the first
// one that starts with "-" are the requirement, the rest its options.
func breakArgsOptions(l string) (args, opts string) {
	toks := strings.Split(l, " ")
	for i, t := range toks {
		if strings.HasPrefix(t, "-") {
			return strings.Join(toks[:i], " "), strings.Join(toks[i:], " ")
		}
	}
	return l, ""
}

var (
	pipURLScheme = regexp.MustCompile(`(?i)^(http|https|file):`)
	vcsScheme    = regexp.MustCompile(`(?i)^(git|hg|svn|bzr)(\+[^:]*)?:`)
	urlScheme    = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*:`)
	reqExtras    = regexp.MustCompile(`^(.+)(\[[^\]]+\])$`)
)

// pipArchive are the endings pip takes for a distribution file.
var pipArchive = []string{".zip", ".whl", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma", ".tar.gz", ".tgz", ".tar"}

// requirement classifies the requirement part of a line, as pip's
// parse_req_from_line would read it: a name with a version (fine), a
// wheel by path or URL (fine), or something pip builds.
func (r *Requirements) requirement(baseDir string, l reqLine, req string) {
	isURL := urlScheme.MatchString(req) && (pipURLScheme.MatchString(req) || vcsScheme.MatchString(req) || strings.HasPrefix(strings.ToLower(req), "ftp:"))
	sep := ";"
	if isURL {
		sep = "; "
	}
	req, _, _ = strings.Cut(req, sep)
	req = strings.TrimFunc(req, pySpace)
	if isURL {
		r.url(l, req)
		return
	}
	local := req
	if m := reqExtras.FindStringSubmatch(local); m != nil {
		local = m[1]
	}
	looksLikePath := strings.Contains(req, "/") || strings.HasPrefix(req, ".")
	if before, after, ok := strings.Cut(req, "@"); ok && !strings.Contains(before, "/") && !strings.HasPrefix(before, ".") {
		// name @ URL (PEP 508)
		u := strings.TrimFunc(after, pySpace)
		if i := strings.IndexFunc(u, pySpace); i >= 0 {
			u = u[:i]
		}
		r.url(l, u)
		return
	}
	if !looksLikePath && !hasSuffixFold(local, pipArchive...) {
		return // a name: from an index or find-links, wheels only
	}
	p := archive.AbsPath(baseDir, local)
	r.Local = append(r.Local, p)
	info, err := os.Stat(p)
	switch {
	case err == nil && info.IsDir():
		r.Sources = true
		r.refuse(l, "a local folder is built from source")
	case !hasSuffixFold(local, ".whl"):
		r.refuse(l, "a local path that is not a wheel (.whl) is built from source")
	}
}

// url classifies a requirement given by URL.
func (r *Requirements) url(l reqLine, u string) {
	switch {
	case vcsScheme.MatchString(u):
		r.Sources = true
		r.refuse(l, "a VCS URL (git+, hg+, svn+, bzr+) is checked out and built from source")
		return
	case !urlScheme.MatchString(u):
		r.refuse(l, fmt.Sprintf("%q is not a URL layerctl can check", u))
		return
	}
	parsed, err := url.Parse(u)
	if err != nil {
		r.refuse(l, fmt.Sprintf("%q is not a URL layerctl can check (%v)", u, err))
		return
	}
	if hasSuffixFold(path.Base(strings.TrimRight(parsed.Path, "/")), ".whl") {
		if strings.EqualFold(parsed.Scheme, "file") {
			r.Local = append(r.Local, filepath.FromSlash(parsed.Path))
		}
		return
	}
	if strings.EqualFold(parsed.Scheme, "file") {
		r.Local = append(r.Local, filepath.FromSlash(parsed.Path))
	} else {
		r.Sources = true
	}
	r.refuse(l, "a URL that is not a wheel (.whl) is built from source")
}

func hasSuffixFold(s string, suffixes ...string) bool {
	s = strings.ToLower(s)
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// shlexSplit splits as Python's shlex.split (POSIX mode), which pip uses
// for a line's options.
func shlexSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			if quote == '"' && r != '"' && r != '\\' {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	switch {
	case quote != 0:
		return nil, errors.New("no closing quotation")
	case escaped:
		return nil, errors.New("no escaped character")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// RelToBase names a file relative to the manifest's folder when it is in it.
func RelToBase(baseDir, file string) string {
	if rel, err := filepath.Rel(baseDir, file); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		return filepath.ToSlash(rel)
	}
	return file
}

// PipGetenv is the environment pip sees, for its ${VAR} expansion.
func PipGetenv(t *builder.Tools) func(name string) string {
	return func(name string) string {
		if name == "PIP_DISABLE_PIP_VERSION_CHECK" {
			return "1"
		}
		return t.Getenv(name)
	}
}
