package gobuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// goBuilder cross-compiles a layer's Go commands (go:).
type goBuilder struct{ env builder.Env }

// New is the Go builder of a layer with go:, else nil.
func New(env builder.Env) builder.Builder {
	if len(env.Layer.Go) == 0 {
		return nil
	}
	return &goBuilder{env: env}
}

// goListPackage is what go list -json says of one package.
type goListPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	EmbedFiles []string
	Module     *struct {
		Path, Version, Sum, GoMod string
		Main                      bool
		Replace                   *struct{ Path, Version, Sum string }
	}
}

// Key adds go's settings and, for each architecture, every package the
// commands build from: a module in the module cache by its version and
// sum, anything else file by file.
func (b *goBuilder) Key(ctx context.Context, k builder.Key) error {
	out, err := k.Ask(ctx, builder.Question{
		Command: builder.Command{Tool: "go env", What: "(asking its settings)", Dir: b.env.BaseDir,
			Args: []string{"go", "env", "-json", "GOVERSION", "GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM64", "GOWORK", "GO111MODULE", "GOTOOLCHAIN", "GOMODCACHE", "GOENV", "GOROOT"},
			Env:  Toolchain(b.env.Tools)},
		Env:   goVariables,
		Files: builder.UpFrom(b.env.BaseDir, "go.mod", "go.work"),
		Depends: func(out []byte) ([]string, error) {
			var env map[string]string
			if err := json.Unmarshal(out, &env); err != nil {
				return nil, err
			}
			// go env's own settings file, and the toolchain's defaults.
			return []string{env["GOENV"], filepath.Join(env["GOROOT"], "go.env")}, nil
		},
	})
	if err != nil {
		return builder.WithLayer(err, b.env.Layer.Name)
	}
	k.Add("go env", string(out))
	var env map[string]string
	if err := json.Unmarshal(out, &env); err != nil {
		return fmt.Errorf("layer %q: reading go env: %w", b.env.Layer.Name, err)
	}
	if env["GOWORK"] != "" && env["GOWORK"] != "off" {
		k.Path("go.work", env["GOWORK"])
		k.Path("go.work.sum", env["GOWORK"]+".sum")
	}
	pkgs := make([]string, len(b.env.Layer.Go))
	for i, g := range b.env.Layer.Go {
		pkgs[i] = g.Package
	}
	for _, arch := range b.env.Layer.Architectures {
		args := append([]string{"go", "list", "-deps", "-json=ImportPath,Dir,Standard,EmbedFiles,Module", "--"}, pkgs...)
		out, err := k.Ask(ctx, builder.Question{
			Command: builder.Command{Tool: "go list", What: "for " + arch, Dir: b.env.BaseDir, Args: args, Env: Env(b.env.Tools, arch)},
			Env:     goVariables,
			Files:   append(builder.UpFrom(b.env.BaseDir, "go.mod", "go.work"), env["GOWORK"]),
			Depends: func(out []byte) ([]string, error) { return listSources(out, env["GOMODCACHE"]) },
		})
		if err != nil {
			return builder.WithLayer(err, b.env.Layer.Name)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		mods := map[string]bool{}
		for {
			var pkg goListPackage
			if err := dec.Decode(&pkg); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return fmt.Errorf("layer %q: reading go list: %w", b.env.Layer.Name, err)
			}
			if pkg.Standard {
				continue // the Go version covers the standard library
			}
			mod := pkg.Module
			if cache := env["GOMODCACHE"]; mod != nil && cache != "" && strings.HasPrefix(pkg.Dir, cache+string(filepath.Separator)) {
				// The module cache is read-only and holds exactly what go.sum
				// pins. Anything else (the main module, replacements by a
				// folder, vendor/) is read file by file.
				k.Add("go module", arch, mod.Path, mod.Version, mod.Sum)
				continue
			}
			k.Add("go package", arch, pkg.ImportPath)
			if mod != nil && mod.GoMod != "" && !mods[mod.GoMod] {
				mods[mod.GoMod] = true
				k.Path("go.mod", mod.GoMod)
				k.Path("go.sum", strings.TrimSuffix(mod.GoMod, ".mod")+".sum")
			}
			ents, err := os.ReadDir(pkg.Dir)
			if err != nil {
				return fmt.Errorf("layer %q: reading %s: %w", b.env.Layer.Name, pkg.Dir, err)
			}
			for _, e := range ents {
				if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
					k.Path("go file", filepath.Join(pkg.Dir, e.Name()))
				}
			}
			embeds := append([]string(nil), pkg.EmbedFiles...)
			sort.Strings(embeds)
			for _, f := range embeds {
				k.Path("go embed", filepath.Join(pkg.Dir, filepath.FromSlash(f)))
			}
		}
	}
	return nil
}

// goVariables are the variables that change what go env and go list say.
var goVariables = []string{"GO*", "CGO_*", "HOME", "XDG_CONFIG_HOME"}

// listSources lists what go list's answer depends on outside the module
// cache (read-only, pinned by go.sum): every package folder and the files
// in it (a file added, removed or edited can change the imports), the
// folders of embedded files, and each module's go.mod, go.sum and folder
// (a vendor folder appearing changes where packages come from).
func listSources(out []byte, modCache string) ([]string, error) {
	var files []string
	mods := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var pkg goListPackage
		if err := dec.Decode(&pkg); err != nil {
			if errors.Is(err, io.EOF) {
				return files, nil
			}
			return nil, err
		}
		if pkg.Standard || modCache != "" && strings.HasPrefix(pkg.Dir, modCache+string(filepath.Separator)) {
			continue
		}
		if m := pkg.Module; m != nil && m.GoMod != "" && !mods[m.GoMod] {
			mods[m.GoMod] = true
			files = append(files, m.GoMod, strings.TrimSuffix(m.GoMod, ".mod")+".sum", filepath.Dir(m.GoMod))
		}
		files = append(files, pkg.Dir)
		ents, err := os.ReadDir(pkg.Dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			files = append(files, filepath.Join(pkg.Dir, e.Name()))
		}
		for _, f := range pkg.EmbedFiles {
			files = append(files, filepath.Dir(filepath.Join(pkg.Dir, filepath.FromSlash(f))))
		}
	}
}

// Install builds each command for arch; each goes where its to: says.
func (b *goBuilder) Install(ctx context.Context, arch string) ([]archive.Source, error) {
	var srcs []archive.Source
	for i, g := range b.env.Layer.Go {
		dir, err := b.env.Stage(arch, fmt.Sprintf("go-%d", i))
		if err != nil {
			return nil, err
		}
		j := &Job{Layer: b.env.Layer.Name, BaseDir: b.env.BaseDir, Spec: g, Arch: arch, Out: filepath.Join(dir, OutName(g))}
		if err := j.Run(ctx, b.env.Tools); err != nil {
			return nil, err
		}
		srcs = append(srcs, archive.Source{Path: j.Out, To: g.To, Label: "go build " + g.Package + " for " + arch})
	}
	return srcs, nil
}

// Check has nothing to refuse: go builds run no code of the packages.
func (b *goBuilder) Check(context.Context) ([]*manifest.Problem, error) { return nil, nil }
