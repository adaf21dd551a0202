package build

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/layerctl/layerctl/internal/crash"
	"github.com/layerctl/layerctl/internal/inuse"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/check"
	"github.com/layerctl/layerctl/manifest"
)

// Options says where and how to build.
type Options struct {
	OutDir   string         // where ZIPs go; created when missing
	Modified time.Time      // the one timestamp every entry gets
	Workers  int            // compressors at once; 0 means one per CPU
	NoCache  bool           // rebuild even when the cache holds this build, hashing every input afresh
	Tools    *builder.Tools // runs pip/uv, npm and go; nil means the process's environment, no log
	// Keep is how many of the layer's builds stay in OutDir, the one
	// returned included (oldbuilds.go): 0 means DefaultKeep, a negative
	// number every one.
	Keep int
	// Holds, when set, keeps the ZIP returned held (no other run's
	// cleanup removes it) until the caller releases it; nil releases it
	// when Build returns.
	Holds *Holds
}

// Build writes the layer's ZIP into opts.OutDir as <layer>-<sha256[:12]>.zip,
// or finds it there already built from the same inputs (the build cache,
// see fingerprint). Package tools (pip or uv, npm, go) run for each of the
// layer's architectures; when the layer has two and their content is the
// same, one ZIP serves both, and when it differs the build stops.
// The bytes depend only on the inputs and opts.Modified. On any error
// nothing is left in OutDir and nothing is recorded in the cache. A cache
// file that cannot be read is ignored, with a note in the findings. Once
// built or served, the layer's older builds but opts.Keep are removed
// from OutDir, with a note.
func Build(ctx context.Context, m *manifest.Manifest, l *manifest.Layer, opts Options) (a *layer.Artifact, err error) {
	if err := CheckOutput(m, []*manifest.Layer{l}, opts.OutDir, ""); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating output folder: %w", err)
	}
	absOut, err := filepath.Abs(opts.OutDir)
	if err != nil {
		return nil, err
	}
	// The walk compares real paths: an output folder inside a source is
	// left out however either is reached.
	realOut, err := realPath(absOut)
	if err != nil {
		return nil, fmt.Errorf("resolving the output folder: %w", err)
	}
	if opts.Tools == nil {
		opts.Tools = &builder.Tools{}
	}
	cache := openCache(opts.OutDir, absOut, opts.NoCache)
	swept := removeLeftovers(absOut, cache.dir, os.TempDir())
	var held *inuse.Held // the ZIP returned, held
	var entry string     // its cache entry, when recorded
	defer func() {
		if a != nil {
			a.Findings = append(a.Findings, swept.note()...)
			a.Findings = append(a.Findings, cache.findings()...)
			a.Findings = append(a.Findings, cache.removeOldBuilds(l.Name, entry, filepath.Base(a.Path), opts.Keep)...)
			a.Modified = opts.Modified // the cache keys it: a cached ZIP has it too
		}
		opts.Holds.keep(held)
	}()
	baseDir, err := filepath.Abs(m.Dir)
	if err != nil {
		return nil, err
	}
	p := &plan{m: m, l: l, baseDir: baseDir, opts: opts, tools: opts.Tools, memo: cache.memo, absOut: realOut,
		answers: &answers{cache: cache, ignore: opts.NoCache, tools: opts.Tools}}
	p.builders = buildersOf(builder.Env{Layer: l, Name: l.Name, BaseDir: baseDir, Tools: opts.Tools,
		Stage:          func(arch, name string) (string, error) { return p.work.dir(arch, name) },
		TreeDifference: treeDifference})

	if err := CheckInputs(ctx, m, []*manifest.Layer{l}, opts.Tools); err != nil {
		return nil, err
	}
	fp, err := p.fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	digests, unknown := fp.knownDigests(cache.memo)
	// Files the memo cannot vouch for are read now only if the cache could
	// hold this build; on a first build the ZIP writer digests them.
	if !opts.NoCache && (len(unknown) == 0 || cache.holds(l.Name)) {
		sums, err := cache.memo.sumEntries(ctx, unknown)
		if err != nil {
			return nil, err
		}
		for i, e := range unknown {
			digests[e.Src] = sums[i]
		}
		unknown = nil
		key := fp.key(digests)
		if hit, h := cache.lookup(l.Name, key); hit != nil {
			held, entry = h, filepath.Base(cache.entryPath(l.Name, key))
			_ = cache.saveMemo()
			return hit, nil
		}
	}
	started := time.Now()
	p.listed = fp.listed
	if !opts.NoCache && p.codec != "" {
		// A rebuild: what did not change is copied from the last ZIP.
		if prev := cache.previous(l.Name, p.codec); prev != nil {
			defer prev.close()
			p.reuse, p.digests = prev, digests
		}
	}
	a, stats, err := p.build(ctx)
	held = p.held
	if err != nil {
		return nil, err
	}
	written := stats.Digests
	if changed := cache.memo.changedSince(); changed != "" {
		a.Findings = append(a.Findings, layer.Finding{Severity: layer.SevWarning, Path: "", Message: fmt.Sprintf("%s changed while the layer was being built, so the ZIP may hold a mix of old and new; it is not cached: rebuild when nothing writes to the sources", changed)})
		return a, nil
	}
	for _, e := range unknown {
		d, ok := written[e.Src]
		if !ok {
			if d, err = cache.memo.sum(e.Src, e.Stamp); err != nil {
				return a, nil // not cached; the artifact stands
			}
		}
		digests[e.Src] = d
		cache.memo.remember(e.Src, e.Stamp, d, started)
	}
	key := fp.key(digests)
	if p.codec != "" {
		// Before the entry, so that an entry is never without its index.
		if err := cache.writeIndex(l.Name, key, p.codec, a, stats.Index); err != nil {
			a.Findings = append(a.Findings, layer.Finding{Severity: layer.SevNote, Path: "", Message: fmt.Sprintf("the build cache (%s) could not record where this build's files lie in its ZIP: %v", cache.dir, err)})
		}
	}
	entry = filepath.Base(cache.entryPath(l.Name, key))
	if err := cache.record(key, a); err != nil {
		a.Findings = append(a.Findings, layer.Finding{Severity: layer.SevNote, Path: "", Message: fmt.Sprintf("the build cache (%s) could not record this build: %v", cache.dir, err)})
	} else if err := cache.saveMemo(); err != nil {
		a.Findings = append(a.Findings, layer.Finding{Severity: layer.SevNote, Path: "", Message: fmt.Sprintf("the build cache (%s) could not save file hashes: %v", cache.dir, err)})
	}
	return a, nil
}

