package python

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

// glibcFor is the glibc minor version of the runtime's OS. Lambda's Python
// runtimes run on Amazon Linux: python3.12 and later on Amazon Linux 2023
// (glibc 2.34), the older ones on Amazon Linux 2 (glibc 2.26). A wheel
// tagged manylinux_2_X loads where glibc >= 2.X.
func glibcFor(pyVersion string) int {
	if minor, err := strconv.Atoi(strings.TrimPrefix(pyVersion, "3.")); err == nil && minor >= 12 {
		return 34
	}
	return 26
}

// Platforms are pip's --platform values for a Lambda runtime: every
// manylinux tag the runtime's glibc can load, newest first (pip prefers
// earlier platforms), then the legacy aliases.
func Platforms(arch, pyVersion string) []string {
	m := lambdafacts.Uname(arch)
	lowest := 17 // manylinux on aarch64 starts at glibc 2.17
	if arch == "x86_64" {
		lowest = 5
	}
	var out []string
	for g := glibcFor(pyVersion); g >= lowest; g-- {
		out = append(out, fmt.Sprintf("manylinux_2_%d_%s", g, m))
		switch g {
		case 17:
			out = append(out, "manylinux2014_"+m)
		case 12:
			out = append(out, "manylinux2010_"+m)
		case 5:
			out = append(out, "manylinux1_"+m)
		}
	}
	return out
}

// UVPlatform is uv's --python-platform for a Lambda runtime.
func UVPlatform(arch, pyVersion string) string {
	return fmt.Sprintf("%s-manylinux_2_%d", lambdafacts.Uname(arch), glibcFor(pyVersion))
}

