package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/klauspost/compress/zip"
	"github.com/mholt/archiver/v3"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// Archives are read entry by entry with archiver's Walk and written here,
// never with its Unarchive or Extract: those follow links planted by the
// archive itself (CVE-2024-0406, CVE-2025-3445). Every entry is checked
// before anything is written: no absolute name, no "..", no link that
// leaves the folder, no device; links are made last, so no entry can be
// written through one; and every write goes through an os.Root.

// maxUnpacked bounds what one archive may unpack to: more could never fit
// in a layer, and the bound stops a decompression bomb early. (A variable
// so that a test can check it without writing 250 MB.)
var maxUnpacked int64 = lambdafacts.MaxUnzipped + 1

// UnpackError is an archive that layerctl refuses to unpack.
type UnpackError struct {
	Archive string // as the manifest or the user names it
	Entry   string // the entry's name as the archive has it; "" for the whole archive
	Msg     string
}

func (e *UnpackError) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("archive %s: %s", e.Archive, e.Msg)
	}
	return fmt.Sprintf("archive %s: entry %q %s: refused (nothing from this archive goes into the layer)", e.Archive, e.Entry, e.Msg)
}

// walkerFor returns the archiver that reads the archive named name, by its
// extension.
func walkerFor(name string) (archiver.Walker, error) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		return archiver.NewZip(), nil
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		return archiver.NewTarGz(), nil
	case strings.HasSuffix(lower, ".tar.xz"):
		return archiver.NewTarXz(), nil
	case strings.HasSuffix(lower, ".tar.bz2"):
		return archiver.NewTarBz2(), nil
	case strings.HasSuffix(lower, ".tar.zst"):
		return archiver.NewTarZstd(), nil
	}
	return nil, fmt.Errorf("%s is not an archive layerctl reads (.zip, .tar.gz, .tgz, .tar.xz, .tar.bz2, .tar.zst)", name)
}

// archiveEntry is what unpacking needs to know of one entry.
type archiveEntry struct {
	name   string // cleaned, relative, slash-separated
	raw    string // as the archive has it, for messages
	kind   EntryKind
	exec   bool
	target string // symlinks: link target; hard links: the cleaned name linked to
	hard   bool
}

// Unpack writes the entries of the archive file src into the folder dest,
// which must exist and be empty. label names the archive in errors.
func Unpack(ctx context.Context, src, dest, label string) error {
	w, err := walkerFor(src)
	if err != nil {
		return &UnpackError{Archive: label, Msg: err.Error()}
	}
	return UnpackWith(ctx, w, src, dest, label)
}

