// Command gentree writes a deterministic synthetic tree shaped like a real
// AWS Lambda Python layer (DIR/python/...), for benchmarking layerctl against
// Info-ZIP and Python's zipfile.
//
//	go run ./bench/gentree -out DIR [-seed 1] [-mb 200] [-files 7000]
//
// The tree holds exactly -files files totalling exactly -mb * 10^6 bytes:
//
//   - thousands of small text files (.py modules, __init__.py, .pyi stubs,
//     .json data, .txt; 250 B to 100 KB each) whose content is generated from
//     a vocabulary so it deflates roughly like real source code (about 3-4.5x
//     with zip -6), in nested package folders. The .py/.pyi files parse with
//     ast.parse and the .json files are valid JSON;
//   - a *.dist-info folder per package (METADATA, WHEEL, INSTALLER,
//     top_level.txt, sometimes LICENSE, and a RECORD listing the real sha256
//     and size of every file of the package);
//   - four native-looking shared objects (about 15-36 MB at -mb 200) whose
//     content mixes instruction-like byte patterns, symbol/relocation tables,
//     string tables and random data so it deflates about 2.4x. They do NOT
//     start with an ELF header (they start with "BNCH");
//   - one incompressible blob (5% of the total) of random bytes.
//
// The same seed, -mb and -files always give a byte-identical tree (file
// modes and modification times are fixed too). Only the standard library is
// used.
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	out := flag.String("out", "", "output directory; the tree is written to DIR/python (required)")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives a byte-identical tree")
	mb := flag.Int("mb", 200, "total size of the tree in MB (10^6 bytes)")
	nfiles := flag.Int("files", 7000, "number of files in the tree")
	force := flag.Bool("force", false, "remove an existing DIR/python first")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gentree -out DIR [-seed 1] [-mb 200] [-files 7000] [-force]")
		os.Exit(2)
	}
	if err := run(*out, *seed, *mb, *nfiles, *force); err != nil {
		fmt.Fprintln(os.Stderr, "gentree:", err)
		os.Exit(1)
	}
}

func run(out string, seed uint64, mb, nfiles int, force bool) error {
	start := time.Now()
	if mb < 5 {
		return errors.New("-mb must be at least 5")
	}
	total := int64(mb) * 1_000_000
	lay, err := plan(seed, total, nfiles)
	if err != nil {
		return err
	}
	root := filepath.Join(out, "python")
	if _, err := os.Lstat(root); err == nil {
		if !force {
			return fmt.Errorf("%s already exists (remove it or pass -force)", root)
		}
		if err := os.RemoveAll(root); err != nil {
			return err
		}
	}
	if err := generate(out, lay); err != nil {
		return err
	}
	var sum int64
	for _, f := range lay.files {
		sum += int64(f.size)
	}
	fmt.Fprintf(os.Stderr, "gentree: %d files, %d bytes (%.1f MiB) in %s (seed %d, %d packages, %.1fs)\n",
		len(lay.files), sum, float64(sum)/(1<<20), root, seed, len(lay.pkgs), time.Since(start).Seconds())
	return nil
}

// ---------------------------------------------------------------------------
// Planning: names, kinds, sizes and per-file seeds, all drawn sequentially
// from one PCG stream so the result depends only on (seed, mb, files).

type kind int

const (
	kPy       kind = iota // python module
	kInit                 // __init__.py
	kPyi                  // type stub
	kJSON                 // json data
	kTxt                  // plain text
	kMetadata             // dist-info METADATA
	kLicense              // dist-info LICENSE
	kFixed                // content decided at plan time (WHEEL, INSTALLER, top_level.txt)
	kNative               // machine-code-like shared object
	kBlob                 // incompressible random bytes
	kRecord               // dist-info RECORD (written last, lists hashes)
)

// sizeMul scales the common log-normal size distribution per kind.
var sizeMul = map[kind]float64{
	kPy: 1.0, kInit: 0.25, kPyi: 0.5, kJSON: 1.6, kTxt: 0.5, kMetadata: 0.6, kLicense: 0.35,
}

type file struct {
	rel     string // slash path relative to the output dir, e.g. python/foo/bar.py
	kind    kind
	size    int
	seed    uint64
	mode    fs.FileMode
	pkg     int    // owning package index
	content []byte // kFixed only
	z       float64
	sum     [32]byte
}

type pkgInfo struct {
	name, version, dist string
	dirs                []string // slash paths relative to python/
	files               []int
	record              int
}

type layout struct {
	files []*file
	pkgs  []*pkgInfo
}

const (
	minText     = 250
	maxTextBase = 100_000
	sigma       = 1.25
	pyTag       = ".cpython-312-x86_64-linux-gnu.so"
)