// plan is one layer's build.
type plan struct {
	m       *manifest.Manifest
	l       *manifest.Layer
	baseDir string // the manifest's folder, absolute: paths in it are relative to it
	opts    Options
	tools   *builder.Tools
	memo    *hashMemo
	absOut  string // the output folder, symlinks followed: never read

	builders []builder.Builder       // the package builders the layer uses
	work     *workDir                // the build's work folder, while it builds
	listed   map[int][]archive.Entry // files entries as the fingerprint listed them
	// codec is how this layerctl compresses (archive.Codec and its
	// executable's digest): a ZIP index is of use to a build with the same.
	codec string
	// reuse is the layer's previous ZIP, whose files' compressed bytes a
	// rebuild copies, and digests the content digests of the files
	// entries' files, by source path; nil on a first build.
	reuse   *previousZip
	digests map[string][32]byte
	answers *answers    // the tools' answers, through the cache
	held    *inuse.Held // the ZIP written, held shared once it has its name
}

// archDependent reports whether the layer's content may differ between
// architectures, so that it must be made once for each.
func (p *plan) archDependent() bool {
	l := p.l
	if len(p.builders) > 0 {
		return true
	}
	return slices.ContainsFunc(l.Files, func(f manifest.FileMap) bool { return f.Architecture != "" })
}

