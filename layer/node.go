package layer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// nodeFiles are what npm ci reads from the package folder; they are copied
// into a staging folder, so the user's folder (and its node_modules) is
// never touched.
var nodeFiles = []string{"package.json", "package-lock.json", ".npmrc"}

// nodeJob is one npm ci for one architecture.
type nodeJob struct {
	layer   string
	pkgDir  string // the user's package folder, on disk
	label   string // as the manifest names it
	scripts bool
	arch    string
	stage   string // staging folder: npm ci runs here, node_modules lands here
}

func (j *nodeJob) command() command {
	args := []string{"npm", "ci", "--omit=dev", "--os=linux", "--cpu=" + lambdafacts.NpmCPU(j.arch), "--libc=glibc",
		"--no-audit", "--no-fund", "--update-notifier=false"}
	if !j.scripts {
		// Install scripts run on the build machine, for the build machine's
		// CPU: wrong for another architecture, and code from the registry.
		args = append(args, "--ignore-scripts")
	}
	return command{tool: "npm ci", what: fmt.Sprintf("installing %s for %s", filepath.ToSlash(filepath.Join(j.label, "package-lock.json")), j.arch), dir: j.stage, args: args,
		note: fmt.Sprintf("%s is a temporary copy of %s's package.json, package-lock.json and .npmrc, removed after the build", j.stage, j.label)}
}

func (j *nodeJob) run(ctx context.Context, t *Tools) error {
	if err := os.MkdirAll(j.stage, 0o755); err != nil {
		return err
	}
	for _, name := range nodeFiles {
		data, err := os.ReadFile(filepath.Join(j.pkgDir, name))
		if errors.Is(err, fs.ErrNotExist) && name == ".npmrc" {
			continue
		}
		if err != nil {
			if name == "package-lock.json" && errors.Is(err, fs.ErrNotExist) {
				return &archive.ContentError{Layer: j.layer, Msg: fmt.Sprintf("node: %s has no package-lock.json: layerctl installs exactly what the lock file pins (npm ci); run npm install there and commit package-lock.json", j.label)}
			}
			return fmt.Errorf("layer %q: node: %w", j.layer, err)
		}
		if err := os.WriteFile(filepath.Join(j.stage, name), data, 0o600); err != nil {
			return err
		}
	}
	t.logf("layer %s: npm ci: %s on %s", j.layer, j.label, j.arch)
	if _, err := t.run(ctx, j.layer, j.command()); err != nil {
		return err
	}
	nm := filepath.Join(j.stage, "node_modules")
	if err := os.MkdirAll(nm, 0o755); err != nil { // a package with no dependencies
		return err
	}
	// npm's hidden lock file is a cache of the tree it installed; it holds
	// nothing Node.js reads.
	return os.RemoveAll(filepath.Join(nm, ".package-lock.json"))
}
