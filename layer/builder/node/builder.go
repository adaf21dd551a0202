package node

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/builder/python"
	"github.com/layerctl/layerctl/manifest"
)

// nodeBuilder installs a layer's Node.js package (node:).
type nodeBuilder struct{ env builder.Env }

// New is the Node.js builder of a layer with node:, else nil.
func New(env builder.Env) builder.Builder {
	if env.Layer.Node == nil {
		return nil
	}
	return &nodeBuilder{env: env}
}

// Key adds the package's npm inputs, npm's and node's versions and npm's settings.
func (b *nodeBuilder) Key(ctx context.Context, k builder.Key) error {
	dir := archive.AbsPath(b.env.BaseDir, b.env.Layer.Node.Package)
	for _, name := range Files {
		k.Path("node input", filepath.Join(dir, name))
	}
	for _, q := range [][]string{{"npm", "--version"}, {"node", "--version"}, {"npm", "config", "list", "--json"}} {
		out, err := k.Ask(ctx, question(b.env.Tools, dir, q))
		if err != nil {
			return builder.WithLayer(err, b.env.Layer.Name)
		}
		if q[1] == "--version" && q[0] == "npm" {
			if v := strings.TrimSpace(string(out)); !python.VersionAtLeast(v, 10, 4) {
				// Older npm takes --cpu, --os and --libc for unknown settings and
				// installs this machine's packages without a word.
				return &archive.ContentError{Layer: b.env.Layer.Name, Msg: fmt.Sprintf("node: npm %s cannot install for another platform (--cpu, --os and --libc need npm 10.4 or later): upgrade it (npm install -g npm@latest)", v)}
			}
		}
		k.Add(strings.Join(q, " "), string(out))
	}
	k.Add("env", b.env.Tools.EnvWithPrefix("npm_config_", "NODE_")...)
	return nil
}

// Install runs npm ci for arch in a staging folder; its node_modules goes
// to nodejs/node_modules.
func (b *nodeBuilder) Install(ctx context.Context, arch string) ([]archive.Source, error) {
	n := b.env.Layer.Node
	stage, err := b.env.Stage(arch, "node")
	if err != nil {
		return nil, err
	}
	j := &Job{Layer: b.env.Layer.Name, PkgDir: archive.AbsPath(b.env.BaseDir, n.Package), Label: n.Package, Scripts: n.Scripts, Arch: arch, Stage: stage}
	if err := j.Run(ctx, b.env.Tools); err != nil {
		return nil, err
	}
	return []archive.Source{{Path: filepath.Join(stage, "node_modules"), To: "nodejs/node_modules", Label: "npm ci for " + arch + ": nodejs/node_modules"}}, nil
}

// Check reports the settings of the package's .npmrc that choose what npm
// runs, unless the layer allows scripts.
func (b *nodeBuilder) Check(ctx context.Context) ([]*manifest.Problem, error) {
	n := b.env.Layer.Node
	if n.Scripts {
		return nil, nil
	}
	var problems []*manifest.Problem
	file := filepath.Join(archive.AbsPath(b.env.BaseDir, n.Package), ".npmrc")
	lines, err := RiskyNpmrc(file, b.env.Tools.Getenv)
	pos := manifest.Pos{File: python.RelToBase(b.env.BaseDir, file)}
	field := "layers." + b.env.Name + ".node.package"
	if err != nil {
		problems = append(problems, &manifest.Problem{Pos: pos, Field: field, Msg: err.Error()})
	}
	for _, l := range lines {
		pos.Line, pos.Column = l.Line, 1
		problems = append(problems, &manifest.Problem{Pos: pos, Field: field, Msg: fmt.Sprintf(
			"%s %s: a .npmrc in the repository must not choose what npm runs; remove it (set it in your own ~/.npmrc or as npm_config_%s), or set node: {scripts: true} on layer %s, which runs the packages' own code anyway",
			l.Key, NpmRiskyKeys[l.Key], strings.ReplaceAll(l.Key, "-", "_"), b.env.Name)})
	}
	return problems, nil
}

// question is a question to npm or node about itself, and what its answer
// depends on that can be seen without running it: npm's own package (its
// version, its built-in npmrc), npm's variables, and for its configuration
// every .npmrc npm reads (the project's, found where package.json or
// node_modules is, the user's and the global one its answer names).
func question(t *builder.Tools, dir string, args []string) builder.Question {
	q := builder.Question{
		Command: builder.Command{Tool: args[0], What: "(asking " + strings.Join(args[1:], " ") + ")", Dir: dir, Args: args},
		Env:     []string{"npm_config_*", "NODE_*", "HOME", "PREFIX", "XDG_CONFIG_HOME"},
	}
	if args[0] != "npm" {
		return q
	}
	if prog, err := t.LookPath("npm"); err == nil {
		if real, err := filepath.EvalSymlinks(prog); err == nil {
			pkg := filepath.Dir(filepath.Dir(real)) // <npm>/bin/npm-cli.js
			q.Files = append(q.Files, filepath.Join(pkg, "package.json"), filepath.Join(pkg, "npmrc"))
		}
	}
	if args[1] == "config" {
		q.Files = append(q.Files, builder.UpFrom(dir, ".npmrc", "package.json", "node_modules")...)
		q.Depends = func(out []byte) ([]string, error) {
			var conf struct{ Userconfig, Globalconfig string }
			if err := json.Unmarshal(out, &conf); err != nil {
				return nil, err
			}
			return []string{conf.Userconfig, conf.Globalconfig}, nil
		}
	}
	return q
}