// build makes the layer's ZIP, and says what it wrote (every file's
// content digest, where its compressed bytes lie).
func (p *plan) build(ctx context.Context) (a *layer.Artifact, stats *archive.ZipStats, err error) {
	l := p.l
	archs := l.Architectures
	if !p.archDependent() || len(archs) == 0 {
		archs = archs[:min(1, len(archs))]
		if len(archs) == 0 {
			archs = []string{""}
		}
	}
	work := &workDir{layer: l.Name}
	defer work.remove()
	p.work = work

	archives, err := p.unpackArchives(ctx, work)
	if err != nil {
		return nil, nil, err
	}

	// Each architecture's content, made in parallel.
	entries := make([][]archive.Entry, len(archs))
	errs := make([]error, len(archs))
	var wg sync.WaitGroup
	for i, arch := range archs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = crash.Guard("content", func() (err error) {
				entries[i], err = p.content(ctx, work, arch, archives)
				return err
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			if ctx.Err() != nil && !crash.Is(err) {
				return nil, nil, fmt.Errorf("building layer %q: %w", l.Name, ctx.Err())
			}
			return nil, nil, err
		}
	}
	if len(archs) > 1 {
		if err := sameContent(ctx, l, archs, entries); err != nil {
			return nil, nil, err
		}
	}
	return p.writeArtifact(ctx, entries[0])
}

// content lists the layer's entries for arch: files entries as the
// fingerprint listed them (read in place), unpacked archives, and what the
// package tools install.
func (p *plan) content(ctx context.Context, work *workDir, arch string, archives map[int]string) ([]archive.Entry, error) {
	l := p.l
	byName := map[string]*archive.Entry{}
	var srcs []archive.Source
	for i, fm := range l.Files {
		if fm.Architecture != "" && fm.Architecture != arch {
			continue
		}
		switch listed, ok := p.listed[i]; {
		case ok:
			if err := archive.Merge(l.Name, byName, listed); err != nil {
				return nil, err
			}
		case fm.Archive:
			srcs = append(srcs, archive.Source{Path: archives[i], To: fm.To, Label: fm.From})
		default:
			srcs = append(srcs, archive.Source{Path: archive.AbsPath(p.baseDir, fm.From), To: fm.To, Label: fm.From})
		}
	}
	built, err := p.install(ctx, arch)
	if err != nil {
		return nil, err
	}
	more, err := archive.ListSources(l.Name, append(srcs, built...), archive.LayerExcludes(l), p.absOut)
	if err != nil {
		return nil, err
	}
	for _, e := range archive.SortedEntries(more) {
		if err := archive.Merge(l.Name, byName, []archive.Entry{e}); err != nil {
			return nil, err
		}
	}
	return archive.Finish(l.Name, byName)
}

// install runs the package builders for arch and says where their output
// goes.
func (p *plan) install(ctx context.Context, arch string) ([]archive.Source, error) {
	var srcs []archive.Source
	for _, b := range p.builders {
		s, err := b.Install(ctx, arch)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s...)
	}
	return srcs, nil
}

// unpackArchives unpacks the layer's archive sources, each once, into the
// work folder; the result maps files indexes to folders.
func (p *plan) unpackArchives(ctx context.Context, work *workDir) (map[int]string, error) {
	out := map[int]string{}
	for i, fm := range p.l.Files {
		if !fm.Archive || (fm.Architecture != "" && !slices.Contains(p.l.Architectures, fm.Architecture)) {
			continue
		}
		dest, err := work.dir("", fmt.Sprintf("archive-%d", i))
		if err != nil {
			return nil, err
		}
		if err := archive.Unpack(ctx, archive.AbsPath(p.baseDir, fm.From), dest, fm.From); err != nil {
			if ue, ok := err.(*archive.UnpackError); ok {
				return nil, &archive.ContentError{Layer: p.l.Name, Msg: ue.Error()}
			}
			return nil, fmt.Errorf("layer %q: unpacking %s: %w", p.l.Name, fm.From, err)
		}
		out[i] = dest
	}
	return out, nil
}