func plan(seed uint64, total int64, nfiles int) (*layout, error) {
	r := rand.New(rand.NewPCG(seed, 0x6c617965726374ff))
	nPkg := min(max(nfiles/140, 3), 80)
	const nBin = 4
	fixedPer := 5 // METADATA WHEEL INSTALLER top_level.txt RECORD
	if nfiles < nBin+1+nPkg*(fixedPer+1)+nPkg*3 {
		return nil, fmt.Errorf("-files must be at least %d", nBin+1+nPkg*(fixedPer+1)+nPkg*3)
	}
	lay := &layout{}
	used := map[string]bool{}
	add := func(f *file) int {
		if used[f.rel] {
			panic("duplicate path " + f.rel)
		}
		used[f.rel] = true
		lay.files = append(lay.files, f)
		idx := len(lay.files) - 1
		lay.pkgs[f.pkg].files = append(lay.pkgs[f.pkg].files, idx)
		return idx
	}
	uniq := func(dir string, gen func() string) string {
		for i := 0; ; i++ {
			n := gen()
			if i > 20 {
				n += strconv.Itoa(i)
			}
			p := n
			if dir != "" {
				p = dir + "/" + n
			}
			if !used[p] {
				return n
			}
		}
	}

	// Packages and their dist-info.
	nDist := 0
	for i := 0; i < nPkg; i++ {
		p := &pkgInfo{}
		p.name = uniq("python", func() string { return pkgName(r) })
		used["python/"+p.name] = true
		p.version = fmt.Sprintf("%d.%d.%d", r.IntN(4)+(i%3), r.IntN(30), r.IntN(12))
		p.dist = p.name + "-" + p.version + ".dist-info"
		p.dirs = []string{p.name}
		lay.pkgs = append(lay.pkgs, p)
		pure := i >= 3
		di := "python/" + p.dist + "/"
		wheel := "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n"
		if !pure {
			wheel = "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: false\n" +
				"Tag: cp312-cp312-manylinux_2_17_x86_64\nTag: cp312-cp312-manylinux2014_x86_64\n\n"
		}
		add(&file{rel: di + "METADATA", kind: kMetadata, pkg: i})
		add(&file{rel: di + "WHEEL", kind: kFixed, pkg: i, content: []byte(wheel)})
		add(&file{rel: di + "INSTALLER", kind: kFixed, pkg: i, content: []byte("pip\n")})
		add(&file{rel: di + "top_level.txt", kind: kFixed, pkg: i, content: []byte(p.name + "\n")})
		nDist += 4
		if r.IntN(10) < 6 {
			add(&file{rel: di + "LICENSE", kind: kLicense, pkg: i})
			nDist++
		}
	}

	// Binaries: 4 shared objects (sizes as fractions of the total) and one blob.
	binFrac := []float64{0.165, 0.12, 0.095, 0.085}
	var binBytes int64
	type binSpec struct {
		pkg  int
		size int
		kind kind
	}
	var bins []binSpec
	for i, fr := range binFrac {
		s := int(float64(total) * fr * (0.9 + 0.2*r.Float64()))
		bins = append(bins, binSpec{pkg: []int{0, 0, 1, 2}[i] % nPkg, size: s, kind: kNative})
		binBytes += int64(s)
	}
	blob := int(total / 20)
	bins = append(bins, binSpec{pkg: 1 % nPkg, size: blob, kind: kBlob})
	binBytes += int64(blob)

	// Distribute the remaining files over packages (Zipf-like weights).
	remaining := nfiles - len(bins) - nDist - nPkg // nPkg RECORDs
	counts := make([]int, nPkg)
	var wsum float64
	ws := make([]float64, nPkg)
	for i := range ws {
		ws[i] = 1 / math.Pow(float64(i+1), 0.85)
		wsum += ws[i]
	}
	left := remaining
	for i := range counts {
		counts[i] = max(3, int(float64(remaining)*ws[i]/wsum))
		left -= counts[i]
	}
	for i := 0; left != 0; i = (i + 1) % nPkg {
		if left > 0 {
			counts[i]++
			left--
		} else if counts[i] > 3 {
			counts[i]--
			left++
		}
	}

	for pi, p := range lay.pkgs {
		cnt := counts[pi]
		nd := 1 + cnt/14
		if nd > cnt/2 {
			nd = max(1, cnt/2)
		}
		for len(p.dirs) < nd {
			var parent string
			for {
				parent = p.dirs[r.IntN(len(p.dirs))]
				if strings.Count(parent, "/") < 3 {
					break
				}
			}
			n := uniq("python/"+parent, func() string { return dirName(r) })
			used["python/"+parent+"/"+n] = true
			p.dirs = append(p.dirs, parent+"/"+n)
		}
		for _, d := range p.dirs {
			add(&file{rel: "python/" + d + "/__init__.py", kind: kInit, pkg: pi})
		}
		for j := nd; j < cnt; j++ {
			d := "python/" + p.dirs[r.IntN(len(p.dirs))]
			var k kind
			var ext string
			switch x := r.IntN(100); {
			case x < 76:
				k, ext = kPy, ".py"
			case x < 85:
				k, ext = kPyi, ".pyi"
			case x < 94:
				k, ext = kJSON, ".json"
			default:
				k, ext = kTxt, ".txt"
			}
			n := uniq(d, func() string { return modName(r) + ext })
			add(&file{rel: d + "/" + n, kind: k, pkg: pi})
		}
	}

	// Place the binaries.
	for i, b := range bins {
		p := lay.pkgs[b.pkg]
		d := "python/" + p.dirs[r.IntN(len(p.dirs))]
		var n string
		switch {
		case b.kind == kBlob:
			n = uniq(d, func() string { return "_" + word(r) + "_resources.pak" })
		case i == 1:
			d = "python/" + p.name + ".libs"
			n = uniq(d, func() string {
				return fmt.Sprintf("lib%s%s-%08x.so.%d.%d", word(r), pseudo(r, 1), r.Uint32(), r.IntN(4), r.IntN(30))
			})
		default:
			nm := []string{"_native", "_core", "_speedups"}[i%3]
			n = uniq(d, func() string { return nm + pyTag })
		}
		add(&file{rel: d + "/" + n, kind: b.kind, size: b.size, pkg: b.pkg, mode: 0o755})
	}

	// RECORD files last in each package's list.
	for pi, p := range lay.pkgs {
		p.record = add(&file{rel: "python/" + p.dist + "/RECORD", kind: kRecord, pkg: pi})
	}
	if len(lay.files) != nfiles {
		return nil, fmt.Errorf("internal error: planned %d files, want %d", len(lay.files), nfiles)
	}

	// Sizes.
	var sized []*file
	var fixed int64 = binBytes
	for _, f := range lay.files {
		if f.mode == 0 {
			f.mode = 0o644
		}
		switch f.kind {
		case kFixed:
			f.size = len(f.content)
			fixed += int64(f.size)
		case kNative, kBlob, kRecord:
		default:
			f.z = r.NormFloat64()
			sized = append(sized, f)
		}
	}
	recordSize := func() int64 { // sets and returns the exact RECORD sizes
		var n int64
		for _, p := range lay.pkgs {
			rf := lay.files[p.record]
			rf.size = len(strings.TrimPrefix(rf.rel, "python/")) + len(",,\n")
			for _, fi := range p.files {
				if f := lay.files[fi]; fi != p.record {
					rf.size += len(strings.TrimPrefix(f.rel, "python/")) + len(",sha256=,\n") + 43 + len(strconv.Itoa(f.size))
				}
			}
			n += int64(rf.size)
		}
		return n
	}
	maxText := maxTextBase
	budget := total - fixed
	if budget < int64(len(sized))*(minText+200) {
		return nil, fmt.Errorf("-mb too small for %d files", nfiles)
	}
	if avg := int(budget / int64(len(sized))); avg*3 > maxText {
		maxText = avg * 3
	}
	setSizes := func(mu float64) int64 {
		var s int64
		for _, f := range sized {
			v := math.Exp(mu+sigma*f.z) * sizeMul[f.kind]
			f.size = int(min(max(v, minText), float64(maxText)))
			s += int64(f.size)
		}
		return s
	}
	// Two passes: the RECORD size depends (slightly) on the other sizes.
	target := budget
	for pass := 0; pass < 2; pass++ {
		lo, hi := math.Log(10), math.Log(1e7)
		for it := 0; it < 80; it++ {
			mid := (lo + hi) / 2
			if setSizes(mid) > target {
				hi = mid
			} else {
				lo = mid
			}
		}
		setSizes(lo)
		target = budget - recordSize()
	}
	// Exact fix-up on mid-sized .py files without changing their digit count,
	// so the RECORD sizes stay valid.
	for it := 0; ; it++ {
		var s int64 = fixed + recordSize()
		for _, f := range sized {
			s += int64(f.size)
		}
		d := total - s
		if d == 0 {
			break
		}
		if it > 5 {
			return nil, fmt.Errorf("internal error: cannot hit the size exactly (off by %d)", d)
		}
		for _, f := range sized {
			if d == 0 {
				break
			}
			if f.kind != kPy || f.size < 10_000 || f.size > 99_999 {
				continue
			}
			delta := min(max(d, int64(10_000-f.size)), int64(99_999-f.size))
			f.size += int(delta)
			d -= delta
		}
	}
	for _, f := range lay.files {
		f.seed = r.Uint64()
	}
	return lay, nil
}

// ---------------------------------------------------------------------------
// Writing.

var fixedTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func generate(out string, lay *layout) error {
	dirs := map[string]bool{}
	for _, f := range lay.files {
		for d := path.Dir(f.rel); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	dl := make([]string, 0, len(dirs))
	for d := range dirs {
		dl = append(dl, d)
	}
	slices.Sort(dl)
	for _, d := range dl {
		if err := os.MkdirAll(filepath.Join(out, filepath.FromSlash(d)), 0o755); err != nil {
			return err
		}
	}

	// Everything but the RECORDs in parallel, largest first.
	var order []*file
	for _, f := range lay.files {
		if f.kind != kRecord {
			order = append(order, f)
		}
	}
	slices.SortStableFunc(order, func(a, b *file) int { return b.size - a.size })
	work := make(chan *file)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := writeFile(out, f); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, f := range order {
		work <- f
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}

	for _, p := range lay.pkgs {
		var lines []string
		for _, fi := range p.files {
			if fi == p.record {
				continue
			}
			f := lay.files[fi]
			lines = append(lines, fmt.Sprintf("%s,sha256=%s,%d\n", strings.TrimPrefix(f.rel, "python/"),
				base64.RawURLEncoding.EncodeToString(f.sum[:]), f.size))
		}
		slices.Sort(lines)
		rf := lay.files[p.record]
		lines = append(lines, strings.TrimPrefix(rf.rel, "python/")+",,\n")
		rf.content = []byte(strings.Join(lines, ""))
		if err := writeFile(out, rf); err != nil {
			return err
		}
	}

	for _, f := range lay.files {
		if err := os.Chtimes(filepath.Join(out, filepath.FromSlash(f.rel)), fixedTime, fixedTime); err != nil {
			return err
		}
	}
	for i := len(dl) - 1; i >= 0; i-- {
		if err := os.Chtimes(filepath.Join(out, filepath.FromSlash(dl[i])), fixedTime, fixedTime); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(out string, f *file) error {
	name := filepath.Join(out, filepath.FromSlash(f.rel))
	r := rand.New(rand.NewPCG(f.seed, uint64(f.kind)+0x5eed))
	if f.kind == kNative || f.kind == kBlob {
		return writeBinary(name, f, r)
	}
	var b []byte
	switch f.kind {
	case kFixed, kRecord:
		b = f.content
	case kPy, kInit:
		b = genPy(r, f.size, f.kind == kInit)
	case kPyi:
		b = genPyi(r, f.size)
	case kJSON:
		b = genJSON(r, f.size)
	case kTxt, kLicense:
		b = genTxt(r, f.size, f.kind == kLicense)
	case kMetadata:
		b = genMetadata(r, f.size, f.rel)
	}
	if len(b) != f.size {
		return fmt.Errorf("internal error: %s: generated %d bytes, planned %d", f.rel, len(b), f.size)
	}
	f.sum = sha256.Sum256(b)
	return writeAll(name, f.mode, func(w func([]byte) error) error { return w(b) })
}

func writeAll(name string, mode fs.FileMode, body func(w func([]byte) error) error) error {
	fh, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	err = body(func(p []byte) error { _, err := fh.Write(p); return err })
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, mode) // umask-independent
	}
	return err
}

func writeBinary(name string, f *file, r *rand.Rand) error {
	h := sha256.New()
	err := writeAll(name, f.mode, func(w func([]byte) error) error {
		g := &bingen{r: r, b: make([]byte, 0, 2<<20)}
		if f.kind == kNative {
			g.header()
		}
		left := f.size
		for left > 0 {
			if f.kind == kBlob {
				g.random(len(g.b) + min(left, 1<<20))
			} else {
				for len(g.b) < 1<<20 {
					g.section()
				}
			}
			chunk := g.b[:min(len(g.b), left)]
			if err := emit(h, w, chunk); err != nil {
				return err
			}
			left -= len(chunk)
			g.b = g.b[:0]
		}
		return nil
	})
	copy(f.sum[:], h.Sum(nil))
	return err
}

func emit(h hash.Hash, w func([]byte) error, p []byte) error {
	h.Write(p)
	return w(p)
}

// ---------------------------------------------------------------------------
// Vocabulary.

var techWords = strings.Fields(`get set value values request response header headers buffer client config
parse load dump token index cache node path item items key keys data result error stream batch handler
session context state event events callback name names type types field fields schema record records row
rows column columns table query params param options option default defaults mode format encoding decode
encode reader writer file files line lines size length count offset limit start end begin first last next
prev parent child children root tree graph edge edges vertex source target input output attr attrs method
methods module modules package version level depth width height shape dtype array matrix vector scalar
frame series group groups label labels unit units time date delta timeout retry retries max min total sum
mean std scale factor weight weights bias loss model models layer layers block blocks chunk chunks page
pages url uri host port user password auth credentials region endpoint service resource resources policy
role bucket object objects message messages queue topic signal flag flags mask bits byte bytes text string
int float bool list dict tuple obj info meta metadata extra base raw new old tmp local remote init
setup close open read write flush reset update create delete remove insert append extend merge split join
filter map reduce apply call run execute process validate check verify convert transform normalize compute
build render register resolve lookup find search match compile spec plugin hook task job worker pool
executor future result status code reason payload body content stats counter timer clock seed random
sample samples dataset loader iterator generator wrapper adapter proxy factory builder manager registry
provider backend driver engine parser lexer token tokens symbol symbols scope env environment`)

var proseWords = strings.Fields(`the a an of to in for on with by from is are be this that which it as or and not
can will may should must returns return value values used use using given if when then each all any other
more than only also function method class object instance parameter argument default optional required
list string number integer boolean dictionary mapping sequence file path directory name type data result
error exception raised raise called call set get create new existing current specified provided support
supported behavior configuration option options see note example following otherwise whether instead
because before after during until while within without between into over under such same different
multiple single first last next previous time times size length order ordered items item key keys element
elements field fields attribute attributes property properties module package library interface
implementation version versions release deprecated compatibility backward performance memory cache cached
buffer stream input output request response client server connection session context state handler
callback event events thread threads process processes lock timeout retry retries encoding decode encoded
format formatted text bytes character characters line lines index position offset range ranges start end
begin valid invalid empty none null true false zero one two three positive negative maximum minimum total
count case cases rule rules pattern patterns match matching regular expression expressions table tables
row rows column columns record records schema model models array arrays matrix vector shape dimension
dimensions axis axes operation operations computation computed compute algorithm algorithms results tuple
user users account region endpoint service resource resources policy bucket access permission permissions`)

var stdMods = strings.Fields(`os sys re json logging typing collections functools itertools dataclasses
pathlib abc enum struct threading asyncio warnings copy math time datetime hashlib base64 io contextlib
inspect weakref operator numbers decimal string textwrap types uuid random socket select signal shutil
tempfile subprocess traceback urllib.parse http.client email.utils zlib gzip bisect heapq array`)

var typingNames = strings.Fields(`Any Optional Union Dict List Tuple Callable Iterable Iterator Mapping
Sequence TypeVar Generic Protocol ClassVar Literal overload cast TYPE_CHECKING`)

var exceptions = strings.Fields(`ValueError TypeError KeyError IndexError RuntimeError AttributeError
NotImplementedError OSError LookupError StopIteration`)

var builtins = strings.Fields(`len isinstance getattr setattr hasattr sorted list dict tuple set str int
float bool min max sum any all enumerate zip range iter next repr type id hash`)

var syllables = strings.Fields(`ba be bi bo bu ca ce co cu da de di do du fa fe fi fo ga ge go gu ka ke ki ko
la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu
va ve vi vo za ze zo xa xi ty ly ny zy qua qui sta sto tra tri pla plo gra gro bra bro fla flo`)

var codas = strings.Fields(`n r s x l m k t th sh ck nd rk`)

func pick(r *rand.Rand, l []string) string { return l[r.IntN(len(l))] }

// zipf picks from l favouring its head, like natural word frequencies.
func zipf(r *rand.Rand, l []string) string {
	u := r.Float64()
	return l[int(float64(len(l))*u*u)]
}

func pseudo(r *rand.Rand, n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteString(pick(r, syllables))
	}
	if r.IntN(2) == 0 {
		sb.WriteString(pick(r, codas))
	}
	return sb.String()
}

