package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mholt/archiver/v3"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/check"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// Options says what a ZIP is for and how to run the local runtimes.
type Options struct {
	Runtimes      []string
	Architectures []string
	Tools         *builder.Tools // nil: this process's environment
}

// Check statuses.
const (
	CheckOK      = "ok"      // imported (required) with the local runtime
	CheckFailed  = "failed"  // would fail on Lambda
	CheckSkipped = "skipped" // this machine cannot tell; Detail says why
	CheckWarning = "warning" // failed here, but the local runtime differs from the target's, which may be why
)

// Why a check was skipped (Check.Reason): the verdict counts each.
const (
	ReasonOtherCPU       = "other-cpu"        // native code for another CPU, judged from its ELF header
	ReasonOtherPython    = "other-python"     // an extension module built for another CPython
	ReasonOtherPlatform  = "other-platform"   // a Node.js package declared for another os or libc
	ReasonPlatformBinary = "platform-binary"  // binaries only, loaded by path by another package
	ReasonNoMainEntry    = "no-main-entry"    // nothing to require by the package's name (subpath exports only, files)
	ReasonTypesOnly      = "types-only"       // TypeScript declarations
	ReasonProvided       = "runtime-provided" // needs a module the Lambda runtime provides
	ReasonNotInstalled   = "not-installed"    // an optional dependency that is not in the layer
	ReasonNoRuntime      = "no-local-runtime" // no python3 or node on this machine
)

// reasonWords name the reasons in the verdict line.
var reasonWords = map[string]string{
	ReasonOtherCPU:       "native code for another CPU",
	ReasonOtherPython:    "built for another CPython",
	ReasonOtherPlatform:  "for another platform",
	ReasonPlatformBinary: "platform binaries",
	ReasonNoMainEntry:    "no main entry",
	ReasonTypesOnly:      "types only",
	ReasonProvided:       "needs what the runtime provides",
	ReasonNotInstalled:   "optional, not installed",
	ReasonNoRuntime:      "no local runtime",
}

// Verdicts of a report.
const (
	VerdictPassed  = "passed"           // something was loaded, and nothing failed
	VerdictFailed  = "failed"           // a check failed or the checks found an error
	VerdictNothing = "nothing verified" // nothing failed, but nothing was loaded either
)

// Check is one package imported or required, or not, and why.
type Check struct {
	Runtime string `json:"runtime"`
	Package string `json:"package"` // the module imported or package required
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"` // why it was skipped, one of the Reason constants
	Detail  string `json:"detail,omitempty"`
}

func (c Check) String() string {
	verb := "import"
	if lambdafacts.NodeMajor(c.Runtime) != "" {
		verb = "require"
	}
	s := fmt.Sprintf("%-8s %s: %s %s", c.Status, c.Runtime, verb, c.Package)
	if c.Detail != "" {
		s += ": " + c.Detail
	}
	return s
}

// Report is what verify found in one ZIP.
type Report struct {
	Layer         string          `json:"layer,omitempty"`
	Path          string          `json:"path"`
	SHA256        string          `json:"sha256"`
	Runtimes      []string        `json:"runtimes"`
	Architectures []string        `json:"architectures"`
	Machine       string          `json:"machine"` // this machine's architecture
	Checks        []Check         `json:"checks"`
	Findings      []layer.Finding `json:"findings"`
	Verdict       string          `json:"verdict"` // passed, failed or nothing verified

	// loads: some runtime of the layer is one whose code verify loads
	// (Python, Node.js). A layer only for others (provided.*, Java, Ruby,
	// .NET) is judged by the layout and ELF checks alone, and passes on them.
	loads bool
}

// Failed reports whether the layer would not work on Lambda.
func (r *Report) Failed() bool {
	return len(layer.Errors(r.Findings)) > 0 || slices.ContainsFunc(r.Checks, func(c Check) bool { return c.Status == CheckFailed })
}

// NothingVerified reports whether no package was loaded (all skipped, or
// none to load) of a layer for a runtime whose code verify loads, though
// nothing failed: the layer is not shown to work.
func (r *Report) NothingVerified() bool {
	return r.loads && !r.Failed() && r.Count(CheckOK) == 0
}

func (r *Report) verdict() string {
	switch {
	case r.Failed():
		return VerdictFailed
	case r.NothingVerified():
		return VerdictNothing
	}
	return VerdictPassed
}

// Skipped counts the skipped checks by reason, in the order of the
// reasons' words: "2 native code for another CPU, 1 types only".
func (r *Report) Skipped() string {
	counts := map[string]int{}
	for _, c := range r.Checks {
		if c.Status == CheckSkipped {
			counts[c.Reason]++
		}
	}
	words := map[string]int{}
	for reason, n := range counts {
		w := reasonWords[reason]
		if w == "" {
			w = "other reasons"
		}
		words[w] += n
	}
	var parts []string
	for _, w := range slices.Sorted(maps.Keys(words)) {
		parts = append(parts, fmt.Sprintf("%d %s", words[w], w))
	}
	return strings.Join(parts, ", ")
}

// Count returns how many checks have the status.
func (r *Report) Count(status string) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == status {
			n++
		}
	}
	return n
}