// writeArtifact checks the entries and writes them as the layer's ZIP.
func (p *plan) writeArtifact(ctx context.Context, entries []archive.Entry) (*layer.Artifact, *archive.ZipStats, error) {
	l, opts := p.l, p.opts
	var unzipped int64
	for _, e := range entries {
		unzipped += e.Size
	}
	// Fail fast, before compressing anything, on what the listing shows.
	// The layout's notes and warnings (a wrapper script, data at the top)
	// stay with the artifact.
	layout := check.Layout(p.layoutFiles(entries), l.Runtimes)
	findings := append(check.Sizes(unzipped, 0), layout...)
	if errs := layer.Errors(findings); len(errs) > 0 {
		return nil, nil, &layer.CheckError{Layer: l.Name, Findings: errs}
	}
	zopts, err := p.zipOptions(ctx, entries)
	if err != nil {
		return nil, nil, err
	}

	// Locked until renamed, so that no other build takes it for the
	// leftover of a killed one (leftovers.go).
	tmp, held, err := createHeld(opts.OutDir, "."+l.Name+"-*.zip.tmp")
	if err != nil {
		return nil, nil, fmt.Errorf("creating the ZIP: %w", err)
	}
	defer func() { held.Release() }() // unless handed to p.held below
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	var notes []layer.Finding
	stats, sum, size, err := writeZipFile(ctx, tmp, entries, zopts)
	var re *archive.ReuseError
	if errors.As(err, &re) {
		// The cache's record of the last ZIP is wrong: compress everything.
		notes = append(notes, layer.Finding{Severity: layer.SevNote, Message: fmt.Sprintf("the build cache's index of %s was wrong (%v) and was ignored: every file was compressed again", p.reuse.path, re)})
		zopts.Reuse = nil
		stats, sum, size, err = writeZipFile(ctx, tmp, entries, zopts)
	}
	if err != nil {
		if ctx.Err() != nil && !crash.Is(err) {
			return nil, nil, fmt.Errorf("building layer %q: %w", l.Name, ctx.Err())
		}
		return nil, nil, fmt.Errorf("building layer %q: %w", l.Name, err)
	}
	elfFindings := append(check.ELF(stats.ELF, l.Architectures), check.ServesAll(stats.ELF, l.Architectures)...)
	if errs := layer.Errors(elfFindings); len(errs) > 0 {
		return nil, nil, &layer.CheckError{Layer: l.Name, Findings: errs}
	}
	if err := tmp.Chmod(0o644); err != nil {
		return nil, nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, nil, fmt.Errorf("writing the ZIP: %w", err)
	}
	hexSum := hex.EncodeToString(sum)
	final := filepath.Join(opts.OutDir, fmt.Sprintf("%s-%s.zip", l.Name, hexSum[:12]))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, nil, fmt.Errorf("writing the ZIP: %w", err)
	}
	done = true
	// Still held, now shared: other runs may use the new ZIP, and no
	// cleanup removes it while this run does.
	if err := held.Share(); err == nil {
		p.held, held = held, nil
	}

	return &layer.Artifact{
		Layer:         l.Name,
		Path:          final,
		SHA256:        hexSum,
		CodeSHA256:    base64.StdEncoding.EncodeToString(sum),
		Size:          size,
		UnzippedSize:  stats.Unzipped,
		Files:         stats.Files,
		Runtimes:      l.Runtimes,
		Architectures: l.Architectures,
		// The ZIP's size against the inline limit is publish's business: it
		// depends on the layer's buckets, which the build cache does not key.
		Findings: slices.Concat(layout, check.Sizes(stats.Unzipped, 0), elfFindings, notes),
		Reused:   stats.Reused,
	}, stats, nil
}

