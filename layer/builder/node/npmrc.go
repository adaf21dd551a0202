package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/layerctl/layerctl/internal/readfile"
	"github.com/layerctl/layerctl/layer/archive"
)

// A package's .npmrc is copied beside its package.json for npm ci, and a
// pull request controls it. With install scripts off (node.scripts: false)
// npm runs no package code, but a few settings name programs npm runs or
// files it reads settings from; those are refused. With scripts: true the
// packages' own code runs anyway, and the file is taken as it is.

// maxNpmrc bounds what layerctl reads of a .npmrc.
const maxNpmrc = 1 << 20

// NpmRiskyKeys are the npm settings that choose a program npm runs, or
// another settings file npm reads (which layerctl would not have checked).
var NpmRiskyKeys = map[string]string{
	"git":           "names the program npm runs to fetch git dependencies",
	"script-shell":  "names the shell npm runs scripts with",
	"shell":         "names the shell npm runs commands with",
	"node-gyp":      "names the program npm runs to build native addons",
	"node-options":  "sets NODE_OPTIONS (--require FILE runs any code) for what npm runs",
	"onload-script": "names a module npm loads when it starts",
	"userconfig":    "makes npm read another settings file, which layerctl does not check",
	"globalconfig":  "makes npm read another settings file, which layerctl does not check",
}

// NpmrcLine is a key set by a line of a .npmrc.
type NpmrcLine struct {
	Line int
	Key  string
}

// RiskyNpmrc reads the .npmrc at file (none is fine) and returns the lines
// that set a risky key, with why.
func RiskyNpmrc(file string, getenv func(string) string) ([]NpmrcLine, error) {
	data, err := readfile.Read(file, maxNpmrc)
	var tooLarge *readfile.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("larger than %d MiB: layerctl does not read a .npmrc that large", maxNpmrc>>20)
	case readfile.IsNotRegular(err):
		return nil, errors.New("not a regular file: npm reads its settings from a file")
	case err != nil:
		return nil, fmt.Errorf("cannot read it: %w", archive.UnwrapPathErr(err))
	}
	var out []NpmrcLine
	for i, physical := range strings.Split(string(data), "\n") {
		for _, l := range strings.Split(physical, "\r") {
			key, ok := npmrcKey(l, getenv)
			if !ok {
				continue
			}
			// npm matches keys exactly; layerctl also catches the spellings
			// npm only warns about, in case a later npm accepts them.
			norm := strings.ReplaceAll(strings.ToLower(key), "_", "-")
			if _, risky := NpmRiskyKeys[norm]; risky {
				out = append(out, NpmrcLine{Line: i + 1, Key: norm})
			}
		}
	}
	return out, nil
}

var (
	npmrcComment = regexp.MustCompile(`^\s*[;#]`)
	npmrcSection = regexp.MustCompile(`^\[([^\]]*)\]\s*$`)
	npmrcEnv     = regexp.MustCompile(`\$\{([^${}?]+)(\?)?\}`)
)

// npmrcKey is the key a line sets, decoded as npm's ini parser and its
// ${VAR} expansion decode it. Keys in [sections] count too.
func npmrcKey(l string, getenv func(string) string) (string, bool) {
	if strings.TrimSpace(l) == "" || npmrcComment.MatchString(l) || npmrcSection.MatchString(l) {
		return "", false
	}
	raw, _, _ := strings.Cut(l, "=")
	key := iniUnsafe(raw)
	key = strings.TrimSuffix(key, "[]")
	key = npmrcEnv.ReplaceAllStringFunc(key, func(m string) string {
		sub := npmrcEnv.FindStringSubmatch(m)
		if v := getenv(sub[1]); v != "" {
			return v
		}
		if sub[2] == "?" {
			return ""
		}
		return m
	})
	return strings.TrimSpace(key), key != ""
}

// iniUnsafe decodes a key or value as the ini package npm uses does:
// quoted, it is unquoted (as JSON where it can be); otherwise a ; or #
// ends it and \ escapes those.
func iniUnsafe(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		if v[0] == '\'' {
			v = v[1 : len(v)-1]
		}
		var s string
		if json.Unmarshal([]byte(v), &s) == nil {
			return s
		}
		return v
	}
	var b strings.Builder
	esc := false
	for _, r := range v {
		switch {
		case esc:
			if !strings.ContainsRune(`\;#`, r) {
				b.WriteRune('\\')
			}
			b.WriteRune(r)
			esc = false
		case r == ';' || r == '#':
			return strings.TrimSpace(b.String())
		case r == '\\':
			esc = true
		default:
			b.WriteRune(r)
		}
	}
	if esc {
		b.WriteRune('\\')
	}
	return strings.TrimSpace(b.String())
}
