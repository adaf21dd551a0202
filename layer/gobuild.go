package layer

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

// goJob cross-compiles one Go main package for one architecture.
type goJob struct {
	layer   string
	baseDir string // the manifest's folder: go build runs there, in its module
	g       manifest.GoBuild
	arch    string
	out     string // the executable to write
}

// goEnv is the environment of every go command layerctl runs for arch:
// static, for Linux on that architecture, on this machine's toolchain.
func goEnv(t *Tools, arch string) []string {
	return append(goToolchain(t), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+lambdafacts.GOARCH(arch))
}

// goToolchain keeps every go command on the toolchain this machine has.
// With GOTOOLCHAIN=auto (go's own default), a toolchain or go line in the
// go.mod or go.work being built makes go download that toolchain and run
// it instead: the source would choose the compiler. GOTOOLCHAIN set in
// layerctl's environment is the operator's choice and stands.
func goToolchain(t *Tools) []string {
	if t.Getenv("GOTOOLCHAIN") != "" {
		return nil
	}
	return []string{"GOTOOLCHAIN=local"}
}

func (j *goJob) command(t *Tools) command {
	// -trimpath and an empty build ID keep paths and IDs of this machine
	// out of the binary; -buildvcs=false keeps the commit out, so the same
	// source gives the same bytes in any checkout. The package comes after
	// --, so go build never reads it as a flag.
	return command{tool: "go build", what: fmt.Sprintf("building %s for %s", j.g.Package, j.arch), dir: j.baseDir,
		args: []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-buildid=", "-o", j.out, "--", j.g.Package},
		env:  goEnv(t, j.arch)}
}

func (j *goJob) run(ctx context.Context, t *Tools) error {
	if err := os.MkdirAll(filepath.Dir(j.out), 0o755); err != nil {
		return err
	}
	t.logf("layer %s: go build: %s -> %s on %s", j.layer, j.g.Package, j.g.To, j.arch)
	_, err := t.run(ctx, j.layer, j.command(t))
	return err
}

func goOutName(g manifest.GoBuild) string { return path.Base(g.To) }
