package manifest

import (
	"errors"
	"io"

	"github.com/layerctl/layerctl/internal/readfile"
	"go.yaml.in/yaml/v3"
)

// A manifest is written by people and read on every run, often from a
// repository anyone can send a change to: what it costs to read is bounded
// by its size, whatever it holds.
const (
	// MaxManifestSize bounds the file: a manifest of hundreds of layers is
	// tens of kilobytes.
	MaxManifestSize = 1 << 20
	// MaxAliasNodes bounds the nodes reached through YAML aliases and merge
	// keys (<<), counted as often as they are reached. A few aliases
	// nested a few levels deep ("billion laughs") would otherwise expand a
	// small file into millions of nodes, and as many problems.
	MaxAliasNodes = 10_000
	// MaxAliasText bounds the text of the scalars reached through aliases:
	// a long string aliased many times would otherwise be quoted in as
	// many problems.
	MaxAliasText = 1 << 20
)

// readManifest reads the file at path, but never more than one byte past
// MaxManifestSize: enough for Parse to tell it is too large.
func readManifest(path string) ([]byte, error) {
	f, _, err := readfile.Open(path) // a FIFO would block; a device never end
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxManifestSize+1))
}

// checkSize records a problem, and returns false, when data is larger than
// a manifest may be.
func (w *walker) checkSize(data []byte) bool {
	if len(data) <= MaxManifestSize {
		return true
	}
	w.failAt(Pos{File: w.file}, "", "the file is larger than %d bytes (1 MiB), more than any manifest needs: is -f the right file? (a manifest lists layers and where their files are, not their content)", MaxManifestSize)
	return false
}

// errAliasBudget stops the count of aliasBudget.
var errAliasBudget = errors.New("alias budget spent")

// checkAliases records one problem, and returns false, when the document
// under root expands its aliases into more than MaxAliasNodes nodes or
// MaxAliasText bytes of text, or holds an alias inside its own anchor.
// The walk stops as soon as one shows, so its cost is the file's nodes
// plus at most MaxAliasNodes.
func (w *walker) checkAliases(root *yaml.Node) bool {
	visited, text := 0, 0
	open := map[*yaml.Node]bool{} // anchors being expanded: an alias to one is a loop
	var outer *yaml.Node          // the alias, as written outside any anchor, being expanded
	var visit func(n *yaml.Node, viaAlias bool) error
	visit = func(n *yaml.Node, viaAlias bool) error {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			if !viaAlias {
				outer = n
			}
			if open[n.Alias] {
				w.fail(n, "", "the alias *%s is inside its own anchor &%s (line %d): it would repeat for ever; point it at something else", n.Value, n.Alias.Anchor, n.Alias.Line)
				return errAliasBudget
			}
			open[n.Alias] = true
			defer delete(open, n.Alias)
			return visit(n.Alias, true)
		}
		if viaAlias {
			visited, text = visited+1, text+len(n.Value)
			if visited > MaxAliasNodes || text > MaxAliasText {
				return errAliasBudget
			}
		}
		for _, c := range n.Content {
			if err := visit(c, viaAlias); err != nil {
				return err
			}
		}
		return nil
	}
	if visit(root, false) == nil {
		return true
	}
	switch {
	case visited > MaxAliasNodes:
		w.fail(outer, "", "the manifest expands YAML aliases into more than %d nodes (here, *%s went past that); write the repeated parts out, or alias fewer times: aliases of aliases multiply", MaxAliasNodes, outer.Value)
	case text > MaxAliasText:
		w.fail(outer, "", "the manifest expands YAML aliases into more than %d bytes (1 MiB) of text (here, *%s went past that); alias long strings fewer times", MaxAliasText, outer.Value)
	}
	return false
}
