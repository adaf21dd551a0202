package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/layerctl/layerctl/internal/readfile"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// Files are what npm ci reads from the package folder; they are copied
// into a staging folder, so the user's folder (and its node_modules) is
// never touched.
var Files = []string{"package.json", "package-lock.json", ".npmrc"}

// maxNodeFile bounds each of Files: the package-lock.json of a large
// application is a few MB.
const maxNodeFile = 64 << 20

// Job is one npm ci for one architecture.
type Job struct {
	Layer   string
	PkgDir  string // the user's package folder, on disk
	Label   string // as the manifest names it
	Scripts bool
	Arch    string
	Stage   string // staging folder: npm ci runs here, node_modules lands here
}

func (j *Job) command() builder.Command {
	args := []string{"npm", "ci", "--omit=dev", "--os=linux", "--cpu=" + lambdafacts.NpmCPU(j.Arch), "--libc=glibc",
		"--no-audit", "--no-fund", "--update-notifier=false"}
	if !j.Scripts {
		// Install scripts run on the build machine, for the build machine's
		// CPU: wrong for another architecture, and code from the registry.
		args = append(args, "--ignore-scripts")
	}
	return builder.Command{Tool: "npm ci", What: fmt.Sprintf("installing %s for %s", filepath.ToSlash(filepath.Join(j.Label, "package-lock.json")), j.Arch), Dir: j.Stage, Args: args,
		Note: fmt.Sprintf("%s is a temporary copy of %s's package.json, package-lock.json and .npmrc, removed after the build", j.Stage, j.Label)}
}

func (j *Job) Run(ctx context.Context, t *builder.Tools) error {
	if err := os.MkdirAll(j.Stage, 0o755); err != nil {
		return err
	}
	for _, name := range Files {
		data, err := readfile.Read(filepath.Join(j.PkgDir, name), maxNodeFile)
		if errors.Is(err, fs.ErrNotExist) && name == ".npmrc" {
			continue
		}
		if err != nil {
			if name == "package-lock.json" && errors.Is(err, fs.ErrNotExist) {
				return &archive.ContentError{Layer: j.Layer, Msg: fmt.Sprintf("node: %s has no package-lock.json: layerctl installs exactly what the lock file pins (npm ci); run npm install there and commit package-lock.json", j.Label)}
			}
			return fmt.Errorf("layer %q: node: %w", j.Layer, err)
		}
		if err := os.WriteFile(filepath.Join(j.Stage, name), data, 0o600); err != nil {
			return err
		}
	}
	t.Logf("layer %s: npm ci: %s on %s", j.Layer, j.Label, j.Arch)
	if _, err := t.Run(ctx, j.Layer, j.command()); err != nil {
		return err
	}
	nm := filepath.Join(j.Stage, "node_modules")
	if err := os.MkdirAll(nm, 0o755); err != nil { // a package with no dependencies
		return err
	}
	// npm's hidden lock file is a cache of the tree it installed; it holds
	// nothing Node.js reads.
	return os.RemoveAll(filepath.Join(nm, ".package-lock.json"))
}