// hostArch is this machine's architecture in Lambda's words.
func hostArch() string { return lambdafacts.ArchOfGOARCH(runtime.GOARCH) }

// Verify unpacks the ZIP into a temporary folder laid out as Lambda lays
// out /opt and, for each runtime, imports every top-level Python module
// or requires every Node.js package with the local python3 or node, the
// search paths set as Lambda sets them. Native code this machine cannot
// load (another CPU, another CPython) is not loaded: the check says so,
// and the ELF checks of inspect still apply to it.
func Verify(ctx context.Context, zipPath string, opts Options) (*Report, error) {
	if opts.Tools == nil {
		opts.Tools = &builder.Tools{}
	}
	insp, err := check.Inspect(ctx, zipPath, check.InspectOptions{Runtimes: opts.Runtimes, Architectures: opts.Architectures})
	if err != nil {
		return nil, err
	}
	r := &Report{Path: zipPath, SHA256: insp.SHA256, Runtimes: opts.Runtimes, Architectures: opts.Architectures,
		Machine: hostArch(), Checks: []Check{}, Findings: insp.Findings}
	defer func() { r.Verdict = r.verdict() }()
	for _, f := range insp.Findings {
		if f.Kind == layer.UnsafeName {
			return r, nil // unsafe names: never unpack it
		}
	}

	tmp, err := os.MkdirTemp("", "layerctl-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	opt := filepath.Join(tmp, "opt")
	run := filepath.Join(tmp, "run") // an empty working folder, like /var/task
	for _, d := range []string{opt, run} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := archive.UnpackWith(ctx, archiver.NewZip(), zipPath, opt, zipPath); err != nil {
		return nil, err
	}

	v := &verifier{tools: opts.Tools, opt: opt, run: run, host: hostArch()}
	for _, rt := range opts.Runtimes {
		var checks []Check
		switch {
		case lambdafacts.PythonVersion(rt) != "":
			r.loads = true
			checks, err = v.python(ctx, rt)
		case lambdafacts.NodeMajor(rt) != "":
			r.loads = true
			checks, err = v.node(ctx, rt)
		default:
			r.Findings = append(r.Findings, layer.Finding{Severity: layer.SevNote, Path: "", Message: fmt.Sprintf("%s: verify imports Python modules and requires Node.js packages; for %s only the layout and ELF checks apply", rt, rt)})
			continue
		}
		if err != nil {
			return nil, err
		}
		r.Checks = append(r.Checks, checks...)
	}
	if len(opts.Runtimes) == 0 {
		r.loads = true // nothing says it is not code verify could load
		r.Findings = append(r.Findings, layer.Finding{Severity: layer.SevNote, Path: "", Message: "no runtime given: nothing was imported (give --runtime, or verify a layer of the manifest)"})
	}
	return r, nil
}

// verifier runs the local runtimes against an unpacked layer.
type verifier struct {
	tools *builder.Tools
	opt   string // the unpacked ZIP: /opt
	run   string // working folder of the runtimes
	host  string
}

// lambdaEnv is the environment Lambda gives a function, for what layers
// change: PATH ends with /opt/bin and LD_LIBRARY_PATH with /opt/lib.
func (v *verifier) lambdaEnv(extra ...string) []string {
	path := v.tools.Getenv("PATH")
	ld := v.tools.Getenv("LD_LIBRARY_PATH")
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + string(os.PathListSeparator) + b
	}
	return append([]string{
		"PATH=" + join(path, filepath.Join(v.opt, "bin")),
		"LD_LIBRARY_PATH=" + join(ld, filepath.Join(v.opt, "lib")),
	}, extra...)
}

// nativeProblem says why this machine cannot load the native code among
// files (paths on disk, named in messages relative to /opt), or "".
func (v *verifier) nativeProblem(files []string) string {
	for _, f := range files {
		head := make([]byte, 20)
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		n, _ := fh.Read(head)
		fh.Close()
		m, ok := lambdafacts.ELFMachine(head[:n])
		if !ok {
			continue
		}
		if a := lambdafacts.ArchOfMachine(m); a != v.host {
			rel, _ := filepath.Rel(v.opt, f)
			return fmt.Sprintf("holds %s native code (%s) that this %s machine cannot load; its ELF header was checked instead", lambdafacts.MachineName(m), filepath.ToSlash(rel), v.host)
		}
	}
	return ""
}

// misplaced lists top-level folders of /opt that hold files of the given
// kind (by name suffix) outside the folders the runtimes read.
func (v *verifier) misplaced(isCode func(name string) bool) []string {
	var out []string
	ents, _ := os.ReadDir(v.opt)
	for _, e := range ents {
		switch e.Name() {
		case "python", "nodejs", "java", "ruby", "bin", "lib", "extensions":
			continue
		}
		if !e.IsDir() {
			continue
		}
		found := false
		filepath.WalkDir(filepath.Join(v.opt, e.Name()), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isCode(d.Name()) {
				found = true
				return filepath.SkipAll
			}
			return nil
		})
		if found {
			out = append(out, e.Name())
		}
	}
	return out
}

