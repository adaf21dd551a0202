package layer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/layerctl/layerctl/manifest"
)

// BuildOptions says where and how to build.
type BuildOptions struct {
	OutDir   string    // where ZIPs go; created when missing
	Modified time.Time // the one timestamp every entry gets
	Workers  int       // compressors at once; 0 means one per CPU
}

// DefaultModified is the timestamp of every entry when SOURCE_DATE_EPOCH is
// not set: the earliest a ZIP can record.
var DefaultModified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Artifact is one built layer ZIP. Its SHA-256 is the layer's identity.
type Artifact struct {
	Layer         string
	Path          string
	SHA256        string // hex
	CodeSHA256    string // base64 of the same digest, as Lambda reports CodeSha256
	Size          int64
	UnzippedSize  int64
	Files         int
	Runtimes      []string
	Architectures []string
	Findings      []Finding // notes and warnings; errors fail the build
}

// Build writes the layer's ZIP into opts.OutDir as <layer>-<sha256[:12]>.zip.
// The bytes depend only on the content, names and execute bits of the
// sources and on opts.Modified. On any error nothing is left in OutDir.
func Build(ctx context.Context, m *manifest.Manifest, l *manifest.Layer, opts BuildOptions) (*Artifact, error) {
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating output folder: %w", err)
	}
	absOut, err := filepath.Abs(opts.OutDir)
	if err != nil {
		return nil, err
	}
	entries, err := collect(l, m.Dir, absOut)
	if err != nil {
		return nil, err
	}

	var unzipped int64
	var files []layoutFile
	for _, e := range entries {
		if e.kind == kindFile || e.kind == kindSymlink {
			unzipped += e.size
			files = append(files, layoutFile{name: e.name, exec: e.exec})
		}
	}
	// Fail fast, before compressing anything, on what the listing shows.
	findings := append(checkSizes(unzipped, 0), checkLayout(files, l.Runtimes)...)
	if errs := errorsOf(findings); len(errs) > 0 {
		return nil, &CheckError{Layer: l.Name, Findings: errs}
	}

	tmp, err := os.CreateTemp(opts.OutDir, "."+l.Name+"-*.zip.tmp")
	if err != nil {
		return nil, fmt.Errorf("creating the ZIP: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	h := sha256.New()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	cw := &countingWriter{w: io.MultiWriter(bw, h)}
	stats, err := writeZip(ctx, cw, entries, opts.Modified, opts.Workers)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("building layer %q: %w", l.Name, ctx.Err())
		}
		return nil, fmt.Errorf("building layer %q: %w", l.Name, err)
	}
	if errs := errorsOf(checkELF(stats.elf, l.Architectures)); len(errs) > 0 {
		return nil, &CheckError{Layer: l.Name, Findings: errs}
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing the ZIP: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing the ZIP: %w", err)
	}
	sum := h.Sum(nil)
	hexSum := hex.EncodeToString(sum)
	final := filepath.Join(opts.OutDir, fmt.Sprintf("%s-%s.zip", l.Name, hexSum[:12]))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, fmt.Errorf("writing the ZIP: %w", err)
	}
	done = true

	return &Artifact{
		Layer:         l.Name,
		Path:          final,
		SHA256:        hexSum,
		CodeSHA256:    base64.StdEncoding.EncodeToString(sum),
		Size:          cw.n,
		UnzippedSize:  stats.unzipped,
		Files:         stats.files,
		Runtimes:      l.Runtimes,
		Architectures: l.Architectures,
		Findings:      checkSizes(stats.unzipped, cw.n),
	}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
