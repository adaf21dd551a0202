package gobuild

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

// Job cross-compiles one Go main package for one architecture.
type Job struct {
	Layer   string
	BaseDir string // the manifest's folder: go build runs there, in its module
	Spec    manifest.GoBuild
	Arch    string
	Out     string // the executable to write
}

// Env is the environment of every go command layerctl runs for arch:
// static, for Linux on that architecture, on this machine's toolchain.
func Env(t *builder.Tools, arch string) []string {
	return append(Toolchain(t), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+lambdafacts.GOARCH(arch))
}

// Toolchain keeps every go command on the toolchain this machine has.
// With GOTOOLCHAIN=auto (go's own default), a toolchain or go line in the
// go.mod or go.work being built makes go download that toolchain and run
// it instead: the source would choose the compiler. GOTOOLCHAIN set in
// layerctl's environment is the operator's choice and stands.
func Toolchain(t *builder.Tools) []string {
	if t.Getenv("GOTOOLCHAIN") != "" {
		return nil
	}
	return []string{"GOTOOLCHAIN=local"}
}

func (j *Job) command(t *builder.Tools) builder.Command {
	// -trimpath and an empty build ID keep paths and IDs of this machine
	// out of the binary; -buildvcs=false keeps the commit out, so the same
	// source gives the same bytes in any checkout. The package comes after
	// --, so go build never reads it as a flag.
	return builder.Command{Tool: "go build", What: fmt.Sprintf("building %s for %s", j.Spec.Package, j.Arch), Dir: j.BaseDir,
		Args: []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-buildid=", "-o", j.Out, "--", j.Spec.Package},
		Env:  Env(t, j.Arch)}
}

func (j *Job) Run(ctx context.Context, t *builder.Tools) error {
	if err := os.MkdirAll(filepath.Dir(j.Out), 0o755); err != nil {
		return err
	}
	t.Logf("layer %s: go build: %s -> %s on %s", j.Layer, j.Spec.Package, j.Spec.To, j.Arch)
	_, err := t.Run(ctx, j.Layer, j.command(t))
	return err
}

func OutName(g manifest.GoBuild) string { return path.Base(g.To) }
