package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// cacheFormat changes whenever what a fingerprint covers, or how layerctl
// builds from the same inputs, changes without the executable changing.
const cacheFormat = "layerctl build cache 1"

// keyWriter accumulates a fingerprint: labelled records, every field
// length-prefixed, so that no file name can pass for another record.
type keyWriter struct{ b bytes.Buffer }

func (k *keyWriter) add(label string, values ...string) {
	k.field(label)
	k.field(strconv.Itoa(len(values)))
	for _, v := range values {
		k.field(v)
	}
}

func (k *keyWriter) field(v string) {
	var n [binary.MaxVarintLen64]byte
	k.b.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
	k.b.WriteString(v)
}

// fingerprint is a layer's build-cache key in the making: everything but
// the content of its files entries' files, whose digests come from the
// memo, from reading them, or from the ZIP writer on a first build.
type fingerprint struct {
	k      keyWriter
	files  []archive.Entry         // the files entries' files and symlinks, in key order
	owner  []int                   // index of the files entry each came from
	listed map[int][]archive.Entry // the same, by files entry: the build reuses them
}

// key is the fingerprint, given the digest of every file by source path.
func (f *fingerprint) key(digests map[string][32]byte) string {
	h := sha256.New()
	h.Write(f.k.b.Bytes())
	var k keyWriter
	for j, e := range f.files {
		owner := strconv.Itoa(f.owner[j])
		switch e.Kind {
		case archive.KindFile:
			d := digests[e.Src]
			k.add("file", owner, e.Name, strconv.FormatBool(e.Exec), hex.EncodeToString(d[:]))
		case archive.KindSymlink:
			k.add("symlink", owner, e.Name, e.Target)
		}
	}
	h.Write(k.b.Bytes())
	return hex.EncodeToString(h.Sum(nil))
}

// knownDigests returns the file digests the memo vouches for, by source
// path, and the file entries it cannot vouch for.
func (f *fingerprint) knownDigests(memo *hashMemo) (map[string][32]byte, []archive.Entry) {
	known := map[string][32]byte{}
	var missing []archive.Entry
	for _, e := range f.files {
		if e.Kind != archive.KindFile {
			continue
		}
		if d, ok := memo.known(e.Src, e.Stamp); ok {
			known[e.Src] = d
		} else {
			missing = append(missing, e)
		}
	}
	return known, missing
}