// importResult is one line the import or require script writes.
type importResult struct {
	Start   string `json:"start"`
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Kind    string `json:"kind"`    // the exception's class: SyntaxError, ModuleNotFoundError
	Missing string `json:"missing"` // the module a failure says is missing, when another
	Via     string `json:"via"`     // "import" when loaded with import() (Node.js)
}

// Bounds on what one run of a runtime may make verify hold: the results
// are a line per name; what the packages print is kept only at its end,
// for the message when the runtime crashes.
const (
	maxResults    = 64 << 10 // bytes of results per name
	keptOutput    = 64 << 10
	outputTimeout = 5 * time.Second // for a process that escaped the group and holds the output open
)

// runImports runs a script that imports (requires) each name it is given
// and writes an importResult per name to file descriptor 3, away from what
// the packages print. A name that crashes the runtime is failed with what
// it wrote, and the rest are tried again without it.
func (v *verifier) runImports(ctx context.Context, args []string, names []string, env []string) (map[string]importResult, error) {
	prog, err := v.tools.LookPath(args[0])
	if err != nil {
		return nil, err
	}
	out := map[string]importResult{}
	for len(names) > 0 {
		results, stderr, runErr := v.runOnce(ctx, prog, append(args[1:], names...), env, int64(len(names))*maxResults)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		started := ""
		for _, line := range strings.Split(string(results), "\n") {
			var r importResult
			if json.Unmarshal([]byte(line), &r) != nil {
				continue
			}
			if r.Start != "" {
				started = r.Start
				continue
			}
			out[r.Name] = r
			started = ""
		}
		var rest []string
		for _, n := range names {
			if _, done := out[n]; !done {
				rest = append(rest, n)
			}
		}
		if len(rest) == 0 {
			break
		}
		if runErr == nil && started == "" {
			return nil, fmt.Errorf("%s wrote no result for %s: %s", args[0], strings.Join(rest, ", "), strings.Join(builder.LastLines(stderr, 5), " / "))
		}
		if started == "" {
			return nil, fmt.Errorf("%s failed before importing anything (%v): %s", args[0], runErr, strings.Join(builder.LastLines(stderr, 5), " / "))
		}
		msg := "the runtime ended while loading it (exit status 0)"
		if runErr != nil {
			msg = fmt.Sprintf("the runtime crashed (%v)", runErr)
		}
		if tail := builder.LastLines(stderr, 3); len(tail) > 0 {
			msg += ": " + strings.Join(tail, " / ")
		}
		out[started] = importResult{Name: started, Error: msg}
		names = slices.DeleteFunc(rest, func(n string) bool { return n == started })
	}
	return out, nil
}

// runOnce runs prog once: the results it wrote to file descriptor 3 (at
// most max bytes), the end of what it wrote to stdout and stderr, and how
// it ended.
func (v *verifier) runOnce(ctx context.Context, prog string, args, env []string, max int64) ([]byte, string, error) {
	resR, resW, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	defer resR.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		resW.Close()
		return nil, "", err
	}
	defer outR.Close()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = v.run
	cmd.Env = append(append([]string(nil), v.tools.Environ()...), env...)
	// Files, not writers: Wait returns when the runtime ends, not when
	// the last process holding its output does.
	cmd.Stdout, cmd.Stderr = outW, outW
	cmd.ExtraFiles = []*os.File{resW}
	ownGroup(cmd)
	err = cmd.Start()
	resW.Close()
	outW.Close()
	if err != nil {
		return nil, "", err
	}
	var results bytes.Buffer
	output := &tailBuffer{max: keptOutput}
	var reading sync.WaitGroup
	reading.Add(2)
	go func() {
		defer reading.Done()
		io.Copy(&results, io.LimitReader(resR, max))
	}()
	go func() {
		defer reading.Done()
		io.Copy(output, outR)
	}()
	runErr := cmd.Wait()
	// Whatever the imports started goes with the runtime: verify leaves
	// nothing of the layer's running, and nothing holds the pipes open.
	killGroup(cmd)
	deadline := time.Now().Add(outputTimeout)
	resR.SetReadDeadline(deadline)
	outR.SetReadDeadline(deadline)
	reading.Wait()
	return results.Bytes(), output.String(), runErr
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// judge turns an import result into a check. Modules the runtime provides
// (boto3 for Python, the AWS SDK for Node.js) are not in a layer and not
// failures; a failure that the local runtime's version may explain
// (versionNote says why, or "") is a warning.
func judge(rt, name string, r importResult, provided func(string) bool, versionNote func() string) Check {
	c := Check{Runtime: rt, Package: name, Status: CheckOK}
	if r.OK {
		return c
	}
	if r.Missing != "" && provided(r.Missing) {
		c.Status, c.Reason = CheckSkipped, ReasonProvided
		c.Detail = fmt.Sprintf("needs %s, which the %s runtime provides (not checked here)", r.Missing, rt)
		return c
	}
	c.Status, c.Detail = CheckFailed, r.Error
	if note := versionNote(); note != "" {
		c.Status = CheckWarning
		c.Detail = r.Error + " (" + note + ", which may be the reason)"
	}
	return c
}