// Versions are the distinct Python versions of the runtimes, in order.
func Versions(runtimes []string) []string {
	var out []string
	for _, r := range runtimes {
		if v := lambdafacts.PythonVersion(r); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Info is what the local python3 says about itself and its pip.
type Info struct {
	Executable string   `json:"executable"`
	Version    string   `json:"version"`
	Pip        string   `json:"pip"`
	PipPath    string   `json:"pip_path"`
	PipError   string   `json:"pip_error"`
	Config     string   `json:"config"`     // digest of pip's configuration files and PIP_ variables
	FindLinks  []string `json:"find_links"` // local find-links from pip's configuration
	// ConfigFiles are every file pip would read its configuration from,
	// there or not.
	ConfigFiles []string `json:"config_files"`
}

// pythonInfoScript asks python3 about itself, its pip and pip's effective
// configuration, in one start of the interpreter.
const pythonInfoScript = `
import hashlib, json, os, sys
out = {"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3], "find_links": [], "config_files": []}
try:
    import pip
    out["pip"] = pip.__version__
    out["pip_path"] = os.path.dirname(pip.__file__)
    from pip._internal.configuration import Configuration, get_configuration_files
    h = hashlib.sha256()
    if os.environ.get("PIP_CONFIG_FILE"):
        out["config_files"].append(os.environ["PIP_CONFIG_FILE"])
    for variant, files in sorted(get_configuration_files().items()):
        out["config_files"] += files
        for f in files:
            try:
                with open(f, "rb") as fh:
                    h.update(f.encode() + b"\0" + fh.read() + b"\0")
            except OSError:
                pass
    conf = Configuration(isolated=False)
    conf.load()
    for k, v in sorted(conf.items()):
        h.update(("%s=%s\0" % (k, v)).encode())
        if k.split(".")[-1] in ("find-links", "find_links"):
            # Local folders only: their files go into the key; a URL
            # (which may hold credentials) stays out of the answer, which
            # the build cache keeps on disk. The digest covers it.
            out["find_links"] += [f for f in str(v).split() if "://" not in f or f.startswith("file://")]
    out["config"] = h.hexdigest()
except Exception as e:
    out["pip_error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out))
`

// pythonIsolated are python3's options for every run layerctl makes in a
// folder it does not own: -I leaves the working folder (and PYTHONPATH and
// the user's site-packages) off sys.path, so a json.py or a pip/ folder in
// the manifest's folder is never imported in place of the real one; -B
// writes no bytecode.
var pythonIsolated = []string{"-I", "-B"}

// About asks the local python3 about itself and its pip, once per Tools.
func About(ctx context.Context, t *builder.Tools, dir string) (*Info, error) {
	out, err := t.Ask(ctx, aboutQuestion(t, dir).Command)
	if err != nil {
		return nil, err
	}
	return parseInfo(out)
}

// aboutQuestion is what About asks python3, and what its answer depends
// on that can be seen without starting it: which interpreter a version
// manager's shim picks (its variables and version files), the interpreter
// and pip it picked, pip's configuration files and variables.
func aboutQuestion(t *builder.Tools, dir string) builder.Question {
	args := append(append([]string{"python3"}, pythonIsolated...), "-c", pythonInfoScript)
	pyenvRoot := t.Getenv("PYENV_ROOT")
	if pyenvRoot == "" {
		pyenvRoot = filepath.Join(t.Getenv("HOME"), ".pyenv")
	}
	return builder.Question{
		Command: builder.Command{Tool: "python3", What: "(asking it for its version and pip's)", Dir: dir, Args: args},
		Env:     []string{"PYENV_*", "ASDF_*", "MISE_*", "VIRTUAL_ENV", "CONDA_*", "PIP_*", "HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS"},
		Files:   append(builder.UpFrom(dir, ".python-version", ".tool-versions"), filepath.Join(pyenvRoot, "version")),
		Depends: func(out []byte) ([]string, error) {
			info, err := parseInfo(out)
			if err != nil {
				return nil, err
			}
			files := []string{info.Executable}
			if info.PipPath != "" {
				// Upgrading pip replaces it.
				files = append(files, filepath.Join(info.PipPath, "__init__.py"))
			}
			return append(files, info.ConfigFiles...), nil
		},
	}
}

// AboutKey is About for a build: through the build cache, which starts no
// python3 when nothing it depends on changed.
func AboutKey(ctx context.Context, k builder.Key, t *builder.Tools, dir string) (*Info, error) {
	out, err := k.Ask(ctx, aboutQuestion(t, dir))
	if err != nil {
		return nil, err
	}
	return parseInfo(out)
}

func parseInfo(out []byte) (*Info, error) {
	var info Info
	if err := json.Unmarshal(bytes.TrimSpace(lastLine(out)), &info); err != nil {
		return nil, fmt.Errorf("python3 answered %q: %w", out, err)
	}
	return &info, nil
}

func lastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// Installer decides between pip and uv: auto is uv when it is on PATH.
func Installer(t *builder.Tools, p *manifest.Python) string {
	switch p.Installer {
	case "pip", "uv":
		return p.Installer
	}
	if _, err := t.LookPath("uv"); err == nil {
		return "uv"
	}
	return "pip"
}

// Job is one install of the requirements for one Python version on
// one architecture.
type Job struct {
	Layer     string
	BaseDir   string // the manifest's folder: the working folder
	Spec      *manifest.Python
	Installer string
	Python    string // interpreter running pip (from pythonInfo), for pip
	Pip       string // pip's version, for pip
	Arch      string
	Version   string // 3.12
	Dest      string
}

func (j *Job) Command() builder.Command {
	req := archive.AbsPath(j.BaseDir, j.Spec.Requirements)
	what := fmt.Sprintf("installing %s for python%s on %s", j.Spec.Requirements, j.Version, j.Arch)
	var args []string
	if j.Installer == "uv" {
		// --no-config: uv would read settings (no-binary, config-settings,
		// indexes...) from a pyproject.toml or uv.toml in the manifest's
		// folder and above, which the repository controls. uv's settings
		// come from the manifest and UV_* variables only.
		args = []string{"uv", "pip", "install", "--no-config", "--target", j.Dest,
			"--python-platform", UVPlatform(j.Arch, j.Version), "--python-version", j.Version}
		if !j.Spec.AllowSourceBuilds {
			args = append(args, "--only-binary", ":all:")
		}
	} else {
		args = append(append([]string{j.Python}, pythonIsolated...), "-m", "pip", "install", "--target", j.Dest,
			"--implementation", "cp", "--python-version", j.Version)
		if j.Spec.AllowSourceBuilds {
			// pip takes --platform without --only-binary=:all: only with
			// --no-deps: it cannot know an sdist's dependencies on another
			// platform. So every package must be listed (pinned, as
			// pip-compile writes them); wheels still win where one fits.
			args = append(args, "--no-deps", "--prefer-binary")
		} else {
			args = append(args, "--only-binary=:all:")
		}
		args = append(args, "--no-compile", "--no-warn-script-location",
			"--disable-pip-version-check", "--no-input", "--progress-bar=off")
		if VersionAtLeast(j.Pip, 22, 1) {
			args = append(args, "--root-user-action=ignore")
		}
		for _, plat := range Platforms(j.Arch, j.Version) {
			args = append(args, "--platform", plat)
		}
	}
	if j.Spec.IndexURL != "" {
		args = append(args, "--index-url", j.Spec.IndexURL)
	}
	for _, u := range j.Spec.ExtraIndexURLs {
		args = append(args, "--extra-index-url", u)
	}
	for _, fl := range j.Spec.FindLinks {
		if !manifest.IsURL(fl) {
			fl = archive.AbsPath(j.BaseDir, fl)
		}
		args = append(args, "--find-links", fl)
	}
	if j.Spec.NoIndex {
		args = append(args, "--no-index")
	}
	args = append(args, "-r", req)
	tool := "pip install"
	if j.Installer == "uv" {
		tool = "uv pip install"
	}
	return builder.Command{Tool: tool, What: what, Dir: j.BaseDir, Args: args,
		Env: []string{"PIP_DISABLE_PIP_VERSION_CHECK=1"}}
}

func (j *Job) Run(ctx context.Context, t *builder.Tools) error {
	if err := os.MkdirAll(j.Dest, 0o755); err != nil {
		return err
	}
	t.Logf("layer %s: %s: python%s on %s", j.Layer, j.Command().Tool, j.Version, j.Arch)
	if _, err := t.Run(ctx, j.Layer, j.Command()); err != nil {
		return j.explain(err)
	}
	return tidyPythonTarget(j.Dest)
}

// noDistribution is pip's last word when nothing it may install fits.
var noDistribution = regexp.MustCompile(`No matching distribution found for (\S+)`)

// explain adds to pip's failure what layerctl knows about it: a package
// with no wheel for the target may have only a source distribution, which
// layerctl does not build unless told to.
func (j *Job) explain(err error) error {
	var te *builder.ToolError
	if j.Spec.AllowSourceBuilds || !errors.As(err, &te) {
		return err
	}
	for _, l := range te.Lines {
		if m := noDistribution.FindStringSubmatch(l); m != nil {
			c := *te
			c.Hint = fmt.Sprintf("no wheel of %s fits python%s on %s (a py3-none-any wheel, or a cp%s one tagged %s or an older manylinux): "+
				"layerctl installs wheels only, so pip does not build a package published only as source (an sdist); "+
				"put a wheel for that platform where pip finds it (an index or find_links), or set python: {allow_source_builds: true} on layer %s to let pip build it, "+
				"which runs the package's build code on this machine and builds it for this machine's platform",
				m[1], j.Version, j.Arch, strings.ReplaceAll(j.Version, ".", ""), Platforms(j.Arch, j.Version)[0], j.Layer)
			return &c
		}
	}
	return err
}

// tidyPythonTarget removes what pip or uv wrote that Lambda does not need
// and that differs between machines or runs:
//   - bin/: console scripts; their #! names the build machine's Python, and
//     Lambda's PATH does not include /opt/python/bin anyway;
//   - __pycache__/ and *.pyc: bytecode is per interpreter, written at run time;
//   - *.dist-info/direct_url.json: the absolute path or URL installed from;
//   - the RECORD lines of everything removed, so RECORD stays true.
func tidyPythonTarget(dir string) error {
	if err := os.RemoveAll(filepath.Join(dir, "bin")); err != nil {
		return err
	}
	var records []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch name := d.Name(); {
		case d.IsDir() && name == "__pycache__":
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			return filepath.SkipDir
		case !d.IsDir() && strings.HasSuffix(name, ".pyc"):
			return os.Remove(p)
		case !d.IsDir() && name == "direct_url.json" && strings.HasSuffix(filepath.Dir(p), ".dist-info"):
			return os.Remove(p)
		case !d.IsDir() && name == "RECORD" && strings.HasSuffix(filepath.Dir(p), ".dist-info"):
			records = append(records, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range records {
		if err := rewriteRecord(dir, r); err != nil {
			return err
		}
	}
	return nil
}

// rewriteRecord keeps the lines of a RECORD file whose files are still in
// the target folder.
func rewriteRecord(target, record string) error {
	data, err := os.ReadFile(record)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		name := recordPath(line)
		if name == "" {
			continue
		}
		clean := path.Clean(name)
		if strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(target, filepath.FromSlash(clean))); err != nil {
			continue
		}
		out.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if bytes.Equal(out.Bytes(), data) {
		return nil
	}
	return os.WriteFile(record, out.Bytes(), 0o644)
}

// recordPath is the path field of a RECORD line (CSV; the path may be quoted).
func recordPath(line string) string {
	if strings.HasPrefix(line, `"`) {
		var b strings.Builder
		for i := 1; i < len(line); i++ {
			if line[i] == '"' {
				if i+1 < len(line) && line[i+1] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				return b.String()
			}
			b.WriteByte(line[i])
		}
		return b.String()
	}
	p, _, _ := strings.Cut(line, ",")
	return p
}

func VersionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// wheelsIn describes the distributions installed in a target folder, from
// their .dist-info: "name version" -> the wheel tags, for messages.
func wheelsIn(dir string) map[string]string {
	out := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".dist-info")
		if !ok || !e.IsDir() {
			continue
		}
		var tags []string
		if data, err := os.ReadFile(filepath.Join(dir, e.Name(), "WHEEL")); err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if t, ok := strings.CutPrefix(l, "Tag:"); ok {
					tags = append(tags, strings.TrimSpace(t))
				}
			}
		}
		out[name] = strings.Join(tags, ".")
	}
	return out
}

