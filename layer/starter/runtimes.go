package starter

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// runtimesFor is the runtimes a layer of kind is written with, what the
// manifest says of them in comments, and which of those are caveats people
// must check (a tool missing, a version Lambda does not run, a deprecated
// runtime).
func runtimesFor(ctx context.Context, kind string, f *found, opts Options) (rts, comments, caveats []string) {
	switch {
	case kind == kindPython || kind == kindFiles && f.family == lambdafacts.Python:
		return local(ctx, opts, lambdafacts.Python, "python3", []string{"python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"}, "python")
	case kind == kindNode || kind == kindFiles && f.family == lambdafacts.NodeJS:
		return local(ctx, opts, lambdafacts.NodeJS, "node", []string{"node", "-p", "process.versions.node"}, "nodejs")
	case kind == kindGo:
		v, err := opts.Tools.Ask(ctx, builder.Command{Tool: "go", What: "(its version)", Args: []string{"go", "env", "GOVERSION"}})
		note := "Go has no managed runtime: provided.al2023 is the OS-only one; bin/ serves every runtime, so add those of the functions that run it"
		if err == nil {
			note = strings.TrimSpace(string(v)) + " builds it; " + note
		}
		return []string{"provided.al2023"}, []string{note}, nil
	}
	note := "no runtime could be told from the files: provided.al2023 written; list the runtimes of the functions that will use the layer"
	return []string{"provided.al2023"}, []string{note}, []string{note}
}

// local is the runtime of family matching the local tool's version (the
// one verify loads the layer with), else the newest one AWS supports.
func local(ctx context.Context, opts Options, family, tool string, args []string, prefix string) (rts, comments, caveats []string) {
	out, err := opts.Tools.Ask(ctx, builder.Command{Tool: tool, What: "(its version)", Args: args})
	newest := newestSupported(family, opts)
	if err != nil {
		note := fmt.Sprintf("%s is not on PATH here: %s written, the newest runtime AWS supports", tool, newest)
		return []string{newest}, []string{note}, []string{note}
	}
	version := strings.TrimSpace(string(out))
	rt := prefix + version
	if family == lambdafacts.NodeJS {
		major, _, _ := strings.Cut(version, ".")
		rt = "nodejs" + major + ".x"
	}
	if !lambdafacts.ValidRuntime(rt) {
		note := fmt.Sprintf("the local %s is %s, which Lambda does not run: %s written, the newest runtime AWS supports", tool, version, newest)
		return []string{newest}, []string{note}, []string{note}
	}
	note := fmt.Sprintf("%s: the local %s's (%s), which verify loads the layer with", rt, tool, version)
	if lambdafacts.DeprecatedAt(rt, opts.Now) {
		note += "; " + lambdafacts.Explain(rt, opts.Now) + "; " + newest + " is the newest AWS supports"
		return []string{rt}, []string{note}, []string{note}
	}
	return []string{rt}, []string{note}, nil
}

// newestSupported is the newest runtime of family that AWS has dated and
// not deprecated by opts.Now (an identifier the SDK knows without dates
// may not be offered yet).
func newestSupported(family string, opts Options) string {
	rts := lambdafacts.Runtimes()
	slices.Reverse(rts)
	for _, rt := range rts {
		l, ok := lambdafacts.RuntimeLifecycle(rt)
		if lambdafacts.RuntimeFamily(rt) == family && ok && !l.Deprecate.IsZero() && l.PhaseAt(opts.Now) == lambdafacts.PhaseSupported {
			return rt
		}
	}
	return map[string]string{lambdafacts.Python: "python3.13", lambdafacts.NodeJS: "nodejs22.x"}[family]
}