// zipOptions are how the entries are written: on a rebuild, with the
// previous ZIP to copy from and the content digest of every file, hashing
// those the fingerprint did not (what the package tools installed,
// unpacked archives: reading is cheaper than compressing).
func (p *plan) zipOptions(ctx context.Context, entries []archive.Entry) (archive.ZipOptions, error) {
	zopts := archive.ZipOptions{Modified: p.opts.Modified, Workers: p.opts.Workers}
	if p.reuse == nil {
		return zopts, nil
	}
	digests := maps.Clone(p.digests)
	var unlisted []archive.Entry
	for _, e := range entries {
		if _, ok := digests[e.Src]; e.Kind == archive.KindFile && !ok {
			unlisted = append(unlisted, e)
		}
	}
	sums, err := sumEach(ctx, unlisted, func(e archive.Entry) ([32]byte, error) { return archive.DigestFile(e.Src, e.Size) })
	if err != nil {
		return zopts, err
	}
	for i, e := range unlisted {
		digests[e.Src] = sums[i]
	}
	zopts.Reuse, zopts.Digests = p.reuse.reuse, digests
	return zopts, nil
}

// writeZipFile writes the ZIP into f from its start, and returns what the
// writer said, the ZIP's SHA-256 and size.
func writeZipFile(ctx context.Context, f *os.File, entries []archive.Entry, zopts archive.ZipOptions) (*archive.ZipStats, []byte, int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, 0, err
	}
	if err := f.Truncate(0); err != nil {
		return nil, nil, 0, err
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &archive.CountingWriter{W: io.MultiWriter(bw, h)}
	stats, err := archive.WriteZipWith(ctx, cw, entries, zopts)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := bw.Flush(); err != nil {
		return nil, nil, 0, fmt.Errorf("writing the ZIP: %w", err)
	}
	return stats, h.Sum(nil), cw.N, nil
}

// workDir is a private temporary folder for one build: unpacked archives
// and what the package tools install. It is made on first use and removed
// when the build ends, whatever happens; if the process is killed, the
// next build removes it (leftovers.go), since its marker's lock is gone.
type workDir struct {
	layer string
	mu    sync.Mutex
	root  string
	held  *inuse.Held // the lock on root's workMarker
}

// dir makes and returns a new folder for arch's part named name.
func (w *workDir) dir(arch, name string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.root == "" {
		root, held, err := makeWorkDir(w.layer)
		if err != nil {
			return "", fmt.Errorf("creating a work folder: %w", err)
		}
		w.root, w.held = root, held
	}
	d := filepath.Join(w.root, arch, name)
	if arch == "" {
		d = filepath.Join(w.root, name)
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	return d, nil
}

func (w *workDir) remove() {
	if w.root != "" {
		os.RemoveAll(w.root)
		w.held.Release()
	}
}

// makeWorkDir makes a new work folder for layer, with its marker locked.
func makeWorkDir(layer string) (string, *inuse.Held, error) {
	defer inuse.Creating(os.TempDir())()
	for tries := 1; ; tries++ {
		root, err := os.MkdirTemp("", "layerctl-"+layer+"-")
		if err != nil {
			return "", nil, err
		}
		marker := filepath.Join(root, workMarker)
		err = os.WriteFile(marker, []byte("layerctl's work folder for one build of layer "+layer+": removed when the build ends, or by the next build if this one was killed.\n"), 0o644)
		var held *inuse.Held
		if err == nil {
			held, err = inuse.Hold(marker)
		}
		if (errors.Is(err, inuse.ErrGone) || errors.Is(err, fs.ErrNotExist)) && tries < 10 {
			continue // taken for a leftover in the instant before the lock
		}
		if err != nil {
			os.RemoveAll(root)
			return "", nil, err
		}
		return root, held, nil
	}
}
