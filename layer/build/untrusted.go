package build

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/builder/node"
	"github.com/layerctl/layerctl/layer/builder/python"
	"github.com/layerctl/layerctl/manifest"
)

// CheckInputs reads what the layers' package tools would read from the
// repository (requirements files and the files they include, a node
// package's .npmrc) and reports,
// as one *manifest.Error (exit code 2), every line that would make a build
// run code from the repository or from a package, unless the layer's
// manifest opts in. It runs no tool. Build checks its layer the same way;
// checking every layer first means nothing is built when one is refused.
func CheckInputs(ctx context.Context, m *manifest.Manifest, layers []*manifest.Layer, tools *builder.Tools) error {
	if tools == nil {
		tools = &builder.Tools{}
	}
	baseDir, err := filepath.Abs(m.Dir)
	if err != nil {
		return err
	}
	var problems []*manifest.Problem
	done := map[string]bool{} // both halves of a split layer read the same files
	for _, l := range layers {
		name := l.Name
		if l.SplitFrom != "" {
			name = l.SplitFrom
		}
		if done[name] {
			continue
		}
		done[name] = true
		p, err := checkLayerInputs(ctx, baseDir, name, l, tools)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		return &manifest.Error{Problems: problems}
	}
	return nil
}

func checkLayerInputs(ctx context.Context, baseDir, name string, l *manifest.Layer, tools *builder.Tools) ([]*manifest.Problem, error) {
	var problems []*manifest.Problem
	if py := l.Python; py != nil && !py.AllowSourceBuilds {
		reqs, err := python.ReadRequirements(ctx, baseDir, py.Requirements, python.PipGetenv(tools))
		if err != nil {
			return nil, err
		}
		for _, r := range reqs.Refused {
			problems = append(problems, sourceBuildProblem(baseDir, name, r))
		}
	}
	if n := l.Node; n != nil && !n.Scripts {
		file := filepath.Join(archive.AbsPath(baseDir, n.Package), ".npmrc")
		lines, err := node.RiskyNpmrc(file, tools.Getenv)
		pos := manifest.Pos{File: python.RelToBase(baseDir, file)}
		field := "layers." + name + ".node.package"
		if err != nil {
			problems = append(problems, &manifest.Problem{Pos: pos, Field: field, Msg: err.Error()})
		}
		for _, l := range lines {
			pos.Line, pos.Column = l.Line, 1
			problems = append(problems, &manifest.Problem{Pos: pos, Field: field, Msg: fmt.Sprintf(
				"%s %s: a .npmrc in the repository must not choose what npm runs; remove it (set it in your own ~/.npmrc or as npm_config_%s), or set node: {scripts: true} on layer %s, which runs the packages' own code anyway",
				l.Key, node.NpmRiskyKeys[l.Key], strings.ReplaceAll(l.Key, "-", "_"), name)})
		}
	}
	return problems, nil
}

// sourceBuildProblem says which line would build from source, why that
// is refused and how to opt in.
func sourceBuildProblem(baseDir, layer string, r python.Refusal) *manifest.Problem {
	msg := r.Why
	if r.Text != "" {
		msg = fmt.Sprintf("%q: %s", r.Text, r.Why)
	}
	msg += fmt.Sprintf("; building from source runs the package's own setup.py or build backend on this machine (and builds it for this machine's platform), so layerctl installs wheels only: use a wheel, or set python: {allow_source_builds: true} on layer %s to allow it", layer)
	return &manifest.Problem{
		Pos:   manifest.Pos{File: python.RelToBase(baseDir, r.File), Line: r.Line, Column: min(r.Line, 1)},
		Field: "layers." + layer + ".python.requirements",
		Msg:   msg,
	}
}