var pyKeywords = strings.Fields(`False None True and as assert async await break class continue def del elif
else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield`)

func word(r *rand.Rand) string {
	if r.IntN(100) < 6 {
		for {
			if w := pseudo(r, 1+r.IntN(2)); !slices.Contains(pyKeywords, w) {
				return w
			}
		}
	}
	return zipf(r, techWords)
}

func snake(r *rand.Rand, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = word(r)
	}
	return strings.Join(parts, "_")
}

func camel(r *rand.Rand, n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		w := word(r)
		sb.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return sb.String()
}

func pkgName(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return pick(r, techWords) + pseudo(r, 1)
	}
	return pseudo(r, 2+r.IntN(2))
}

var commonDirs = strings.Fields(`core utils _internal compat io api models plugins data backends tests
extensions contrib helpers _vendor formats handlers protocols`)

func dirName(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return pick(r, commonDirs)
	}
	return snake(r, 1+r.IntN(2))
}

func modName(r *rand.Rand) string {
	n := snake(r, 1+r.IntN(2))
	if r.IntN(5) == 0 {
		n = "_" + n
	}
	return n
}

// ---------------------------------------------------------------------------
// Text generation. Every generator produces exactly `size` bytes: it appends
// whole units while they fit, then smaller units, then pads exactly.

type tgen struct {
	r       *rand.Rand
	b       []byte
	ids     []string
	attrs   []string
	funcs   []string
	classes []string
	consts  []string
	mods    []string
	lines   []string // simple statements, reused like real code repeats itself
	sents   []string // sentences, reused like real docs repeat phrases
}

const reusePct = 62 // percent of statements that repeat an earlier one

func newTgen(r *rand.Rand, size int) *tgen {
	t := &tgen{r: r, b: make([]byte, 0, size+4096)}
	mk := func(n int, f func() string) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = f()
		}
		return s
	}
	t.ids = mk(12+r.IntN(24), func() string { return snake(r, 1+r.IntN(2)) })
	t.attrs = mk(5+r.IntN(12), func() string { return snake(r, 1+r.IntN(2)) })
	t.funcs = mk(6+r.IntN(20), func() string { return snake(r, 2+r.IntN(2)) })
	t.classes = mk(2+r.IntN(8), func() string { return camel(r, 1+r.IntN(3)) })
	t.consts = mk(3+r.IntN(8), func() string { return strings.ToUpper(snake(r, 1+r.IntN(3))) })
	t.mods = mk(3+r.IntN(8), func() string { return pick(r, stdMods) })
	return t
}

func (t *tgen) w(s ...string) {
	for _, x := range s {
		t.b = append(t.b, x...)
	}
}

func (t *tgen) ind(n int) {
	for i := 0; i < n; i++ {
		t.b = append(t.b, "    "...)
	}
}

func (t *tgen) n(max int) int { return t.r.IntN(max) }

// fill runs unit(i) for i = 0, 1, ... while the output fits in size, then
// small() while it fits, then pad(remaining).
func (t *tgen) fill(size int, unit func(i int), small func(), pad func(n int)) []byte {
	for i := 0; ; i++ {
		mark := len(t.b)
		unit(i)
		if len(t.b) > size {
			t.b = t.b[:mark]
			break
		}
	}
	for {
		mark := len(t.b)
		small()
		if len(t.b) > size {
			t.b = t.b[:mark]
			break
		}
	}
	pad(size - len(t.b))
	return t.b
}

func (t *tgen) sentence(minW, maxW int) string {
	if len(t.sents) > 4 && t.n(100) < sentReusePct {
		if s := t.sents[t.n(len(t.sents))]; strings.Count(s, " ") < maxW {
			return s
		}
	}
	s := t.newSentence(minW, maxW)
	if len(t.sents) < 200 {
		t.sents = append(t.sents, s)
	}
	return s
}

const sentReusePct = 30 // percent of sentences that repeat an earlier one

func (t *tgen) newSentence(minW, maxW int) string {
	n := minW + t.n(maxW-minW+1)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		var w string
		if t.n(100) < 12 {
			w = pick(t.r, t.ids)
			if t.n(2) == 0 {
				w = "``" + w + "``"
			}
		} else {
			w = pick(t.r, proseWords)
		}
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			sb.WriteByte(' ')
		}
		sb.WriteString(w)
		if i < n-1 && t.n(12) == 0 {
			sb.WriteByte(',')
		}
	}
	sb.WriteByte('.')
	return sb.String()
}

// para writes sentences wrapped at width, each line prefixed by prefix.
func (t *tgen) para(prefix string, width, sentences int) {
	col := 0
	for s := 0; s < sentences; s++ {
		for _, w := range strings.Fields(t.sentence(5, 18)) {
			if col > 0 && col+1+len(w) > width {
				t.w("\n")
				col = 0
			}
			if col == 0 {
				t.w(prefix, w)
				col = len(prefix) + len(w)
			} else {
				t.w(" ", w)
				col += 1 + len(w)
			}
		}
	}
	t.w("\n")
}

// padLines writes exactly n bytes of lines starting with prefix (e.g. "# ").
func (t *tgen) padLines(n int, prefix string) {
	for n > 0 {
		if n <= len(prefix)+1 {
			for ; n > 0; n-- {
				t.w("\n")
			}
			return
		}
		l := min(n, 60+t.n(18))
		if n-l > 0 && n-l <= len(prefix)+1 {
			l = n
		}
		line := prefix
		for len(line) < l-1 {
			line += pick(t.r, proseWords) + " "
		}
		line = strings.TrimRight(line[:l-1], " ")
		for len(line) < l-1 {
			line += "."
		}
		t.w(line, "\n")
		n -= l
	}
}