// fingerprint gathers the build-cache key of the layer: every input that
// decides the ZIP's bytes, read without building anything:
//   - layerctl itself (the executable's content) and the cache format;
//   - the layer's manifest stanza, defaults applied, minus what does not go
//     into the ZIP (description, license, publishing, attach, positions);
//   - the entries' timestamp (SOURCE_DATE_EPOCH);
//   - every file of every files entry: its path in the ZIP, execute bit,
//     link target and content digest (excludes applied), and each
//     archive's content digest;
//   - python: the installer and its version, the interpreter running pip,
//     pip's configuration files and PIP_/UV_ variables, the requirements
//     file and every file it includes, local find-links folders (from the
//     manifest, the requirements and pip's configuration) and local wheels;
//   - node: package.json, package-lock.json, .npmrc, npm's effective
//     configuration (npm config list), npm's and node's versions;
//   - go: go env (version, GOFLAGS, experiments...), and for each
//     architecture the packages go list -deps names: module versions and
//     sums from the module cache, every file of local packages.
//
// Content digests come from the hashMemo: a file whose stat (size, mtime,
// ctime, inode) is unchanged is not read again.
func (p *plan) fingerprint(ctx context.Context) (*fingerprint, error) {
	f := &fingerprint{}
	k := &f.k
	k.add("format", cacheFormat)
	if exe, err := os.Executable(); err == nil {
		if sum, err := p.memo.sumPath(exe); err == nil {
			k.add("executable", hexSum(sum))
			p.codec = archive.Codec + "; layerctl " + hexSum(sum)
			p.answers.exe = hexSum(sum)
		} else {
			k.add("executable", "unreadable", time.Now().String()) // never a hit
		}
	}
	stanza, err := layerStanza(p.l)
	if err != nil {
		return nil, err
	}
	k.add("layer", stanza)
	k.add("modified", p.opts.Modified.UTC().Format(time.RFC3339Nano))

	if err := p.keyFiles(f); err != nil {
		return nil, err
	}
	for _, b := range p.builders {
		if err := b.Key(ctx, cacheKey{p, k}); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// layerStanza is the layer's settings that decide the ZIP, as JSON. It
// starts from the whole Layer, so that a setting added later is covered
// unless it is removed here on purpose.
func layerStanza(l *manifest.Layer) (string, error) {
	c := *l
	c.Description, c.License = "", ""
	c.Publishing, c.Attach = manifest.Publishing{}, manifest.Attach{}
	c.Pos = manifest.Pos{}
	c.Files = make([]manifest.FileMap, len(l.Files))
	for i, f := range l.Files {
		f.Pos = manifest.Pos{}
		c.Files[i] = f
	}
	if l.Python != nil {
		py := *l.Python
		py.Pos = manifest.Pos{}
		c.Python = &py
	}
	if l.Node != nil {
		n := *l.Node
		n.Pos = manifest.Pos{}
		c.Node = &n
	}
	c.Go = make([]manifest.GoBuild, len(l.Go))
	for i, g := range l.Go {
		g.Pos = manifest.Pos{}
		c.Go[i] = g
	}
	b, err := json.Marshal(c)
	return string(b), err
}

// keyFiles lists the files entries: archives by digest, the rest file by
// file (their digests are filled in later, see fingerprint.key).
func (p *plan) keyFiles(f *fingerprint) error {
	excludes := archive.LayerExcludes(p.l)
	f.listed = map[int][]archive.Entry{}
	for i, fm := range p.l.Files {
		if fm.Architecture != "" && !slices.Contains(p.l.Architectures, fm.Architecture) {
			continue // another architecture's (the other half of a split layer)
		}
		abs := archive.AbsPath(p.baseDir, fm.From)
		if fm.Archive {
			sum, err := p.memo.sumPath(abs)
			if err != nil {
				return &archive.ContentError{Layer: p.l.Name, Msg: fmt.Sprintf("files: %s: %v", fm.From, archive.UnwrapPathErr(err))}
			}
			f.k.add("archive", fmt.Sprint(i), hexSum(sum))
			continue
		}
		byName, err := archive.ListSources(p.l.Name, []archive.Source{{Path: abs, To: fm.To, Label: fm.From}}, excludes, p.absOut)
		if err != nil {
			return err
		}
		f.listed[i] = archive.SortedEntries(byName)
		for _, e := range f.listed[i] {
			f.files = append(f.files, e)
			f.owner = append(f.owner, i)
		}
	}
	return nil
}

// keyPath adds a local file's content hash, or a folder's listing with the
// hash of each file in it (not recursive: as pip reads find-links folders).
func (p *plan) keyPath(k *keyWriter, label, file string) {
	info, err := os.Stat(file)
	switch {
	case err != nil:
		k.add(label, file, "missing")
	case info.Mode().IsRegular():
		if sum, err := p.memo.sum(file, archive.StampOf(info)); err == nil {
			k.add(label, file, hexSum(sum))
		} else {
			k.add(label, file, "unreadable", time.Now().String())
		}
	case info.IsDir():
		ents, err := os.ReadDir(file)
		if err != nil {
			k.add(label, file, "unreadable", time.Now().String())
			return
		}
		k.add(label, file, "folder")
		for _, e := range ents {
			p.keyPath(k, label+"/", filepath.Join(file, e.Name()))
		}
	default:
		k.add(label, file, "special")
	}
}

// cacheKey is the key writer as the builders add to it: their files'
// content through the hash memo.
type cacheKey struct {
	p *plan
	k *keyWriter
}

func (c cacheKey) Add(label string, values ...string) { c.k.add(label, values...) }
func (c cacheKey) Path(label, file string)            { c.p.keyPath(c.k, label, file) }
func (c cacheKey) Ask(ctx context.Context, q builder.Question) ([]byte, error) {
	return c.p.answers.ask(ctx, q)
}
