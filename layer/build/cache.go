package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/layerctl/layerctl/internal/atomicfile"
	"github.com/layerctl/layerctl/internal/inuse"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
)

// CacheDirName is the build cache's folder inside the output folder: it
// lives and dies with the artifacts it points to, and a dot keeps it out of
// listings. Deleting it is always safe; the next build is just slower.
const CacheDirName = ".layerctl-cache"

// buildCache maps a layer's fingerprint (see fingerprint.go) to the
// artifact built from it, and remembers input hashes by stat (hashMemo).
//
//	<out>/.layerctl-cache/
//	  CACHEDIR.TAG, .gitignore   so backup tools and git leave it alone
//	  files.memo                 path -> (stat, digest) of inputs
//	  builds/<fingerprint>.json  the artifact built from that fingerprint
type buildCache struct {
	dir    string
	outDir string // as the caller gave it: artifact paths are joined to it
	memo   *hashMemo
	notes  []layer.Finding // cache files that could not be used, for the artifact's findings
}

// cacheEntry is one recorded build.
type cacheEntry struct {
	Layer         string
	File          string           // the ZIP's name in the output folder
	Stat          archive.FileStat // the ZIP's stat when recorded
	SHA256        string
	CodeSHA256    string
	Size          int64
	UnzippedSize  int64
	Files         int
	Runtimes      []string
	Architectures []string
	Findings      []layer.Finding
}

func openCache(outDir, absOut string, noCache bool) *buildCache {
	dir := filepath.Join(absOut, CacheDirName)
	return &buildCache{dir: dir, outDir: outDir, memo: newHashMemo(filepath.Join(dir, "files.memo"), noCache)}
}

func (c *buildCache) entryPath(layer, key string) string {
	return filepath.Join(c.dir, "builds", layer+"-"+key+".json")
}

// holds reports whether the cache records any build of the layer: when it
// does not, a build cannot be a hit whatever its key.
func (c *buildCache) holds(layer string) bool {
	ents, err := os.ReadDir(filepath.Join(c.dir, "builds"))
	if err != nil {
		return false
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), layer+"-")
		if ok && len(rest) == 64+len(".json") && strings.HasSuffix(rest, ".json") {
			return true
		}
	}
	return false
}

// maxCacheEntry bounds a build cache entry file: one artifact's record,
// findings included, is a few kilobytes.
const maxCacheEntry = 4 << 20

// lookup returns the artifact recorded for key, if its ZIP is still there
// with the same content, held for the caller's use (inuse.Use: no other
// run's cleanup removes it meanwhile), and marks the entry as used now.
// An entry that cannot be read is a miss, with a note: the build that
// follows replaces it.
func (c *buildCache) lookup(name, key string) (*layer.Artifact, *inuse.Held) {
	p := c.entryPath(name, key)
	e, err := readCacheEntry(p, name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.notes = append(c.notes, layer.Finding{Severity: layer.SevNote, Path: "", Message: fmt.Sprintf("the build cache's entry %s was unreadable and is replaced by this build (%v)", p, err)})
		}
		return nil, nil
	}
	zip := filepath.Join(c.outDir, e.File)
	info, err := os.Stat(zip)
	if err != nil || !info.Mode().IsRegular() {
		return nil, nil
	}
	// Held before it is checked: a cleanup removing it meanwhile makes
	// this a miss, never an artifact whose ZIP is gone.
	held, err := inuse.Use(zip)
	if err != nil {
		return nil, nil
	}
	if info, err = os.Stat(zip); err != nil || !info.Mode().IsRegular() {
		held.Release()
		return nil, nil
	}
	if st, ok := archive.StatOf(info); !ok || st != e.Stat {
		// Touched, copied or replaced: trust it only if its bytes are still the ones recorded.
		sum, err := fileSHA256(zip)
		if err != nil || sum != e.SHA256 {
			held.Release()
			return nil, nil
		}
		if st, ok := archive.StatOf(info); ok {
			e.Stat = st
			_ = c.write(key, e)
		}
	}
	// Its last use, which decides the builds kept (removeOldBuilds).
	now := time.Now()
	_ = os.Chtimes(p, now, now)
	return &layer.Artifact{
		Layer: e.Layer, Path: zip, SHA256: e.SHA256, CodeSHA256: e.CodeSHA256,
		Size: e.Size, UnzippedSize: e.UnzippedSize, Files: e.Files,
		Runtimes: e.Runtimes, Architectures: e.Architectures, Findings: e.Findings,
		Cached: true,
	}, held
}

// readCacheEntry reads the entry at p, recorded for layer.
func readCacheEntry(p, name string) (*cacheEntry, error) {
	data, err := readBounded(p, maxCacheEntry)
	if err != nil {
		return nil, err
	}
	var e cacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if e.Layer != name || e.File == "" || filepath.Base(e.File) != e.File {
		return nil, fmt.Errorf("it records layer %q, file %q: not this layer's", e.Layer, e.File)
	}
	return &e, nil
}

// readBounded reads the regular file at p, refusing one larger than max
// bytes: a cache file is written by layerctl, so anything else (a FIFO
// that would block, a file grown without bound) is damage, not input.
func readBounded(p string, max int64) ([]byte, error) {
	info, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	tooBig := fmt.Errorf("larger than the %d MiB layerctl ever writes there", max>>20)
	if info.Size() > max {
		return nil, tooBig
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The limit holds even for a file that grows after the stat.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, tooBig
	}
	return data, nil
}

// findings are the notes on cache files this build could not use.
func (c *buildCache) findings() []layer.Finding {
	out := c.notes
	if n := c.memo.unreadableNote(); n != "" {
		out = append(out, layer.Finding{Severity: layer.SevNote, Path: "", Message: n})
	}
	return out
}

// record remembers that key built a.
func (c *buildCache) record(key string, a *layer.Artifact) error {
	info, err := os.Stat(a.Path)
	if err != nil {
		return err
	}
	st, _ := archive.StatOf(info)
	return c.write(key, &cacheEntry{
		Layer: a.Layer, File: filepath.Base(a.Path), Stat: st,
		SHA256: a.SHA256, CodeSHA256: a.CodeSHA256, Size: a.Size, UnzippedSize: a.UnzippedSize,
		Files: a.Files, Runtimes: a.Runtimes, Architectures: a.Architectures, Findings: a.Findings,
	})
}

func (c *buildCache) write(key string, e *cacheEntry) error {
	if err := c.ensure(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(c.entryPath(e.Layer, key), data)
}

// fileSHA256 is the plain SHA-256 of a file, in hex, as Lambda computes CodeSha256.
func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ensure creates the cache folder, tagged so that backup tools skip it
// (bford.info/cachedir) and git ignores it.
func (c *buildCache) ensure() error {
	if err := os.MkdirAll(filepath.Join(c.dir, "builds"), 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n# This folder is layerctl's build cache; deleting it is safe.\n",
		".gitignore":   "*\n",
	}
	for name, content := range files {
		p := filepath.Join(c.dir, name)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveMemo persists the input hashes, if the cache folder is there or can be.
func (c *buildCache) saveMemo() error {
	if !c.memo.dirty {
		return nil
	}
	if err := c.ensure(); err != nil {
		return err
	}
	return c.memo.save()
}
