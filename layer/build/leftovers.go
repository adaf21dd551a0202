package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/layerctl/layerctl/internal/inuse"
	"github.com/layerctl/layerctl/layer"
)

// A build killed outright (kill -9, a CI job cancelled, the machine out of
// memory) leaves what it was writing: its temporary ZIP in the output
// folder (hundreds of MB), its work folder in $TMPDIR (unpacked archives,
// what pip and npm installed: GBs), and the cache's atomicfile temps. Each
// is locked (internal/inuse) for as long as its build uses it, so the
// next build can remove what no live process holds, and only that.

// workMarker is the file in a work folder whose lock says it is in use. A
// folder without one (another tool's, or a run in the instant between
// making the folder and the marker) is never touched.
const workMarker = ".layerctl-work"

// reclaimed is what removeLeftovers removed.
type reclaimed struct {
	items int
	bytes int64
}

func (r reclaimed) note() []layer.Finding {
	if r.items == 0 {
		return nil
	}
	return []layer.Finding{{Severity: layer.SevNote, Message: fmt.Sprintf("removed %d temporary file(s) or folder(s) left by builds that were killed, %.1f MB", r.items, float64(r.bytes)/1e6)}}
}

// removeLeftovers removes the temporary ZIPs in outDir, the atomicfile
// temps in the cache folder and the work folders in tmpDir that no live
// process holds. What it cannot remove it leaves: this is housekeeping,
// never a reason for a build to fail.
func removeLeftovers(outDir, cacheDir, tmpDir string) reclaimed {
	var r reclaimed
	isZipTemp := func(name string) bool { return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".zip.tmp") }
	isAtomicTemp := func(name string) bool { return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") }
	for _, spot := range []struct {
		dir   string
		match func(string) bool
	}{{outDir, isZipTemp}, {cacheDir, isAtomicTemp}, {filepath.Join(cacheDir, "builds"), isAtomicTemp}, {filepath.Join(cacheDir, "answers"), isAtomicTemp}} {
		r.add(removeTemps(spot.dir, spot.match))
	}
	r.add(removeWorkDirs(tmpDir))
	return r
}

func (r *reclaimed) add(o reclaimed) {
	r.items += o.items
	r.bytes += o.bytes
}

// removeTemps removes the regular files of dir whose names match and that
// no process holds.
func removeTemps(dir string, match func(string) bool) reclaimed {
	defer inuse.Sweeping(dir)()
	var r reclaimed
	ents, err := os.ReadDir(dir)
	if err != nil {
		return r
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !match(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		held, ok, err := inuse.TryHold(p)
		if err != nil || !ok {
			continue
		}
		info, err := os.Lstat(p)
		if err == nil && os.Remove(p) == nil {
			r.items++
			r.bytes += info.Size()
		}
		held.Release()
	}
	return r
}

// removeWorkDirs removes the work folders in tmpDir (layerctl-*, made by
// this user, holding a workMarker) whose marker no process holds.
func removeWorkDirs(tmpDir string) reclaimed {
	defer inuse.Sweeping(tmpDir)()
	var r reclaimed
	ents, err := os.ReadDir(tmpDir)
	if err != nil {
		return r
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "layerctl-") {
			continue // a symlink is not a folder here: never followed
		}
		dir := filepath.Join(tmpDir, e.Name())
		if info, err := os.Lstat(dir); err != nil || !info.IsDir() || !ownedByMe(info) {
			continue
		}
		marker := filepath.Join(dir, workMarker)
		if info, err := os.Lstat(marker); err != nil || !info.Mode().IsRegular() {
			continue
		}
		held, ok, err := inuse.TryHold(marker)
		if err != nil || !ok {
			continue
		}
		size := treeSize(dir)
		if os.RemoveAll(dir) == nil {
			r.items++
			r.bytes += size
		}
		held.Release()
	}
	return r
}

// treeSize is the bytes of the files under dir, links not followed.
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// createHeld makes a new temporary file in dir, as os.CreateTemp does, and
// holds its lock until the caller releases it.
func createHeld(dir, pattern string) (*os.File, *inuse.Held, error) {
	defer inuse.Creating(dir)()
	for tries := 1; ; tries++ {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, nil, err
		}
		held, err := inuse.HoldFile(f)
		if errors.Is(err, inuse.ErrGone) && tries < 10 {
			f.Close() // taken for a leftover in the instant before the lock
			continue
		}
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, nil, err
		}
		return f, held, nil
	}
}
