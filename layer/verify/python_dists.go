package verify

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/internal/readfile"
)

// Bounds on the metadata files read from a layer: botocore's RECORD, one
// of the largest, is under 2 MB.
const (
	maxTopLevel = 1 << 20
	maxRecord   = 64 << 20
	maxMetadata = 4 << 20
)

// pyDist is a distribution installed in a folder on sys.path, as its
// .dist-info (or .egg-info) says.
type pyDist struct {
	name    string   // its Name (the folder's, without the version, if METADATA has none)
	modules []string // the top-level modules it declares, sorted
	from    string   // "top_level.txt" or "RECORD"
	owned   []string // every top-level name its RECORD lists (modules, data folders)
}

// pythonDists reads the distributions installed in dir.
func pythonDists(dir string) []pyDist {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []pyDist
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || !(strings.HasSuffix(n, ".dist-info") || strings.HasSuffix(n, ".egg-info")) {
			continue
		}
		info := filepath.Join(dir, n)
		d := pyDist{name: distName(info, n)}
		d.owned, d.modules = recordNames(info)
		if top := topLevel(info); top != nil {
			d.modules, d.from = top, "top_level.txt"
		} else if len(d.modules) > 0 {
			d.from = "RECORD"
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// distName is the distribution's Name from its METADATA (PKG-INFO), else
// the folder's name up to the version.
func distName(info, folder string) string {
	for _, f := range []string{"METADATA", "PKG-INFO"} {
		data, err := readfile.Read(filepath.Join(info, f), maxMetadata)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				break // the headers end
			}
			if v, ok := strings.CutPrefix(line, "Name:"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	name, _, _ := strings.Cut(folder, "-")
	return strings.TrimSuffix(strings.TrimSuffix(name, ".dist-info"), ".egg-info")
}

// topLevel is the modules top_level.txt names, nil when there is none.
func topLevel(info string) []string {
	data, err := readfile.Read(filepath.Join(info, "top_level.txt"), maxTopLevel)
	if err != nil {
		return nil
	}
	out := []string{}
	for _, line := range strings.Split(string(data), "\n") {
		// Old setuptools wrote nested packages as a/b: the top is a.
		top, _, _ := strings.Cut(strings.TrimSpace(line), "/")
		if pyIdentifier.MatchString(top) {
			out = append(out, top)
		}
	}
	sort.Strings(out)
	return compact(out)
}

// recordNames reads RECORD: every top-level name it lists, and those that
// are modules (a .py or extension file, or a folder holding one). Scripts
// (../../bin), metadata and .data folders and .pth files are not modules.
func recordNames(info string) (owned, modules []string) {
	data, err := readfile.Read(filepath.Join(info, "RECORD"), maxRecord)
	if err != nil {
		return nil, nil
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = -1, true, true
	isOwned, isModule := map[string]bool{}, map[string]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue
		}
		p := path.Clean(strings.ReplaceAll(rec[0], `\`, "/"))
		if p == "." || strings.HasPrefix(p, "../") || p == ".." || path.IsAbs(p) {
			continue
		}
		top, rest, nested := strings.Cut(p, "/")
		if strings.HasSuffix(top, ".dist-info") || strings.HasSuffix(top, ".egg-info") || strings.HasSuffix(top, ".data") || top == "__pycache__" {
			continue
		}
		name := top
		if !nested {
			name, _, _ = strings.Cut(top, ".") // six.py, _cffi_backend.cpython-312-x86_64-linux-gnu.so
		}
		isOwned[name] = true
		code := strings.HasSuffix(p, ".py") || strings.HasSuffix(p, ".so") || strings.HasSuffix(p, ".pyd")
		if code && pyIdentifier.MatchString(name) && (nested || rest == "") {
			isModule[name] = true
		}
	}
	return keys(isOwned), keys(isModule)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func compact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	if out == nil {
		return []string{}
	}
	return out
}
