package build

import (
	"context"
	"path/filepath"

	"github.com/layerctl/layerctl/layer/builder"
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
	for _, b := range buildersOf(builder.Env{Layer: l, Name: name, BaseDir: baseDir, Tools: tools}) {
		p, err := b.Check(ctx)
		if err != nil {
			return nil, err
		}
		problems = append(problems, p...)
	}
	return problems, nil
}