// UnpackWith is unpack with the archive's format given.
func UnpackWith(ctx context.Context, w archiver.Walker, src, dest, label string) error {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer root.Close()

	var links []archiveEntry
	written := map[string]EntryKind{}
	var total int64             // bytes unpacked so far, hard links' copies included
	sizes := map[string]int64{} // files written, by name: what a hard link to one will copy
	tooBig := func() error {
		return &UnpackError{Archive: label, Msg: fmt.Sprintf("unpacks to more than Lambda's limit of %d bytes for a function and its layers", maxUnpacked-1)}
	}
	var refused error
	walkErr := w.Walk(src, func(f archiver.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, skip, err := describeEntry(f)
		if err != nil {
			refused = &UnpackError{Archive: label, Entry: e.raw, Msg: err.Error()}
			return refused
		}
		if skip {
			return nil
		}
		if prev, dup := written[e.name]; dup && !(prev == KindDir && e.kind == KindDir) {
			refused = &UnpackError{Archive: label, Entry: e.raw, Msg: "appears twice in the archive: which copy wins would depend on the unpacker"}
			return refused
		}
		switch {
		case e.kind == KindDir:
			written[e.name] = KindDir
			return root.MkdirAll(e.name, 0o755)
		case e.kind == KindSymlink || e.hard:
			written[e.name] = e.kind
			links = append(links, e)
			// A hard link is unpacked as a copy: its bytes count now, before
			// any copy is made, or a small archive of many links to one big
			// file would fill the disk first.
			if e.hard {
				if total += sizes[e.target]; total >= maxUnpacked {
					refused = tooBig()
					return refused
				}
			}
			return nil
		}
		written[e.name] = KindFile
		if dir := path.Dir(e.name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				refused = &UnpackError{Archive: label, Entry: e.raw, Msg: "is inside something that is not a folder: " + UnwrapPathErr(err).Error()}
				return refused
			}
		}
		n, err := writeEntry(root, e, io.LimitReader(f, maxUnpacked-total+1))
		total += n
		sizes[e.name] = n
		if err != nil {
			return err
		}
		if total >= maxUnpacked {
			refused = tooBig()
			return refused
		}
		return nil
	})
	if refused != nil {
		return refused
	}
	if walkErr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &UnpackError{Archive: label, Msg: "cannot be read: " + walkErr.Error()}
	}

	if err := checkArchiveLinks(label, written, links); err != nil {
		return err
	}

	// Links last, so that no file above was written through one. Hard links
	// become copies of the file they name; symlinks must stay inside.
	sort.SliceStable(links, func(i, j int) bool { return links[i].hard && !links[j].hard })
	for _, e := range links {
		if e.hard {
			if kind, ok := written[e.target]; !ok || kind != KindFile || slices.ContainsFunc(links, func(o archiveEntry) bool { return o.name == e.target }) {
				return &UnpackError{Archive: label, Entry: e.raw, Msg: fmt.Sprintf("is a hard link to %q, which is not a file earlier in the archive", e.target)}
			}
			if err := copyWithin(root, e.target, e.name); err != nil {
				return err
			}
			continue
		}
		if dir := path.Dir(e.name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return &UnpackError{Archive: label, Entry: e.raw, Msg: "is inside something that is not a folder: " + UnwrapPathErr(err).Error()}
			}
		}
		if err := root.Symlink(e.target, e.name); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &UnpackError{Archive: label, Entry: e.raw, Msg: "is a symlink, but the archive also has a file or folder of that name"}
			}
			return &UnpackError{Archive: label, Entry: e.raw, Msg: "cannot be made: " + UnwrapPathErr(err).Error()}
		}
	}
	return nil
}

// checkArchiveLinks resolves the archive's symlinks as Linux will once
// they are made, in the archive's own folder, and refuses the archive if
// one ends outside that folder, loops, or points at nothing in it.
func checkArchiveLinks(label string, written map[string]EntryKind, links []archiveEntry) error {
	t := NewLinkTree()
	raw := map[string]string{}
	for _, e := range links {
		if !e.hard {
			t.Add(e.name, KindSymlink, e.target)
			raw[e.name] = e.raw
		}
	}
	if len(raw) == 0 {
		return nil
	}
	for name, kind := range written {
		t.Add(name, kind, "") // the links are in already, and win
	}
	problems := t.Check()
	if len(problems) == 0 {
		return nil
	}
	p := problems[0]
	msg := fmt.Sprintf("is a symlink to %q that %s", p.Target, p.Explain(archiveScope))
	if p.kind == linkLeaves {
		msg = fmt.Sprintf("is a symlink to %q, which %s", p.Target, p.Explain(archiveScope))
		if p.via == "" {
			msg = fmt.Sprintf("is a symlink to %q, which %s", p.Target, archiveScope.outside)
		}
	}
	return &UnpackError{Archive: label, Entry: raw[p.Link], Msg: msg}
}