func (t *tgen) num() string {
	switch t.n(24) {
	case 0:
		return strconv.Itoa(t.n(1 << 20))
	case 1:
		return strconv.FormatFloat(float64(t.n(10000))/100, 'f', -1, 64)
	case 2:
		return "0x" + strconv.FormatInt(int64(t.n(1<<16)), 16)
	default:
		return strconv.Itoa(t.n(10) * []int{1, 1, 2, 8, 10, 100, 1024}[t.n(7)])
	}
}

func (t *tgen) jnum() string {
	if n := t.num(); !strings.HasPrefix(n, "0x") {
		return n
	}
	return strconv.Itoa(t.n(1 << 16))
}

func (t *tgen) str() string {
	n := 1 + t.n(5)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = pick(t.r, proseWords)
	}
	q := `"`
	if t.n(3) == 0 {
		q = `'`
	}
	return q + strings.Join(ws, " ") + q
}

func (t *tgen) expr(depth int) string {
	switch x := t.n(30); {
	case x < 7:
		return pick(t.r, t.ids)
	case x < 10:
		return "self." + pick(t.r, t.attrs)
	case x < 12:
		return pick(t.r, t.ids) + "." + pick(t.r, t.attrs)
	case x < 15:
		return t.num()
	case x < 17:
		return t.str()
	case x < 18:
		return pick(t.r, []string{"None", "True", "False"})
	case x < 19:
		return pick(t.r, t.consts)
	case x < 20:
		return pick(t.r, t.ids) + "[" + t.expr(depth+1) + "]"
	case x < 24 && depth < 2:
		return t.call(depth + 1)
	case x < 26 && depth < 2:
		return t.expr(depth+1) + " " + pick(t.r, []string{"+", "-", "*", "//", "%", "or", "and", "|"}) + " " + t.expr(depth+1)
	case x < 27:
		return `f"{` + pick(t.r, t.ids) + `} ` + pick(t.r, proseWords) + ` {` + pick(t.r, t.attrs) + `!r}"`
	case x < 28 && depth < 2:
		return "[" + t.expr(depth+1) + " for " + pick(t.r, t.ids) + " in " + pick(t.r, t.ids) + "]"
	default:
		return pick(t.r, t.ids)
	}
}

func (t *tgen) call(depth int) string {
	var fn string
	switch t.n(6) {
	case 0, 1:
		fn = pick(t.r, t.funcs)
	case 2:
		fn = "self." + pick(t.r, t.funcs)
	case 3:
		fn = pick(t.r, builtins)
	case 4:
		fn = pick(t.r, t.classes)
	default:
		fn = pick(t.r, t.mods) + "." + snake(t.r, 1)
	}
	var args, kws []string
	for i, n := 0, t.n(4); i < n; i++ {
		if t.n(4) > 0 {
			args = append(args, t.expr(depth+1))
		} else if k := pick(t.r, t.ids); !slices.ContainsFunc(kws, func(s string) bool { return strings.HasPrefix(s, k+"=") }) {
			kws = append(kws, k+"="+t.expr(depth+1))
		}
	}
	return fn + "(" + strings.Join(append(args, kws...), ", ") + ")"
}

func (t *tgen) cond() string {
	a := pick(t.r, t.ids)
	switch t.n(8) {
	case 0:
		return a + " is None"
	case 1:
		return "not " + a
	case 2:
		return "isinstance(" + a + ", " + pick(t.r, t.classes) + ")"
	case 3:
		return a + " in " + t.expr(1)
	case 4:
		return "len(" + a + ") > " + strconv.Itoa(t.n(10))
	case 5:
		return a + " is not None and " + t.cond()
	default:
		return a + " " + pick(t.r, []string{"==", "!=", "<", ">=", "is not"}) + " " + t.expr(1)
	}
}

// stmt writes one statement (possibly compound) and reports whether it was
// more than a comment.
func (t *tgen) stmt(ind, depth int) bool {
	t.ind(ind)
	if len(t.lines) > 4 && t.n(100) < reusePct {
		l := t.lines[t.n(len(t.lines))]
		t.w(l)
		return l[0] != '#'
	}
	mark := len(t.b)
	defer func() {
		if l := string(t.b[mark:]); strings.Count(l, "\n") == 1 && len(t.lines) < 300 {
			t.lines = append(t.lines, l)
		}
	}()
	switch x := t.n(100); {
	case x < 30:
		lhs := pick(t.r, t.ids)
		if t.n(4) == 0 {
			lhs = "self." + pick(t.r, t.attrs)
		}
		t.w(lhs, " = ", t.expr(0), "\n")
	case x < 42:
		t.w(t.call(0), "\n")
	case x < 56 && depth < 3:
		t.w("if ", t.cond(), ":\n")
		t.block(ind+1, depth+1, 1+t.n(3))
		if t.n(3) == 0 {
			t.ind(ind)
			t.w("elif ", t.cond(), ":\n")
			t.block(ind+1, depth+1, 1+t.n(2))
		}
		if t.n(3) == 0 {
			t.ind(ind)
			t.w("else:\n")
			t.block(ind+1, depth+1, 1+t.n(2))
		}
	case x < 64 && depth < 3:
		if t.n(3) == 0 {
			t.w("for i, ", pick(t.r, t.ids), " in enumerate(", pick(t.r, t.ids), "):\n")
		} else {
			t.w("for ", pick(t.r, t.ids), " in ", t.expr(1), ":\n")
		}
		t.block(ind+1, depth+1, 1+t.n(3))
	case x < 68:
		t.w("raise ", pick(t.r, exceptions), "(", t.str(), ")\n")
	case x < 71 && depth < 3:
		t.w("try:\n")
		t.block(ind+1, depth+1, 1+t.n(2))
		t.ind(ind)
		t.w("except ", pick(t.r, exceptions), " as exc:\n")
		t.ind(ind + 1)
		t.w("raise ", pick(t.r, t.classes), "(", t.str(), ") from exc\n")
	case x < 74 && depth < 3:
		t.w("with ", pick(t.r, []string{"open", "self._lock", "contextlib.suppress"}), "(", t.expr(1), ") as ", pick(t.r, t.ids), ":\n")
		t.block(ind+1, depth+1, 1+t.n(2))
	case x < 81:
		t.w("# ", strings.ToLower(strings.TrimSuffix(t.sentence(4, 12), ".")), "\n")
		return false
	case x < 85:
		t.w("logger.", pick(t.r, []string{"debug", "info", "warning"}), "(\"", strings.TrimSuffix(t.sentence(3, 8), "."), " %s\", ", pick(t.r, t.ids), ")\n")
	case x < 91:
		t.w(pick(t.r, t.ids), ".", pick(t.r, []string{"append", "extend", "update", "add", "pop"}), "(", t.expr(1), ")\n")
	case x < 94:
		t.w("assert ", t.cond(), "\n")
	case x < 96:
		t.w("yield ", t.expr(0), "\n")
	default:
		t.w("return ", t.expr(0), "\n")
	}
	return true
}

func (t *tgen) block(ind, depth, n int) {
	real := false
	for i := 0; i < n; i++ {
		real = t.stmt(ind, depth) || real
	}
	if !real {
		t.ind(ind)
		t.w("pass\n")
	}
}