// Difference explains why the installs for several Python versions
// differ: which distributions got which wheel.
func Difference(layer string, versions []string, dirs []string, diffPaths []string) error {
	wheels := make([]map[string]string, len(dirs))
	names := map[string]bool{}
	for i, d := range dirs {
		wheels[i] = wheelsIn(d)
		for n := range wheels[i] {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)
	var lines []string
	for _, n := range sorted {
		var got []string
		same := true
		for i := range dirs {
			tag, ok := wheels[i][n]
			switch {
			case !ok:
				tag = "nothing"
			case tag == "":
				tag = "an untagged install"
			}
			if i > 0 && tag != wheels[0][n] {
				same = false
			}
			got = append(got, fmt.Sprintf("python%s gets %s", versions[i], tag))
		}
		if !same {
			dist := strings.Replace(n, "-", " ", 1)
			lines = append(lines, fmt.Sprintf("%s: %s", dist, strings.Join(got, ", ")))
		}
	}
	if len(lines) == 0 {
		for _, p := range diffPaths {
			lines = append(lines, p+" differs")
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "layer %q: its Python runtimes need different wheels, so one python/ folder cannot serve them all:", layer)
	for _, l := range lines {
		b.WriteString("\n  " + l)
	}
	b.WriteString("\n  (a wheel tagged cpXY holds native code compiled for that CPython version only; the other runtimes cannot import it)")
	fmt.Fprintf(&b, "\n  fix: set python: {per_version: true} to install each runtime's wheels into python/lib/pythonX.Y/site-packages/, or give each Python version its own layer")
	return &archive.ContentError{Layer: layer, Msg: strings.TrimPrefix(b.String(), fmt.Sprintf("layer %q: ", layer))}
}
