package layer

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/zip"
	"github.com/mholt/archiver/v3"

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
	Path         string     `json:"path"`
	SHA256       string     `json:"sha256"`
	CodeSHA256   string     `json:"code_sha256"`
	Size         int64      `json:"size"`
	UnzippedSize int64      `json:"unzipped_size"`
	Files        int        `json:"files"`
	Entries      []ZipEntry `json:"entries"`
	Largest      []ZipEntry `json:"largest"`
	Findings     []Finding  `json:"findings"`
}

// HasErrors reports whether a finding would stop a build.
func (r *Report) HasErrors() bool { return len(errorsOf(r.Findings)) > 0 }

// Inspect reads any layer ZIP (one layerctl built, or one downloaded from
// AWS) and reports its entries and what Lambda would make of them. It never
// extracts anything: entries are read one at a time and only their first
// bytes, to tell native code's machine.
func Inspect(ctx context.Context, zipPath string, opts InspectOptions) (*Report, error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", zipPath, unwrapPathErr(err))
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", zipPath, err)
	}
	sum := h.Sum(nil)
	r := &Report{Path: zipPath, SHA256: hex.EncodeToString(sum), CodeSHA256: base64.StdEncoding.EncodeToString(sum), Size: size, Entries: []ZipEntry{}, Findings: []Finding{}}

	machines := map[string]uint16{}
	seen := map[string]bool{}
	var files []layoutFile
	walkErr := (&archiver.Zip{}).Walk(zipPath, func(af archiver.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		zh, ok := af.Header.(zip.FileHeader)
		if !ok {
			return fmt.Errorf("unexpected entry header %T", af.Header)
		}
		name := zh.Name
		mode := zh.Mode()
		e := ZipEntry{Path: name, Type: "file", Size: int64(zh.UncompressedSize64), CompressedSize: int64(zh.CompressedSize64), Mode: mode.String()}
		if problem := unsafeName(name); problem != "" {
			r.Findings = append(r.Findings, Finding{SevError, name, fmt.Sprintf("entry %q %s: Lambda refuses such a ZIP and tools that unpack it may write outside their folder", name, problem)})
		}
		clean := strings.TrimSuffix(name, "/")
		if seen[clean] {
			r.Findings = append(r.Findings, Finding{SevError, name, fmt.Sprintf("entry %q appears twice: which copy wins depends on the unzipper", name)})
		}
		seen[clean] = true
		switch {
		case zipEntryKind(name, mode) == kindDir:
			e.Type = "dir"
			r.Entries = append(r.Entries, e)
			return nil
		case mode&fs.ModeSymlink != 0:
			e.Type = "symlink"
			target, err := io.ReadAll(io.LimitReader(af, 4096))
			if err != nil {
				return fmt.Errorf("reading %s: %w", name, err)
			}
			e.Target = string(target)
		default:
			head := make([]byte, 20)
			n, _ := io.ReadFull(af, head)
			if m, ok := elfMachine(head[:n]); ok {
				machines[name] = m
				e.Machine = machineName(m)
			}
			r.Files++
			r.UnzippedSize += e.Size
		}
		files = append(files, layoutFile{name: name, exec: mode&0o111 != 0})
		r.Entries = append(r.Entries, e)
		return nil
	})
	if walkErr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s is not a readable ZIP: %w", zipPath, walkErr)
	}

	r.Findings = append(r.Findings, zipTreeFindings(r.Entries)...)
	r.Findings = append(r.Findings, checkLayout(files, opts.Runtimes)...)
	r.Findings = append(r.Findings, checkELF(machines, opts.Architectures)...)
	r.Findings = append(r.Findings, checkSizes(r.UnzippedSize, r.Size)...)

	sort.Slice(r.Entries, func(i, j int) bool { return r.Entries[i].Path < r.Entries[j].Path })
	var largest []ZipEntry
	for _, e := range r.Entries {
		if e.Type == "file" {
			largest = append(largest, e)
		}
	}
	sort.SliceStable(largest, func(i, j int) bool { return largest[i].Size > largest[j].Size })
	r.Largest = largest[:min(10, len(largest))]
	return r, nil
}

// unsafeName says what is wrong with an entry name that could land outside
// the folder it is unpacked into, or "" when it is fine.
func unsafeName(name string) string {
	switch {
	case strings.HasPrefix(name, "/"):
		return "is an absolute path"
	case strings.Contains(name, "\\"):
		return "contains a backslash"
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "climbs out of the ZIP with .."
	}
	return ""
}

// ArtifactFromZip takes a ZIP built elsewhere as layer l's artifact, after
// the same checks a build makes against l's runtimes and architectures.
func ArtifactFromZip(ctx context.Context, zipPath string, l *manifest.Layer) (*Artifact, error) {
	r, err := Inspect(ctx, zipPath, InspectOptions{Runtimes: l.Runtimes, Architectures: l.Architectures})
	if err != nil {
		return nil, err
	}
	if errs := errorsOf(r.Findings); len(errs) > 0 {
		return nil, &CheckError{Layer: l.Name, Findings: errs}
	}
	return &Artifact{
		Layer: l.Name, Path: zipPath, SHA256: r.SHA256, CodeSHA256: r.CodeSHA256,
		Size: r.Size, UnzippedSize: r.UnzippedSize, Files: r.Files,
		Runtimes: l.Runtimes, Architectures: l.Architectures,
	}, nil
}
