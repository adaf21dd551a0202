package layer

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"

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
// static, for Linux on that architecture.
func goEnv(arch string) []string {
	return []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + goarch(arch)}
}

func (j *goJob) command() command {
	// -trimpath and an empty build ID keep paths and IDs of this machine
	// out of the binary; -buildvcs=false keeps the commit out, so the same
	// source gives the same bytes in any checkout.
	return command{tool: "go build", what: fmt.Sprintf("building %s for %s", j.g.Package, j.arch), dir: j.baseDir,
		args: []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-buildid=", "-o", j.out, j.g.Package},
		env:  goEnv(j.arch)}
}

func (j *goJob) run(ctx context.Context, t *Tools) error {
	if err := os.MkdirAll(filepath.Dir(j.out), 0o755); err != nil {
		return err
	}
	t.logf("layer %s: go build: %s -> %s on %s", j.layer, j.g.Package, j.g.To, j.arch)
	_, err := t.run(ctx, j.layer, j.command())
	return err
}

func goOutName(g manifest.GoBuild) string { return path.Base(g.To) }