func (t *tgen) params(method bool) string {
	var ps []string
	if method {
		ps = append(ps, "self")
	}
	var seen []string
	defaults := false // no parameter without a default after one with it
	for i, n := 0, t.n(5); i < n; i++ {
		p := pick(t.r, t.ids)
		if slices.Contains(seen, p) {
			continue
		}
		seen = append(seen, p)
		if t.n(3) == 0 {
			p += ": " + pick(t.r, []string{"int", "str", "bool", "float", "bytes", "Any", "Optional[str]", "dict[str, Any]", "list[" + pick(t.r, t.classes) + "]"})
		}
		if defaults || t.n(3) == 0 {
			p += "=" + pick(t.r, []string{"None", "0", "True", "False", `""`, t.num()})
			defaults = true
		}
		ps = append(ps, p)
	}
	if t.n(8) == 0 {
		ps = append(ps, "**kwargs")
	}
	return strings.Join(ps, ", ")
}

func (t *tgen) function(ind int, method bool) {
	if t.n(6) == 0 {
		t.ind(ind)
		t.w(pick(t.r, []string{"@property", "@staticmethod", "@classmethod", "@functools.lru_cache(maxsize=128)", "@overload", "@contextlib.contextmanager"}), "\n")
	}
	t.ind(ind)
	name := pick(t.r, t.funcs)
	if method && t.n(5) == 0 {
		name = "_" + name
	}
	ret := ""
	if t.n(2) == 0 {
		ret = " -> " + pick(t.r, []string{"None", "bool", "int", "str", pick(t.r, t.classes), "Optional[" + pick(t.r, t.classes) + "]", "Iterator[str]"})
	}
	t.w("def ", name, "(", t.params(method), ")", ret, ":\n")
	if t.n(3) > 0 {
		t.ind(ind + 1)
		t.w(`"""`, t.sentence(4, 14), "\n")
		if t.n(2) == 0 {
			t.w("\n")
			t.para(strings.Repeat("    ", ind+1), 79, 1+t.n(2))
			t.w("\n")
			t.ind(ind + 1)
			t.w("Args:\n")
			for i, n := 0, 1+t.n(3); i < n; i++ {
				t.ind(ind + 2)
				t.w(pick(t.r, t.ids), ": ", t.sentence(3, 10), "\n")
			}
			t.w("\n")
			t.ind(ind + 1)
			t.w("Returns:\n")
			t.ind(ind + 2)
			t.w(t.sentence(3, 10), "\n")
		}
		t.ind(ind + 1)
		t.w(`"""`, "\n")
	}
	t.block(ind+1, 0, 1+t.n(8))
	t.ind(ind + 1)
	t.w("return ", t.expr(0), "\n")
}

func (t *tgen) class() {
	base := pick(t.r, []string{"object", "Exception", pick(t.r, t.classes), "abc.ABC", "Generic[T]"})
	t.w("class ", pick(t.r, t.classes), "(", base, "):\n")
	t.w(`    """`, t.sentence(4, 14), "\n\n")
	t.para("    ", 79, 1+t.n(3))
	t.w(`    """`, "\n\n")
	for i, n := 0, t.n(4); i < n; i++ {
		t.w("    ", pick(t.r, t.attrs), ": ", pick(t.r, []string{"int", "str", "bool", "ClassVar[int]", "Optional[str]"}), " = ", t.expr(1), "\n")
	}
	t.w("\n    def __init__(", t.params(true), ") -> None:\n")
	for i, n := 0, 1+t.n(6); i < n; i++ {
		t.w("        self.", pick(t.r, t.attrs), " = ", t.expr(1), "\n")
	}
	for i, n := 0, 1+t.n(6); i < n; i++ {
		t.w("\n")
		t.function(1, true)
	}
}

func genPy(r *rand.Rand, size int, init bool) []byte {
	t := newTgen(r, size)
	return t.fill(size, func(i int) {
		switch {
		case i == 0:
			t.w(`"""`, t.sentence(4, 12), "\n\n")
			t.para("", 79, 1+t.n(4))
			t.w(`"""`, "\n\n")
		case i == 1:
			t.w("from __future__ import annotations\n\n")
			for _, m := range t.mods {
				t.w("import ", m, "\n")
			}
			t.w("from typing import ")
			ns := make([]string, 1+t.n(5))
			for j := range ns {
				ns[j] = pick(t.r, typingNames)
			}
			t.w(strings.Join(ns, ", "), "\n\n")
		case i < 4 && init || i == 2:
			for j, n := 0, 1+t.n(6); j < n; j++ {
				t.w("from ", strings.Repeat(".", 1+t.n(2)), snake(t.r, 1), " import ", pick(t.r, t.classes), ", ", pick(t.r, t.funcs), "\n")
			}
			t.w("\nlogger = logging.getLogger(__name__)\n\n")
			for _, c := range t.consts {
				t.w(c, " = ", t.expr(1), "\n")
			}
			t.w("\n__all__ = [")
			for j, c := range t.classes {
				if j > 0 {
					t.w(", ")
				}
				t.w(`"`, c, `"`)
			}
			t.w("]\n")
		default:
			t.w("\n\n")
			if t.n(10) < 4 {
				t.class()
			} else {
				t.function(0, false)
			}
		}
	}, func() {
		t.w(pick(t.r, t.consts), "_", strconv.Itoa(t.n(100)), " = ", t.num(), "\n")
	}, func(n int) { t.padLines(n, "# ") })
}

func genPyi(r *rand.Rand, size int) []byte {
	t := newTgen(r, size)
	sig := func(ind int, method bool) {
		t.ind(ind)
		if t.n(5) == 0 {
			t.w("@overload\n")
			t.ind(ind)
		}
		t.w("def ", pick(t.r, t.funcs), "(", t.params(method), ") -> ",
			pick(t.r, []string{"None", "bool", "int", "str", pick(t.r, t.classes), "Optional[" + pick(t.r, t.classes) + "]"}), ": ...\n")
	}
	return t.fill(size, func(i int) {
		switch i {
		case 0:
			t.w("from typing import ")
			ns := make([]string, 2+t.n(5))
			for j := range ns {
				ns[j] = pick(t.r, typingNames)
			}
			t.w(strings.Join(ns, ", "), "\n")
			for _, m := range t.mods[:min(3, len(t.mods))] {
				t.w("import ", m, "\n")
			}
			t.w("\n_T = TypeVar(\"_T\")\n\n")
		default:
			if t.n(3) == 0 {
				sig(0, false)
				return
			}
			t.w("\nclass ", pick(t.r, t.classes), ":\n")
			for j, n := 0, t.n(4); j < n; j++ {
				t.w("    ", pick(t.r, t.attrs), ": ", pick(t.r, []string{"int", "str", "bool", "float", "ClassVar[int]"}), "\n")
			}
			for j, n := 0, 1+t.n(8); j < n; j++ {
				sig(1, true)
			}
		}
	}, func() {
		t.w(pick(t.r, t.consts), "_", strconv.Itoa(t.n(100)), ": int\n")
	}, func(n int) { t.padLines(n, "# ") })
}

