package starter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

// Options say where and for what the manifest is written.
type Options struct {
	Path  string         // the manifest to write; its folder is the one looked at
	Name  string         // the layer's name; "" takes the folder's
	Arch  string         // the host's architecture, in Lambda's spelling
	Tools *builder.Tools // asks python3, node and go; nil: this process's environment
	Now   time.Time      // the day runtime warnings speak of
}

// Report is what was written, and what was found.
type Report struct {
	Path   string
	Layers []Layer
	Notes  []string // what the manifest assumes that people must check
}

// Layer is one layer of the manifest written.
type Layer struct {
	Name     string
	Kind     string // python, node, go or files
	Runtimes []string
}

// ExistsError is a manifest already there: init never overwrites one.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists: init never overwrites it (edit it, remove it, or pass -f another path)", e.Path)
}

// Write looks at the folder and writes the manifest for it. The file is
// created only if it does not exist (an *ExistsError otherwise), and only
// once the text parses as a valid manifest.
func Write(ctx context.Context, opts Options) (*Report, error) {
	if opts.Tools == nil {
		opts.Tools = &builder.Tools{}
	}
	var archNote string
	if !slices.Contains(lambdafacts.Architectures, opts.Arch) {
		archNote = fmt.Sprintf("this machine is %s, which Lambda does not run: x86_64 written", opts.Arch)
		opts.Arch = "x86_64"
	}
	if _, err := os.Lstat(opts.Path); err == nil {
		return nil, &ExistsError{opts.Path}
	}
	dir := filepath.Dir(opts.Path)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	found, err := look(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" {
		name = nameOf(filepath.Base(abs))
	}
	text, rep, err := render(ctx, name, found, opts)
	if err != nil {
		return nil, err
	}
	if _, err := manifest.ParseAt(opts.Path, text, opts.Now); err != nil {
		return nil, fmt.Errorf("the manifest init made for %s does not parse (a bug in layerctl; please report it): %w", dir, err)
	}
	if err := create(opts.Path, text); err != nil {
		return nil, err
	}
	rep.Path = opts.Path
	if archNote != "" {
		rep.Notes = append(rep.Notes, archNote)
	}
	return rep, nil
}

// create writes a new file, never over one that appeared meanwhile.
func create(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return &ExistsError{path}
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

var notInName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// nameOf is a layer name made of a folder's: Lambda takes 1 to 140 of
// A-Z a-z 0-9 - _.
func nameOf(folder string) string {
	n := strings.Trim(notInName.ReplaceAllString(folder, "-"), "-")
	if len(n) > 120 { // room for -python, -node, -go
		n = n[:120]
	}
	if n == "" {
		return "layer"
	}
	return n
}

// render is the manifest's text for what was found.
func render(ctx context.Context, name string, f *found, opts Options) ([]byte, *Report, error) {
	rep := &Report{}
	var b bytes.Buffer
	b.WriteString("# layerctl.yaml: written by layerctl init; every key is in docs/manifest.md.\n")
	b.WriteString("# Check the runtimes and architectures, then: layerctl build\n")
	b.WriteString("version: 1\n")
	b.WriteString("defaults:\n")
	writeArch(&b, opts.Arch)
	b.WriteString("  # regions: [us-east-1]         # where publish publishes; default: AWS_REGION\n")
	b.WriteString("layers:\n")
	kinds := f.kinds()
	for _, kind := range kinds {
		layerName := name
		if len(kinds) > 1 {
			layerName = name + "-" + kind
		}
		rts, notes, caveats := runtimesFor(ctx, kind, f, opts)
		rep.Notes = append(rep.Notes, caveats...)
		rep.Layers = append(rep.Layers, Layer{Name: layerName, Kind: kind, Runtimes: rts})
		fmt.Fprintf(&b, "  %s:\n", layerName)
		writeRuntimes(&b, rts, notes)
		if err := writeContent(&b, kind, f); err != nil {
			return nil, nil, err
		}
		b.WriteString("    # attach: {functions: [my-function]}   # which functions attach and deploy move; default: those using the layer\n")
	}
	rep.Notes = append(rep.Notes, f.notes...)
	return b.Bytes(), rep, nil
}

func writeArch(b *bytes.Buffer, arch string) {
	other := "arm64"
	if arch == "arm64" {
		other = "x86_64"
	}
	fmt.Fprintf(b, "  architectures: [%s]           # this machine's; Lambda also runs %s:\n", arch, other)
	fmt.Fprintf(b, "  # architectures: [%s, %s]   #   both (native code differs: then split_architectures, see docs/manifest.md)\n", arch, other)
}

func writeRuntimes(b *bytes.Buffer, rts []string, notes []string) {
	fmt.Fprintf(b, "    runtimes: [%s]", strings.Join(rts, ", "))
	b.WriteString("   # the runtimes of the functions that will use it\n")
	for _, n := range notes {
		fmt.Fprintf(b, "    # %s\n", n)
	}
}

// writeContent writes the keys that say what goes into the layer.
func writeContent(b *bytes.Buffer, kind string, f *found) error {
	switch kind {
	case kindPython:
		b.WriteString("    python:                        # pip (or uv) installs it into python/, wheels for Lambda's platform\n")
		fmt.Fprintf(b, "      requirements: %s\n", quote(f.requirements))
		b.WriteString("      # find_links: [wheels]       # local wheels; index_url: for a private index\n")
	case kindNode:
		b.WriteString("    node:                          # npm ci of the lock file into nodejs/node_modules/\n")
		b.WriteString("      package: .                   # the folder of package.json and package-lock.json\n")
	case kindGo:
		b.WriteString("    go:                            # cross-compiled for the architecture; bin/ is on PATH, extensions/ runs as an extension\n")
		for _, m := range f.mains {
			fmt.Fprintf(b, "      - {package: %s, to: %s}\n", quote(m.pkg), quote("bin/"+m.name))
		}
	case kindFiles:
		b.WriteString("    files:                         # from: this folder, to: the path in the ZIP (/opt on Lambda)\n")
		for _, e := range f.files {
			fmt.Fprintf(b, "      - {from: %s, to: %s}\n", quote(e.from), quote(e.to))
		}
		if f.unplaced {
			b.WriteString("    # Lambda sees only python/, nodejs/node_modules/, java/lib/, ruby/, bin/, lib/ and extensions/: check each to:\n")
		}
	}
	return nil
}

// quote is s as a YAML double-quoted scalar when it needs to be one.
func quote(s string) string {
	if plainScalar.MatchString(s) {
		return s
	}
	return fmt.Sprintf("%q", s)
}

var plainScalar = regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./-]*$`)
