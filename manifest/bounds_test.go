package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// aliasBomb is a manifest of about 27 KB that expands, through anchors,
// aliases and merge keys, into millions of nodes: 1,100 aliases of one
// files entry in a list, given to 320 layers, each also a merge of two
// layers before it.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("version: 1\nlayers:\n  l0: &l0\n    runtimes: [python3.12]\n    files: &files\n      - &f {from: '', to: /abs, bad: 1}\n")
	for range 1100 {
		b.WriteString("      - *f\n")
	}
	for i := 1; i < 320; i++ {
		prev := max(0, i-3)
		fmt.Fprintf(&b, "  l%d: &l%d {<<: [*l%d, *l%d], files: *files}\n", i, i, i-1, prev)
	}
	return b.String()
}

// The alias bomb is one problem, found in well under a second with a few
// megabytes: the expansion is counted and stopped, never made.
func TestAliasBombIsBounded(t *testing.T) {
	src := []byte(aliasBomb())
	if n := len(src); n < 25<<10 || n > 30<<10 {
		t.Fatalf("the bomb is %d bytes, want about 27 KB", n)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	type result struct {
		problems []string
		took     time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		_, err := Parse("layerctl.yaml", src)
		var ps []string
		if e, ok := err.(*Error); ok {
			ps = strs(e.Problems)
		}
		done <- result{ps, time.Since(start)}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Second):
		t.Fatal("still parsing the alias bomb after 1 s")
	}
	runtime.ReadMemStats(&after)
	want := fmt.Sprintf("layerctl.yaml:1107:17: the manifest expands YAML aliases into more than %d nodes (here, *l0 went past that); write the repeated parts out, or alias fewer times: aliases of aliases multiply", MaxAliasNodes)
	if len(r.problems) != 1 || r.problems[0] != want {
		t.Errorf("%d problems, first %q; want one:\n%s", len(r.problems), r.problems[:min(1, len(r.problems))], want)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("parsed %d bytes in %s, %.1f MB allocated", len(src), r.took, float64(alloc)/1e6)
	if r.took > 250*time.Millisecond || alloc > 16<<20 {
		t.Errorf("took %s and %d bytes; want well under a second and a few MB", r.took, alloc)
	}
}

// Aliases as people use them, for defaults shared by many layers, stay
// well within the bound.
func TestAliasesWithinTheBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nlayers:\n  base: &base\n    runtimes: [python3.12, python3.13]\n    architectures: [x86_64, arm64]\n    exclude: ['**/tests/**', '**/*.md', '**/docs/**']\n    files: [{from: src, to: python}]\n")
	for i := range 300 {
		fmt.Fprintf(&b, "  l%d: {<<: *base, description: layer %d}\n", i, i)
	}
	m, err := Parse("layerctl.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 301 || len(m.Layers[5].Exclude) != 3 {
		t.Fatalf("%d layers", len(m.Layers))
	}
}

// An alias inside its own anchor would repeat for ever.
func TestAliasInsideItsOwnAnchor(t *testing.T) {
	for _, src := range []string{
		"version: 1\nlayers:\n  a: &a {runtimes: [python3.12], files: [{from: x}], more: *a}\n",
		"version: 1\nlayers:\n  a: &a {runtimes: [python3.12], files: [{from: x}], <<: *a}\n",
		"version: 1\nlayers:\n  a: &a {runtimes: &r [python3.12, *r], files: [{from: x}]}\n",
	} {
		got := parseProblems(t, src)
		if len(got) != 1 || !strings.Contains(got[0], "is inside its own anchor") {
			t.Errorf("%q: %q", src, got)
		}
	}
}

// A file larger than any manifest is not parsed, and not even read past
// the limit: /dev/zero ends.
func TestManifestSizeLimit(t *testing.T) {
	big := filepath.Join(t.TempDir(), "layerctl.yaml")
	data := "version: 1\nlayers: {a: {runtimes: [python3.12], files: [{from: x}]}}\n"
	data += "#" + strings.Repeat(" ", MaxManifestSize-len(data)-2) + "\n"
	os.WriteFile(big, []byte(data), 0o644)
	if _, err := Load(big); err != nil {
		t.Fatalf("a manifest of exactly %d bytes: %v", len(data), err)
	}
	os.WriteFile(big, []byte(data+"\n"), 0o644)
	want := big + ": the file is larger than 1048576 bytes (1 MiB), more than any manifest needs: is -f the right file? (a manifest lists layers and where their files are, not their content)"
	for path, w := range map[string]string{big: want, "/dev/zero": "/dev/zero: cannot read: it is a device, not a file: pass -f the manifest's path"} {
		done := make(chan error, 1)
		go func() { _, err := Load(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || err.Error() != w {
				t.Errorf("%s: %v\nwant %s", path, err, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still reading after 5 s", path)
		}
	}
}

// However many problems a manifest has, a screenful is shown, the first in
// file order, and the rest counted.
func TestProblemsShownAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nlayers:\n")
	for i := range 100 {
		fmt.Fprintf(&b, "  l%02d: {runtimes: [python9], files: [{from: x}]}\n", i)
	}
	_, err := Parse("layerctl.yaml", []byte(b.String()))
	e, ok := err.(*Error)
	if !ok || len(e.Problems) != 100 {
		t.Fatalf("%v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != MaxShownProblems+1 || lines[MaxShownProblems] != fmt.Sprintf("... and %d more problems", 100-MaxShownProblems) {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	for i, l := range lines[:MaxShownProblems] {
		if want := e.Problems[i].String(); l != want || !strings.HasPrefix(l, fmt.Sprintf("layerctl.yaml:%d:", i+3)) {
			t.Errorf("line %d: %q, want %q", i, l, want)
		}
	}
}

// A long string, aliased many times, would be quoted in as many problems.
func TestAliasedTextIsBounded(t *testing.T) {
	long := strings.Repeat("p", 300<<10)
	src := "version: 1\nlayers:\n  a: {files: [{from: x}], runtimes: [&r " + long + "]}\n"
	for i := range 4 {
		src += fmt.Sprintf("  b%d: {files: [{from: x}], runtimes: [*r]}\n", i)
	}
	got := parseProblems(t, src)
	want := "layerctl.yaml:7:39: the manifest expands YAML aliases into more than 1048576 bytes (1 MiB) of text (here, *r went past that); alias long strings fewer times"
	if len(got) != 1 || got[0] != want {
		t.Errorf("%d problems; first %.200q", len(got), got[0])
	}
}

// Suggestions compare a value with every valid one: a long value must not
// cost its length times theirs.
func TestLongValuesAreCheapToReport(t *testing.T) {
	long := strings.Repeat("p", 50<<10)
	src := "version: 1\nlayers:\n  a: {files: [{from: x}], runtimes: [" + strings.Repeat(long+", ", 19) + long + "]}\n"
	start := time.Now()
	got := parseProblems(t, src)
	if took := time.Since(start); took > 200*time.Millisecond || len(got) != 21 {
		t.Errorf("%d problems in %s", len(got), took)
	}
}