func (t *tgen) jsonValue(ind int) {
	pad := strings.Repeat("  ", ind)
	switch x := t.n(20); {
	case x < 5 && ind < 4:
		t.w("{\n")
		for i, n := 0, 1+t.n(5); i < n; i++ {
			if i > 0 {
				t.w(",\n")
			}
			t.w(pad, "  \"", pick(t.r, t.attrs), "\": ")
			t.jsonValue(ind + 1)
		}
		t.w("\n", pad, "}")
	case x < 7 && ind < 4:
		t.w("[")
		for i, n := 0, 1+t.n(12); i < n; i++ {
			if i > 0 {
				t.w(", ")
			}
			if t.n(2) == 0 {
				t.w(t.jnum())
			} else {
				t.w(`"`, pick(t.r, t.ids), `"`)
			}
		}
		t.w("]")
	case x < 10:
		t.w(`"<p>`, t.sentence(5, 20), `</p>"`)
	case x < 14:
		t.w(`"`, pick(t.r, []string{"string", "integer", "boolean", "structure", "list", "map", "timestamp", "blob", "long", "double"}), `"`)
	case x < 17:
		t.w(t.jnum())
	case x < 18:
		t.w(pick(t.r, []string{"true", "false", "null"}))
	default:
		t.w(`"`, camel(t.r, 1+t.n(2)), `"`)
	}
}

func genJSON(r *rand.Rand, size int) []byte {
	t := newTgen(r, size)
	const closing = "\n}\n"
	t.w("{\n")
	sep := func() { // an item was already written after "{\n"
		if len(t.b) > 2 {
			t.w(",\n")
		}
	}
	limit := size - len(closing)
	t.fill(limit, func(i int) {
		sep()
		t.w("  \"", camel(t.r, 1+t.n(3)), "\": {\n    \"type\": \"structure\",\n    \"required\": [\"", pick(t.r, t.attrs), "\"],\n    \"members\": {\n")
		for j, n := 0, 1+t.n(6); j < n; j++ {
			if j > 0 {
				t.w(",\n")
			}
			t.w("      \"", camel(t.r, 1+t.n(2)), "\": ")
			t.jsonValue(3)
		}
		t.w("\n    },\n    \"documentation\": \"<p>", t.sentence(6, 25), "</p>\"\n  }")
	}, func() {
		sep()
		t.w("  \"", pick(t.r, t.attrs), strconv.Itoa(t.n(100)), "\": ", strconv.Itoa(t.n(1000)))
	}, func(n int) {
		for ; n > 0; n-- {
			t.w(" ")
		}
	})
	t.w(closing)
	return t.b
}

func genTxt(r *rand.Rand, size int, license bool) []byte {
	t := newTgen(r, size)
	return t.fill(size, func(i int) {
		if i == 0 && license {
			t.w(strings.ToUpper(camel(t.r, 1)), " LICENSE\n\nCopyright (c) ", strconv.Itoa(2010+t.n(15)), " ", t.sentence(2, 4), "\nAll rights reserved.\n\n")
			return
		}
		if license && t.n(5) == 0 {
			t.w(strings.ToUpper(t.sentence(20, 60)), "\n\n")
			return
		}
		if !license && t.n(4) == 0 {
			for j, n := 0, 3+t.n(20); j < n; j++ {
				t.w(pick(t.r, t.ids), "==", strconv.Itoa(t.n(5)), ".", strconv.Itoa(t.n(30)), ".", strconv.Itoa(t.n(10)), "\n")
			}
			t.w("\n")
			return
		}
		t.para("", 72+t.n(8), 2+t.n(5))
		t.w("\n")
	}, func() {
		t.w(pick(t.r, proseWords), "\n")
	}, func(n int) { t.padLines(n, "") })
}

func genMetadata(r *rand.Rand, size int, rel string) []byte {
	t := newTgen(r, size)
	dist := path.Base(path.Dir(rel))
	name, ver, _ := strings.Cut(strings.TrimSuffix(dist, ".dist-info"), "-")
	return t.fill(size, func(i int) {
		switch {
		case i == 0:
			t.w("Metadata-Version: 2.1\nName: ", name, "\nVersion: ", ver, "\nSummary: ", t.sentence(4, 10),
				"\nHome-page: https://github.com/", name, "/", name, "\nAuthor: ", camel(t.r, 1), " ", camel(t.r, 1),
				"\nLicense: ", pick(t.r, []string{"MIT", "BSD-3-Clause", "Apache-2.0"}), "\nRequires-Python: >=3.8\n")
			for j, n := 0, t.n(6); j < n; j++ {
				t.w("Requires-Dist: ", pseudo(t.r, 2), " >=", strconv.Itoa(t.n(5)), ".", strconv.Itoa(t.n(20)), "\n")
			}
			t.w("Classifier: Programming Language :: Python :: 3\nDescription-Content-Type: text/markdown\n\n# ", name, "\n\n")
		case t.n(4) == 0:
			t.w("## ", t.sentence(1, 4), "\n\n```python\nimport ", name, "\n\n")
			for j, n := 0, 2+t.n(5); j < n; j++ {
				t.stmt(0, 3)
			}
			t.w("```\n\n")
		case t.n(3) == 0:
			for j, n := 0, 2+t.n(5); j < n; j++ {
				t.w("- ", t.sentence(3, 12), "\n")
			}
			t.w("\n")
		default:
			t.para("", 79, 1+t.n(4))
			t.w("\n")
		}
	}, func() {
		t.w(pick(t.r, proseWords), "\n")
	}, func(n int) { t.padLines(n, "") })
}

// ---------------------------------------------------------------------------
// Binary generation: machine-code-like bytes (about 2-3x with deflate).

type bingen struct {
	r      *rand.Rand
	b      []byte
	addr   uint64
	str    uint32
	sym    uint32
	idioms [][]byte // instruction sequences reused like compiler idioms
}

func (g *bingen) header() {
	// Deliberately not an ELF header.
	h := make([]byte, 64)
	copy(h, "BNCH\x02\x01\x01\x00layerctl-bench synthetic shared object\x00")
	g.b = append(g.b, h...)
}

func (g *bingen) u32(v uint32) { g.b = binary.LittleEndian.AppendUint32(g.b, v) }
func (g *bingen) u64(v uint64) { g.b = binary.LittleEndian.AppendUint64(g.b, v) }

// rel32 is a small signed displacement, as in real code.
func (g *bingen) rel32(span int) { g.u32(uint32(int32(g.r.IntN(2*span) - span))) }

func (g *bingen) random(end int) {
	for len(g.b)+8 <= end {
		g.u64(g.r.Uint64())
	}
	for len(g.b) < end {
		g.b = append(g.b, byte(g.r.Uint32()))
	}
}

func (g *bingen) section() {
	end := len(g.b) + 16<<10 + g.r.IntN(200<<10)
	x := g.r.IntN(100)
	for k, w := range sectionWeights {
		if x < w {
			g.sectionKind(k, end)
			return
		}
		x -= w
	}
}

// Percent of sections per kind: code, symbols, relocations, strings,
// random, small-integer tables.
var sectionWeights = []int{62, 9, 9, 10, 5, 5}

