package python

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// pyBuilder installs a layer's Python requirements (python:).
type pyBuilder struct {
	env      builder.Env
	exe, pip string // the interpreter running pip and pip's version, learned by Key
}

// New is the Python builder of a layer with python:, else nil.
func New(env builder.Env) builder.Builder {
	if env.Layer.Python == nil {
		return nil
	}
	return &pyBuilder{env: env}
}

// Key adds pip or uv, their settings and the requirements' files.
func (b *pyBuilder) Key(ctx context.Context, k builder.Key) error {
	py := b.env.Layer.Python
	installer := Installer(b.env.Tools, py)
	k.Add("python installer", installer)
	if installer == "uv" {
		out, err := k.Ask(ctx, builder.Question{Command: builder.Command{Tool: "uv", What: "(asking its version)", Dir: b.env.BaseDir, Args: []string{"uv", "--version"}}})
		if err != nil {
			return builder.WithLayer(err, b.env.Layer.Name)
		}
		k.Add("uv", strings.TrimSpace(string(out)))
		k.Add("env", b.env.Tools.EnvWithPrefix("UV_")...) // uv runs with --no-config: no file settings
	} else {
		info, err := AboutKey(ctx, k, b.env.Tools, b.env.BaseDir)
		if err != nil {
			return builder.WithLayer(err, b.env.Layer.Name)
		}
		if info.Pip == "" {
			return &archive.ContentError{Layer: b.env.Layer.Name, Msg: fmt.Sprintf("python3 (%s) cannot run pip (%s): install pip (python3 -m ensurepip, or apt-get install python3-pip), or install uv", info.Executable, info.PipError)}
		}
		b.exe, b.pip = info.Executable, info.Pip
		k.Add("pip", info.Pip, info.Version, info.Config)
		for _, fl := range info.FindLinks {
			if !manifest.IsURL(fl) {
				k.Path("pip config find-links", strings.TrimPrefix(fl, "file://"))
			}
		}
		k.Add("env", b.env.Tools.EnvWithPrefix("PIP_")...)
	}
	reqs, err := ReadRequirements(ctx, b.env.BaseDir, py.Requirements, PipGetenv(b.env.Tools))
	if err != nil {
		return err
	}
	for _, f := range reqs.Files {
		k.Path("requirements input", f)
	}
	for _, d := range reqs.FindLinks {
		k.Path("requirements find-links", d)
	}
	for _, f := range reqs.Local {
		k.Path("requirements local path", f)
	}
	if py.AllowSourceBuilds && reqs.Sources {
		// A folder, a VCS checkout or a remote source archive: what pip
		// builds from it is not known without fetching it.
		k.Add("python source builds", "not cacheable", time.Now().String())
	}
	for _, fl := range py.FindLinks {
		if !manifest.IsURL(fl) {
			k.Path("find-links", archive.AbsPath(b.env.BaseDir, fl))
		}
	}
	return nil
}

// Install installs the requirements for every Python version of the layer
// on arch, and returns where the result goes in the layer.
func (b *pyBuilder) Install(ctx context.Context, arch string) ([]archive.Source, error) {
	l, py := b.env.Layer, b.env.Layer.Python
	installer := Installer(b.env.Tools, py)
	versions := Versions(l.Runtimes)
	dirs := make([]string, len(versions))
	for i, v := range versions {
		dest, err := b.env.Stage(arch, "python"+v)
		if err != nil {
			return nil, err
		}
		j := &Job{Layer: l.Name, BaseDir: b.env.BaseDir, Spec: py, Installer: installer, Python: b.exe, Pip: b.pip, Arch: arch, Version: v, Dest: dest}
		if j.Python == "" {
			j.Python = "python3"
		}
		if err := j.Run(ctx, b.env.Tools); err != nil {
			return nil, err
		}
		dirs[i] = dest
	}
	label := func(v string) string { return fmt.Sprintf("%s for python%s on %s", installer, v, arch) }
	if py.PerVersion {
		var out []archive.Source
		for i, v := range versions {
			out = append(out, archive.Source{Path: dirs[i], To: "python/lib/python" + v + "/site-packages", Label: label(v) + ": site-packages"})
		}
		return out, nil
	}
	for i := 1; i < len(dirs); i++ {
		diff, err := b.env.TreeDifference(ctx, dirs[0], dirs[i])
		if err != nil {
			return nil, err
		}
		if len(diff) > 0 {
			return nil, Difference(l.Name, versions, dirs, diff)
		}
	}
	return []archive.Source{{Path: dirs[0], To: "python", Label: label(versions[0]) + ": python"}}, nil
}

// Check reports the requirement lines that would make pip build from
// source, unless the layer allows it.
func (b *pyBuilder) Check(ctx context.Context) ([]*manifest.Problem, error) {
	py := b.env.Layer.Python
	if py.AllowSourceBuilds {
		return nil, nil
	}
	reqs, err := ReadRequirements(ctx, b.env.BaseDir, py.Requirements, PipGetenv(b.env.Tools))
	if err != nil {
		return nil, err
	}
	var problems []*manifest.Problem
	for _, r := range reqs.Refused {
		problems = append(problems, sourceBuildProblem(b.env.BaseDir, b.env.Name, r))
	}
	return problems, nil
}

func sourceBuildProblem(baseDir, layer string, r Refusal) *manifest.Problem {
	msg := r.Why
	if r.Text != "" {
		msg = fmt.Sprintf("%q: %s", r.Text, r.Why)
	}
	if r.Unreadable {
		return &manifest.Problem{
			Pos:   manifest.Pos{File: RelToBase(baseDir, r.File), Line: r.Line, Column: min(r.Line, 1)},
			Field: "layers." + layer + ".python.requirements",
			Msg:   msg + ": point requirements at a requirements file (-r and -c includes too)",
		}
	}
	msg += fmt.Sprintf("; building from source runs the package's own setup.py or build backend on this machine (and builds it for this machine's platform), so layerctl installs wheels only: use a wheel, or set python: {allow_source_builds: true} on layer %s to allow it", layer)
	return &manifest.Problem{
		Pos:   manifest.Pos{File: RelToBase(baseDir, r.File), Line: r.Line, Column: min(r.Line, 1)},
		Field: "layers." + layer + ".python.requirements",
		Msg:   msg,
	}
}
