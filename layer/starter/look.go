package starter

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

const (
	kindPython = "python"
	kindNode   = "node"
	kindGo     = "go"
	kindFiles  = "files"
)

// found is what a folder holds that a layer could be built from.
type found struct {
	requirements string    // requirements.txt, when there is one
	node         bool      // package.json and package-lock.json
	mains        []mainPkg // go.mod's main packages
	files        []fileMap // the folder's own files, when nothing else is found
	unplaced     bool      // some files go where no runtime looks
	family       string    // for files: the runtime family they look like (python, nodejs), or ""
	notes        []string  // for people to check
}

type mainPkg struct{ pkg, name string }

type fileMap struct{ from, to string }

// kinds are the layers found, in a fixed order; files only when nothing
// else is.
func (f *found) kinds() []string {
	var out []string
	if f.requirements != "" {
		out = append(out, kindPython)
	}
	if f.node {
		out = append(out, kindNode)
	}
	if len(f.mains) > 0 {
		out = append(out, kindGo)
	}
	if len(out) == 0 {
		out = append(out, kindFiles)
	}
	return out
}

// maxEntries bounds the files a plain folder may hold at its top: a
// starter manifest lists each.
const maxEntries = 64

// maxLooked bounds the files looked at to guess what a plain folder is for.
const maxLooked = 10000

// look reads what dir holds.
func look(ctx context.Context, dir string, opts Options) (*found, error) {
	f := &found{}
	if regular(filepath.Join(dir, "requirements.txt")) {
		f.requirements = "requirements.txt"
	}
	if regular(filepath.Join(dir, "package.json")) {
		if regular(filepath.Join(dir, "package-lock.json")) {
			f.node = true
		} else {
			f.notes = append(f.notes, "package.json has no package-lock.json beside it: layerctl installs exactly what the lock pins (npm ci); run npm install and init again to build it")
		}
	}
	if regular(filepath.Join(dir, "go.mod")) {
		mains, err := goMains(ctx, dir, opts.Tools)
		if err != nil {
			return nil, err
		}
		if len(mains) == 0 {
			f.notes = append(f.notes, "go.mod's module has no main package: nothing to build for a layer")
		}
		f.mains = mains
	}
	if f.requirements != "" || f.node || len(f.mains) > 0 {
		return f, nil
	}
	return f, f.lookFiles(dir)
}

func regular(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// layerPaths are the folders at a layer's root that some runtime reads.
var layerPaths = []string{"python", "nodejs", "java", "ruby", "bin", "lib", "extensions"}

// lookFiles maps the folder's top entries into the layer: a folder Lambda
// reads (python/, bin/...) as it is, the rest under the path of the runtime
// family its files look like, or as it is when none.
func (f *found) lookFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "."), n == manifest.LockFile, n == "dist", n == "layerctl.yaml":
			continue
		case hasControl(n) || strings.HasPrefix(n, "-"):
			f.notes = append(f.notes, fmt.Sprintf("%s left out: a name with a control character or a leading - cannot be a files entry", safetext.Name(n)))
			continue
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return fmt.Errorf("%s holds nothing to put in a layer: no requirements.txt, package.json with its lock, go.mod with a main package, or files", dir)
	}
	if len(names) > maxEntries {
		return fmt.Errorf("%s holds %d files and folders at its top: too many for a starter manifest (at most %d); gather the layer's content into a few folders (python/, bin/...) and run init again", dir, len(names), maxEntries)
	}
	f.family = familyOf(dir, names)
	for _, n := range names {
		to := n
		switch {
		case slices.Contains(layerPaths, n):
		case f.family == lambdafacts.Python:
			to = "python/" + n
		case f.family == lambdafacts.NodeJS:
			to = "nodejs/node_modules/" + n
		default:
			f.unplaced = true
		}
		f.files = append(f.files, fileMap{from: n, to: to})
	}
	return nil
}

// familyOf is the runtime family the folder's content is for: python when
// it has python/ or .py files, nodejs for nodejs/ or .js files; "" when
// neither or both.
func familyOf(dir string, names []string) string {
	py, js := slices.Contains(names, "python"), slices.Contains(names, "nodejs")
	seen := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if seen++; err != nil || py && js || seen > maxLooked {
			return filepath.SkipAll
		}
		if d.IsDir() && p != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "dist" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		switch filepath.Ext(p) {
		case ".py":
			py = true
		case ".js", ".mjs", ".cjs":
			js = true
		}
		return nil
	})
	switch {
	case py && !js:
		return lambdafacts.Python
	case js && !py:
		return lambdafacts.NodeJS
	}
	return ""
}

func hasControl(s string) bool {
	_, bad := safetext.Control(s)
	return bad
}

// goMains lists the main packages of the module in dir, with go list (no
// toolchain download, no cgo: as the go builder builds; go.mod and go.sum
// read only, as go does by default).
func goMains(ctx context.Context, dir string, tools *builder.Tools) ([]mainPkg, error) {
	out, err := tools.Run(ctx, "", builder.Command{Tool: "go list", What: "finding the main packages of go.mod", Dir: dir,
		Args: []string{"go", "list", "-f", "{{if eq .Name \"main\"}}{{.Dir}}{{end}}", "./..."},
		Env:  []string{"GOTOOLCHAIN=local", "CGO_ENABLED=0"}})
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	var mains []mainPkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		rel, err := filepath.Rel(abs, line)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		pkg := "./" + filepath.ToSlash(rel)
		name := filepath.Base(line)
		if rel == "." {
			pkg, name = ".", nameOf(filepath.Base(abs))
		}
		mains = append(mains, mainPkg{pkg: pkg, name: name})
	}
	return mains, nil
}