func (g *bingen) sectionKind(k, end int) {
	switch k {
	case 0:
		for len(g.b) < end {
			g.function()
		}
	case 1:
		for len(g.b) < end { // Elf64_Sym-like records
			g.str += uint32(8 + g.r.IntN(40))
			g.u32(g.str)
			g.b = append(g.b, byte(0x10|g.r.IntN(3)), 0, byte(12+g.r.IntN(4)), 0)
			g.addr += uint64(16 * (1 + g.r.IntN(64)))
			g.u64(g.addr)
			g.u64(uint64(8 * g.r.IntN(512)))
		}
	case 2:
		for len(g.b) < end { // Elf64_Rela-like records
			g.addr += 8
			g.u64(g.addr)
			g.u64(uint64(g.sym+uint32(g.r.IntN(3)))<<32 | uint64([]int{1, 6, 7, 8}[g.r.IntN(4)]))
			g.u64(uint64(g.r.IntN(4) * 8))
			if g.r.IntN(10) == 0 {
				g.sym += uint32(g.r.IntN(5))
			}
		}
	case 3:
		for len(g.b) < end { // string table
			switch g.r.IntN(4) {
			case 0:
				g.b = append(g.b, "__pyx_pw_"...)
				g.b = append(g.b, snake(g.r, 2)...)
				g.b = append(g.b, '_')
				g.b = append(g.b, snake(g.r, 2)...)
			case 1:
				g.b = append(g.b, "Py"...)
				g.b = append(g.b, camel(g.r, 2)...)
				g.b = append(g.b, '_')
				g.b = append(g.b, camel(g.r, 1)...)
			default:
				g.b = append(g.b, "_ZN"...)
				for i, n := 0, 2+g.r.IntN(3); i < n; i++ {
					w := word(g.r)
					g.b = strconv.AppendInt(g.b, int64(len(w)), 10)
					g.b = append(g.b, w...)
				}
				g.b = append(g.b, pick(g.r, []string{"Ev", "EPKc", "ERKS_", "Ei", "EPvm"})...)
			}
			g.b = append(g.b, 0)
		}
	case 4:
		g.random(end) // constants, compressed data, hashes
	default:
		for len(g.b) < end { // lookup tables of small integers
			g.u32(uint32(g.r.IntN(4096)))
		}
	}
}

var prologues = [][]byte{
	{0x55, 0x48, 0x89, 0xe5},
	{0x55, 0x48, 0x89, 0xe5, 0x41, 0x57, 0x41, 0x56, 0x53},
	{0x41, 0x57, 0x41, 0x56, 0x41, 0x55, 0x41, 0x54, 0x55, 0x53},
	{0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5},
	{0x53},
}

func (g *bingen) function() {
	if g.idioms == nil {
		for i := 0; i < idiomCount; i++ {
			mark := len(g.b)
			for j, n := 0, 2+g.r.IntN(8); j < n; j++ {
				g.insn()
			}
			g.idioms = append(g.idioms, slices.Clone(g.b[mark:]))
			g.b = g.b[:mark]
		}
	}
	g.b = append(g.b, prologues[g.r.IntN(len(prologues))]...)
	g.b = append(g.b, 0x48, 0x83, 0xec, byte(8*(1+g.r.IntN(16))))
	for i, n := 0, 6+g.r.IntN(100); i < n; i++ {
		if g.r.IntN(100) < idiomPct {
			// Zipf-ish choice: a few idioms are very common.
			k := int(float64(idiomCount) * math.Pow(g.r.Float64(), 2))
			g.b = append(g.b, g.idioms[k]...)
			i += 3
		} else {
			g.insn()
		}
	}
	g.b = append(g.b, 0x48, 0x83, 0xc4, byte(8*(1+g.r.IntN(16))), 0x5b, 0x41, 0x5e, 0x41, 0x5f, 0x5d, 0xc3)
	for len(g.b)%16 != 0 {
		if g.r.IntN(2) == 0 {
			g.b = append(g.b, 0xcc)
		} else {
			g.b = append(g.b, 0x90)
		}
	}
}

const idiomCount, idiomPct = 2000, 75 // reused instruction sequences; percent of picks

func (g *bingen) insn() {
	r := g.r
	reg := byte(r.IntN(8))
	disp := byte(-8 * (1 + r.IntN(16)))
	switch x := r.IntN(40); {
	case x < 6: // mov r64, r64
		g.b = append(g.b, 0x48|byte(r.IntN(2)), 0x89, 0xc0|reg<<3|byte(r.IntN(8)))
	case x < 11: // mov r, [rbp-d]
		g.b = append(g.b, 0x48, 0x8b, 0x45|reg<<3, disp)
	case x < 15: // mov [rbp-d], r
		g.b = append(g.b, 0x48, 0x89, 0x45|reg<<3, disp)
	case x < 17: // mov r32, [rsp+d]
		g.b = append(g.b, 0x8b, 0x44|reg<<3, 0x24, byte(8*r.IntN(16)))
	case x < 20: // lea r, [rip+rel32]
		g.b = append(g.b, 0x48, 0x8d, 0x05|reg<<3)
		g.rel32(1 << 20)
	case x < 23: // call rel32
		g.b = append(g.b, 0xe8)
		g.rel32(1 << 21)
	case x < 24: // call [rip+rel32]
		g.b = append(g.b, 0xff, 0x15)
		g.rel32(1 << 20)
	case x < 28: // jcc rel8
		g.b = append(g.b, 0x70|byte(r.IntN(16)), byte(r.IntN(120)))
	case x < 29: // jmp rel8
		g.b = append(g.b, 0xeb, byte(r.IntN(120)))
	case x < 30: // jcc rel32
		g.b = append(g.b, 0x0f, 0x80|byte(r.IntN(16)))
		g.rel32(4096)
	case x < 32: // test r, r
		g.b = append(g.b, 0x48, 0x85, 0xc0|reg<<3|reg)
	case x < 34: // cmp r, imm8
		g.b = append(g.b, 0x48, 0x83, 0xf8|reg, byte(r.IntN(32)))
	case x < 35: // xor eax, eax
		g.b = append(g.b, 0x31, 0xc0)
	case x < 36: // mov r32, imm32
		g.b = append(g.b, 0xb8|reg)
		g.u32(uint32(r.IntN(1 << (4 * (1 + r.IntN(4))))))
	case x < 37: // add/sub r, imm8
		g.b = append(g.b, 0x48, 0x83, 0xc0|byte(5*r.IntN(2))<<3|reg, byte(8*r.IntN(16)))
	case x < 38: // movsd xmm, [rbp-d]
		g.b = append(g.b, 0xf2, 0x0f, 0x10|byte(r.IntN(2)), 0x45|reg<<3, disp)
	case x < 39: // push/pop
		g.b = append(g.b, 0x50|reg|byte(r.IntN(2))<<3)
	default: // mov rdi/rsi, r
		g.b = append(g.b, 0x48, 0x89, 0xc7|byte(r.IntN(8))<<3)
	}
}
