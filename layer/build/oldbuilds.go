package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/layerctl/layerctl/internal/inuse"
	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
)

// Every build of changed content leaves its ZIP in the output folder and
// its entry (and ZIP index) in the cache: an edit-build loop on a large
// layer would fill the disk. So after each build of a layer, built or
// served from the cache, only its newest few builds stay: the others' ZIP,
// entry and index are removed. Only a ZIP a cache entry of the layer
// names, named as layerctl names that layer's ZIPs and holding the bytes
// recorded, is ever removed, and only while no live run uses it: a run
// that built or took a ZIP holds it (inuse.Use) until it is done
// uploading or unpacking it, and the cleanup takes each ZIP exclusively,
// without waiting, skipping what it cannot take. Where there are no file
// locks, no ZIP is removed.

// DefaultKeep is how many of a layer's builds stay in the output folder:
// enough that switching a branch back and forth is served from the cache.
const DefaultKeep = 3

// Holds are the ZIPs a run uses (built, or served from the cache): until
// Release, no other run's cleanup of old builds removes them. A step that
// uploads or unpacks the ZIPs it built gives Run its Holds and releases
// them when done.
type Holds struct {
	mu   sync.Mutex
	held []*inuse.Held
}

// keep adds h, or, when there is nowhere to keep it (nil Holds), releases
// it: the caller was done with the ZIP when Build returned.
func (hs *Holds) keep(h *inuse.Held) {
	if hs == nil {
		h.Release()
		return
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.held = append(hs.held, h)
}

// Use holds the ZIP at path as Build holds those it returns: a ZIP taken
// as it is (publish --zip), which may be one of an output folder's. One
// that cannot be held is not; the caller's own reading of it says why.
func (hs *Holds) Use(path string) {
	if h, err := inuse.Use(path); err == nil {
		hs.keep(h)
	}
}

// Release lets other runs remove the ZIPs again. A nil Holds holds nothing.
func (hs *Holds) Release() {
	if hs == nil {
		return
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	for _, h := range hs.held {
		h.Release()
	}
	hs.held = nil
}

// recorded is one of the cache's entries for a layer.
type recorded struct {
	file  string      // the entry's name in builds/
	when  time.Time   // its last use: written by a build, touched by a hit
	entry *cacheEntry // nil when it cannot be read, or names no ZIP of the layer's
}

// removeOldBuilds removes the layer's builds but the keep newest: their
// ZIPs, entries and indexes. current is the entry of the build just made
// or served ("" when none was recorded), currentZip its ZIP's name: both
// stay whatever their times. keep < 0 keeps every build. What cannot be
// removed stays, with a note; nothing here fails a build.
func (c *buildCache) removeOldBuilds(name, current, currentZip string, keep int) []layer.Finding {
	if keep < 0 {
		return nil
	}
	if keep == 0 {
		keep = DefaultKeep
	}
	absOut := filepath.Dir(c.dir)
	// Every removal goes through the root: no symlink (the cache folder, a
	// ZIP's name) leads it out of the output folder.
	root, err := os.OpenRoot(absOut)
	if err != nil {
		return nil
	}
	defer root.Close()
	builds := c.recordedBuilds(root, name, current)
	var valid []recorded
	for _, b := range builds {
		if b.entry != nil {
			valid = append(valid, b)
		}
	}
	if len(valid) <= keep {
		return nil
	}
	kept := map[string]bool{currentZip: true}
	for _, b := range valid[:keep] {
		kept[b.entry.File] = true
	}
	oldestKept := valid[keep-1].when
	var r reclaimed
	var failed []string
	for _, b := range builds {
		var n int64
		var err error
		switch {
		case b.entry != nil && slices.ContainsFunc(valid[:keep], func(k recorded) bool { return k.file == b.file }):
			continue
		case b.entry != nil:
			n, err = removeBuild(root, absOut, b, kept)
		case b.when.Before(oldestKept):
			// A damaged entry serves nothing: it goes once it is older
			// than the builds kept, its ZIP (whatever it names) left.
			n, err = removeEntry(root, b.file)
		default:
			continue
		}
		switch {
		case err != nil:
			failed = append(failed, err.Error())
		case n >= 0:
			r.items++
			r.bytes += n
		}
	}
	var notes []layer.Finding
	if r.items > 0 {
		s := "s"
		if r.items == 1 {
			s = ""
		}
		notes = append(notes, layer.Finding{Severity: layer.SevNote, Message: fmt.Sprintf("removed %d older build%s from %s (%s)", r.items, s, dirLabel(c.outDir), size.Text(r.bytes))})
	}
	if len(failed) > 0 {
		notes = append(notes, layer.Finding{Severity: layer.SevNote, Message: fmt.Sprintf("could not remove %d older build(s) from %s, left for a later build: %s", len(failed), dirLabel(c.outDir), failed[0])})
	}
	return notes
}

// dirLabel is a folder as messages name it: "dist/".
func dirLabel(dir string) string {
	return strings.TrimSuffix(dir, string(filepath.Separator)) + string(filepath.Separator)
}

// recordedBuilds lists the layer's entries in the cache, newest first,
// current ahead of all.
func (c *buildCache) recordedBuilds(root *os.Root, name, current string) []recorded {
	d, err := root.Open(filepath.Join(CacheDirName, "builds"))
	if err != nil {
		return nil
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return nil
	}
	var out []recorded
	for _, e := range ents {
		if !isEntryOf(name, e.Name()) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		b := recorded{file: e.Name(), when: info.ModTime()}
		if ent, err := readCacheEntry(filepath.Join(c.dir, "builds", e.Name()), name); err == nil && namesZipOf(name, ent) {
			b.entry = ent
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b recorded) int {
		switch {
		case a.file == current:
			return -1
		case b.file == current:
			return 1
		}
		if c := b.when.Compare(a.when); c != 0 {
			return c
		}
		return strings.Compare(a.file, b.file)
	})
	return out
}

// isEntryOf reports whether file is named as the layer's cache entries
// are: <layer>-<64 hex>.json.
func isEntryOf(name, file string) bool {
	rest, ok := strings.CutPrefix(file, name+"-")
	key, ok2 := strings.CutSuffix(rest, ".json")
	return ok && ok2 && isHex(key, 64)
}

// namesZipOf reports whether the entry names a ZIP of the layer as a
// build writes it: <layer>-<first 12 hex of its SHA-256>.zip, in the
// output folder. Any other file is not one layerctl wrote for it.
func namesZipOf(name string, e *cacheEntry) bool {
	return isHex(e.SHA256, 64) && e.File == name+"-"+e.SHA256[:12]+".zip"
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// removeBuild removes an old build: its ZIP (unless a kept build names
// it, it is not the file recorded, or is gone already), then its entry
// and index. A ZIP a live run holds is left, and its entry with it, for a
// later build: n is -1 then.
func removeBuild(root *os.Root, absOut string, b recorded, kept map[string]bool) (n int64, err error) {
	if !kept[b.entry.File] {
		removed, n0, err := removeZip(root, absOut, b.entry)
		if err != nil || !removed {
			return -1, err
		}
		n = n0
	}
	m, err := removeEntry(root, b.file)
	return n + m, err
}

// removeZip removes the ZIP the entry records, if it is there as a
// regular file holding the bytes recorded and no run holds it. removed is
// false only when it is held: the build must stay.
func removeZip(root *os.Root, absOut string, e *cacheEntry) (removed bool, n int64, err error) {
	info, err := root.Lstat(e.File)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !info.Mode().IsRegular() {
		return true, 0, nil // gone, or a link or folder layerctl did not make: not touched
	}
	if err != nil {
		return false, 0, err
	}
	p := filepath.Join(absOut, e.File)
	held, ok, err := inuse.TryHold(p)
	if errors.Is(err, fs.ErrNotExist) {
		return true, 0, nil
	}
	if err != nil || !ok {
		return false, 0, err // a live run uses it
	}
	defer held.Release()
	if info, err = root.Lstat(e.File); err != nil || !info.Mode().IsRegular() {
		return true, 0, nil
	}
	if st, ok := archive.StatOf(info); !ok || st != e.Stat {
		// Touched or copied since: it goes only if its bytes are still ours.
		if sum, err := fileSHA256(p); err != nil || sum != e.SHA256 {
			return true, 0, nil
		}
	}
	if err := root.Remove(e.File); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, 0, fmt.Errorf("removing %s: %w", e.File, err)
	}
	return true, info.Size(), nil
}

// removeEntry removes a cache entry and its ZIP index, saying how many
// bytes they held.
func removeEntry(root *os.Root, file string) (int64, error) {
	var n int64
	for _, f := range []string{file, strings.TrimSuffix(file, ".json") + ".zidx"} {
		p := filepath.Join(CacheDirName, "builds", f)
		info, err := root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			err = root.Remove(p)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return -1, fmt.Errorf("removing the build cache's %s: %w", f, err)
		}
		n += info.Size()
	}
	return n, nil
}
