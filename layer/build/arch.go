package build

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/internal/size"
	"github.com/layerctl/layerctl/layer/archive"
	"github.com/layerctl/layerctl/manifest"
)

// maxDiffLines bounds how many differing paths an error lists.
const maxDiffLines = 10

// sameContent checks that every architecture got the same entries, so
// that one ZIP can serve them all; otherwise it says what differs and how
// to split the layer.
func sameContent(ctx context.Context, l *manifest.Layer, archs []string, perArch [][]archive.Entry) error {
	var lines []string
	for i := 1; i < len(archs); i++ {
		diff, err := entryDifference(ctx, perArch[0], perArch[i], archs[0], archs[i])
		if err != nil {
			return err
		}
		lines = append(lines, diff...)
	}
	if len(lines) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "its content differs between %s, so one ZIP cannot serve them all:", strings.Join(archs, " and "))
	for i, line := range lines {
		if i == maxDiffLines {
			fmt.Fprintf(&b, "\n  ... and %d more", len(lines)-maxDiffLines)
			break
		}
		b.WriteString("\n  " + line)
	}
	var pairs []string
	for _, a := range archs {
		pairs = append(pairs, fmt.Sprintf("%s: %s-%s", a, l.Name, a))
	}
	fmt.Fprintf(&b, "\n  fix: split it into one Lambda layer per architecture, named in the manifest:\n    split_architectures: {%s}\n  or declare one architecture", strings.Join(pairs, ", "))
	return &archive.ContentError{Layer: l.Name, Msg: b.String()}
}

// entryDifference lists, for messages, how two entry lists differ. Files
// read from the same place are equal without reading them.
func entryDifference(ctx context.Context, a, b []archive.Entry, nameA, nameB string) ([]string, error) {
	byA := map[string]*archive.Entry{}
	for i := range a {
		byA[a[i].Name] = &a[i]
	}
	byB := map[string]*archive.Entry{}
	for i := range b {
		byB[b[i].Name] = &b[i]
	}
	memo := newHashMemo("", true)
	var out []string
	for i := range a {
		ea := &a[i]
		eb, ok := byB[ea.Name]
		if !ok {
			out = append(out, fmt.Sprintf("%s: only for %s", ea.Name, nameA))
			continue
		}
		same, err := sameEntry(memo, ea, eb)
		if err != nil {
			return nil, err
		}
		if !same {
			out = append(out, fmt.Sprintf("%s: differs (%s: %s, %s: %s)", ea.Name, nameA, describeEntryShort(ea), nameB, describeEntryShort(eb)))
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	for i := range b {
		if _, ok := byA[b[i].Name]; !ok {
			out = append(out, fmt.Sprintf("%s: only for %s", b[i].Name, nameB))
		}
	}
	sort.Strings(out)
	return out, nil
}

func sameEntry(memo *hashMemo, a, b *archive.Entry) (bool, error) {
	if a.Kind != b.Kind || a.Exec != b.Exec || a.Target != b.Target {
		return false, nil
	}
	if a.Kind != archive.KindFile || a.Src == b.Src {
		return true, nil
	}
	if a.Size != b.Size {
		return false, nil
	}
	sa, err := memo.sum(a.Src, a.Stamp)
	if err != nil {
		return false, err
	}
	sb, err := memo.sum(b.Src, b.Stamp)
	if err != nil {
		return false, err
	}
	return sa == sb, nil
}

func describeEntryShort(e *archive.Entry) string {
	switch e.Kind {
	case archive.KindSymlink:
		return "symlink to " + e.Target
	case archive.KindDir:
		return "folder"
	}
	return size.Text(e.Size)
}

// treeDifference lists the paths that differ between two folders.
func treeDifference(ctx context.Context, dirA, dirB string) ([]string, error) {
	list := func(dir string) ([]archive.Entry, error) {
		byName, err := archive.ListSources("", []archive.Source{{Path: dir, Label: dir}}, nil, "")
		if err != nil {
			return nil, err
		}
		return archive.SortedEntries(byName), nil
	}
	a, err := list(dirA)
	if err != nil {
		return nil, err
	}
	b, err := list(dirB)
	if err != nil {
		return nil, err
	}
	return entryDifference(ctx, a, b, "a", "b")
}
