package check

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"sort"

	"github.com/klauspost/compress/zip"

	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/lambdafacts"
	"github.com/layerctl/layerctl/manifest"
)

// InspectOptions are what the caller knows of the ZIP's intended use.
// Without runtimes or architectures the checks only warn.
type InspectOptions struct {
	Runtimes      []string
	Architectures []string
}

// ZipEntry is one member of an inspected ZIP.
type ZipEntry struct {
	Path           string `json:"path"`
	Type           string `json:"type"` // file, dir or symlink
	Size           int64  `json:"size"`
	CompressedSize int64  `json:"compressed_size"`
	Mode           string `json:"mode"`
	Target         string `json:"target,omitempty"`
	Machine        string `json:"machine,omitempty"` // ELF machine, for native code
}

// Report is what inspect found in a ZIP.
type Report struct {
	Path         string          `json:"path"`
	SHA256       string          `json:"sha256"`
	CodeSHA256   string          `json:"code_sha256"`
	Size         int64           `json:"size"`
	UnzippedSize int64           `json:"unzipped_size"`
	Files        int             `json:"files"`
	Entries      []ZipEntry      `json:"entries"`
	Largest      []ZipEntry      `json:"largest"`
	Findings     []layer.Finding `json:"findings"`
}

// HasErrors reports whether a finding would stop a build.
func (r *Report) HasErrors() bool { return len(layer.Errors(r.Findings)) > 0 }

// Inspect reads any layer ZIP (one layerctl built, or one downloaded from
// AWS) and reports its entries and what Lambda would make of them. It never
// extracts anything: entries are read one at a time and only their first
// bytes, to tell native code's machine. It reads only a regular file of a
// size a layer could have, and stops as soon as ctx is done.
func Inspect(ctx context.Context, zipPath string, opts InspectOptions) (*Report, error) {
	f, size, err := openZip(zipPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := inspectReader(ctx, f, size, opts)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("inspecting %s: stopped: %w", zipPath, ctx.Err())
	case errors.Is(err, errTooManyEntries):
		return nil, fmt.Errorf("%s has more than %d entries, more than a layer can usefully hold: not inspected", zipPath, maxEntries)
	case err != nil:
		return nil, fmt.Errorf("%s is not a readable ZIP: %w", zipPath, err)
	}
	r.Path = zipPath
	return r, nil
}