// describeEntry reads an entry's header and checks its name and, for
// links, where they point. skip is true for entries that hold nothing to
// unpack (pax global headers, the archive's own "./").
func describeEntry(f archiver.File) (e archiveEntry, skip bool, err error) {
	var mode fs.FileMode
	switch h := f.Header.(type) {
	case *tar.Header:
		e.raw = h.Name
		mode = h.FileInfo().Mode()
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			return e, true, nil
		case tar.TypeDir:
			e.kind = KindDir
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			e.kind = KindFile
		case tar.TypeSymlink:
			e.kind = KindSymlink
			e.target = h.Linkname
		case tar.TypeLink:
			e.kind, e.hard = KindFile, true
			target, problem := cleanEntryName(h.Linkname)
			if problem != "" {
				return e, false, fmt.Errorf("is a hard link to %q, which %s", h.Linkname, problem)
			}
			e.target = target
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return e, false, fmt.Errorf("is a device or named pipe, which a layer cannot hold")
		default:
			return e, false, fmt.Errorf("has tar type %q, which layerctl does not unpack", h.Typeflag)
		}
	case zip.FileHeader:
		e.raw = h.Name
		mode = h.Mode()
		e.kind = ZipEntryKind(h.Name, mode)
		switch {
		case e.kind == KindDir:
			if problem := ZipFolderData(h.UncompressedSize64); problem != "" {
				return e, false, errors.New(problem)
			}
		case e.kind == KindSymlink:
			target, err := io.ReadAll(io.LimitReader(f, 4096))
			if err != nil {
				return e, false, fmt.Errorf("cannot be read: %v", err)
			}
			e.target = string(target)
		case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
			return e, false, fmt.Errorf("is a device, socket or named pipe, which a layer cannot hold")
		}
	default:
		return e, false, fmt.Errorf("has an unexpected header %T", f.Header)
	}
	name, problem := cleanEntryName(e.raw)
	switch {
	case problem != "":
		return e, false, errors.New(problem)
	case name == "":
		return e, true, nil // "./" itself
	}
	e.name = name
	e.exec = mode&0o111 != 0
	if e.kind == KindSymlink {
		// Where a relative target lands is for checkArchiveLinks to say,
		// once every entry is known.
		t := e.target
		switch {
		case t == "":
			return e, false, errors.New("is a symlink to nothing")
		case strings.HasPrefix(t, "/") || windowsAbs(t) || strings.Contains(t, `\`):
			return e, false, fmt.Errorf("is a symlink to the absolute path %q, outside the archive's folder", t)
		}
	}
	return e, false, nil
}

// cleanEntryName returns an entry name as a clean relative slash path ("" for
// the archive's root), or why it could land outside the folder it is
// unpacked into.
func cleanEntryName(name string) (string, string) {
	switch {
	case name == "":
		return "", "has an empty name"
	case strings.ContainsRune(name, 0):
		return "", "has a NUL byte in its name"
	case strings.Contains(name, `\`):
		return "", "has a backslash in its name, which some unpackers take as a folder separator"
	case strings.HasPrefix(name, "/"), windowsAbs(name):
		return "", "is an absolute path"
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", "climbs out of its folder with .."
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", ""
	}
	return clean, ""
}

func windowsAbs(name string) bool {
	return len(name) >= 2 && name[1] == ':' && (name[0]|0x20 >= 'a' && name[0]|0x20 <= 'z')
}

// writeEntry writes one file entry, refusing to replace anything.
func writeEntry(root *os.Root, e archiveEntry, r io.Reader) (int64, error) {
	mode := fs.FileMode(0o644)
	if e.exec {
		mode = 0o755
	}
	out, err := root.OpenFile(e.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return 0, fmt.Errorf("writing %s: %w", e.name, UnwrapPathErr(err))
	}
	n, err := io.Copy(out, r)
	if err == nil {
		err = out.Chmod(mode) // the umask does not decide what the layer holds
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", e.name, err)
	}
	return n, nil
}

func copyWithin(root *os.Root, from, to string) error {
	in, err := root.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if dir := path.Dir(to); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	_, err = writeEntry(root, archiveEntry{name: to, exec: info.Mode()&0o111 != 0}, in)
	return err
}