// inspectReader is Inspect of the size bytes of ra, every read of which
// fails once ctx is done.
func inspectReader(ctx context.Context, ra io.ReaderAt, size int64, opts InspectOptions) (*Report, error) {
	ra = ctxReaderAt{ctx, ra}
	sum, err := hashZip(ra, size)
	if err != nil {
		return nil, fmt.Errorf("reading it: %w", err)
	}
	entries := 0
	zr, err := zip.NewReaderWithOptions(ra, size, zip.ReaderOptions{NameDecoder: func(*zip.FileHeader) error {
		// Counted as the central directory is read, before the reader
		// holds more of it in memory than a layer could need.
		if entries++; entries > maxEntries {
			return errTooManyEntries
		}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	s := &inspection{
		r:        &Report{SHA256: hex.EncodeToString(sum), CodeSHA256: base64.StdEncoding.EncodeToString(sum), Size: size, Entries: []ZipEntry{}, Findings: []layer.Finding{}},
		machines: map[string]uint16{},
	}
	for _, zf := range zr.File {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.add(zf); err != nil {
			return nil, fmt.Errorf("entry %q: %w", zf.Name, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.finish(opts), nil
}

// inspection is what Inspect has learnt of a ZIP so far.
type inspection struct {
	r        *Report
	machines map[string]uint16
	names    []string // every entry's name, in ZIP order
	files    []LayoutFile
}

// add records one entry of the ZIP, reading at most its first bytes.
func (s *inspection) add(zf *zip.File) error {
	r := s.r
	name := zf.Name
	mode := zf.Mode()
	e := ZipEntry{Path: name, Type: "file", Size: claimedSize(zf.UncompressedSize64), CompressedSize: claimedSize(zf.CompressedSize64), Mode: mode.String()}
	if zf.UncompressedSize64 > lambdafacts.MaxUnzipped {
		r.Findings = append(r.Findings, layer.Finding{Severity: layer.SevError, Path: name, Message: fmt.Sprintf("entry %q claims %d bytes unzipped, more than Lambda's limit of %d bytes (250 MB) for a function and all its layers", name, zf.UncompressedSize64, lambdafacts.MaxUnzipped)})
	}
	dir := archive.ZipEntryKind(name, mode) == archive.KindDir
	r.Findings = append(r.Findings, nameFindings(name, dir)...)
	s.names = append(s.names, name)
	if dir {
		e.Type = "dir"
		r.Entries = append(r.Entries, e)
		return nil
	}
	rc, err := zf.Open()
	if errors.Is(err, zip.ErrAlgorithm) {
		r.Findings = append(r.Findings, layer.Finding{Severity: layer.SevError, Path: name, Message: fmt.Sprintf("entry %q is compressed with method %d, which layerctl does not read (it reads stored and deflate, which every unzipper reads): rebuild the ZIP with deflate", name, zf.Method)})
	} else if err != nil {
		return err
	}
	if mode&fs.ModeSymlink != 0 {
		e.Type = "symlink"
		if rc != nil {
			target, err := io.ReadAll(io.LimitReader(rc, 4096))
			rc.Close()
			if err != nil {
				return err
			}
			e.Target = string(target)
		}
	} else {
		if rc != nil {
			head := make([]byte, 20) // an ELF header's machine field ends at byte 20
			n, _ := io.ReadFull(rc, head)
			rc.Close()
			if m, ok := lambdafacts.ELFMachine(head[:n]); ok {
				s.machines[name] = m
				e.Machine = lambdafacts.MachineName(m)
			}
		}
		r.Files++
		r.UnzippedSize = addSize(r.UnzippedSize, e.Size)
	}
	// The layout is judged on the name as unzippers read it.
	s.files = append(s.files, LayoutFile{Name: entryKey(name), Exec: mode&0o111 != 0, Link: mode&fs.ModeSymlink != 0})
	r.Entries = append(r.Entries, e)
	return nil
}

// claimedSize is a size from a ZIP header as the report holds it: never
// negative, and at most math.MaxInt64 (a header may claim up to 2^64-1).
func claimedSize(n uint64) int64 {
	return int64(min(n, math.MaxInt64))
}

// addSize adds two sizes, stopping at math.MaxInt64 rather than wrapping
// round to a small or negative total that would pass the size check. Only
// entries claiming more than Lambda's limit can take a total that far (and
// each of them is a finding already): maxEntries entries of 250 MB sum to
// far less than 2^63.
func addSize(total, n int64) int64 {
	if n > math.MaxInt64-total {
		return math.MaxInt64
	}
	return total + n
}

// finish runs the checks that need every entry, and sorts the report.
func (s *inspection) finish(opts InspectOptions) *Report {
	r := s.r
	r.Findings = append(r.Findings, duplicateFindings(s.names)...)
	r.Findings = append(r.Findings, zipTreeFindings(r.Entries)...)
	r.Findings = append(r.Findings, Layout(s.files, opts.Runtimes)...)
	r.Findings = append(r.Findings, ELF(s.machines, opts.Architectures)...)
	r.Findings = append(r.Findings, Sizes(r.UnzippedSize, r.Size)...)

	sort.Slice(r.Entries, func(i, j int) bool { return r.Entries[i].Path < r.Entries[j].Path })
	var largest []ZipEntry
	for _, e := range r.Entries {
		if e.Type == "file" {
			largest = append(largest, e)
		}
	}
	sort.SliceStable(largest, func(i, j int) bool { return largest[i].Size > largest[j].Size })
	r.Largest = largest[:min(10, len(largest))]
	return r
}

// ArtifactFromZip takes a ZIP built elsewhere as layer l's artifact, after
// the same checks a build makes against l's runtimes and architectures.
func ArtifactFromZip(ctx context.Context, zipPath string, l *manifest.Layer) (*layer.Artifact, error) {
	r, err := Inspect(ctx, zipPath, InspectOptions{Runtimes: l.Runtimes, Architectures: l.Architectures})
	if err != nil {
		return nil, err
	}
	if errs := layer.Errors(r.Findings); len(errs) > 0 {
		return nil, &layer.CheckError{Layer: l.Name, Findings: errs}
	}
	return &layer.Artifact{
		Layer: l.Name, Path: zipPath, SHA256: r.SHA256, CodeSHA256: r.CodeSHA256,
		Size: r.Size, UnzippedSize: r.UnzippedSize, Files: r.Files,
		Runtimes: l.Runtimes, Architectures: l.Architectures,
	}, nil
}
