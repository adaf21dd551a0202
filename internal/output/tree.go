package output

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/layerctl/layerctl/internal/safetext"
	"github.com/layerctl/layerctl/internal/size"
)

// TreeEntry is one path of a ZIP with its unzipped size.
type TreeEntry struct {
	Path string // slash path; folders may end with "/"
	Size int64
	Note string // shown after the size, e.g. the ELF machine
}

type node struct {
	name     string
	size     int64
	files    int
	note     string
	isDir    bool
	children map[string]*node
}

// Tree prints entries as an indented tree with sizes; folders show the total
// of what they hold. Below depth levels (0 = no limit) a folder is shown
// folded, with its file count.
func Tree(w io.Writer, entries []TreeEntry, depth int) {
	root := &node{isDir: true, children: map[string]*node{}}
	for _, e := range entries {
		isDir := strings.HasSuffix(e.Path, "/")
		parts := strings.Split(strings.TrimSuffix(e.Path, "/"), "/")
		n := root
		for i, p := range parts {
			last := i == len(parts)-1
			c := n.children[p]
			if c == nil {
				c = &node{name: p, isDir: !last || isDir, children: map[string]*node{}}
				n.children[p] = c
			}
			if !isDir {
				c.size += e.Size
				if last {
					c.files = 1
					c.note = e.Note
				} else {
					c.files++
				}
			}
			n = c
		}
		if !isDir {
			root.size += e.Size
		}
	}
	fmt.Fprintf(w, "/opt  %s\n", size.Text(root.size))
	printNode(w, root, "", 1, depth)
}

func printNode(w io.Writer, n *node, indent string, level, depth int) {
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		c := n.children[k]
		branch, next := "├── ", "│   "
		if i == len(names)-1 {
			branch, next = "└── ", "    "
		}
		// Names come from the ZIP: escaped, they cannot act on the terminal.
		label := safetext.Name(c.name)
		if c.isDir {
			label += "/"
		}
		extra := ""
		if c.note != "" {
			extra = "  [" + safetext.Text(c.note) + "]"
		}
		if c.isDir && depth > 0 && level >= depth && len(c.children) > 0 {
			fmt.Fprintf(w, "%s%s%s  %s in %d files%s\n", indent, branch, label, size.Text(c.size), c.files, extra)
			continue
		}
		fmt.Fprintf(w, "%s%s%s  %s%s\n", indent, branch, label, size.Text(c.size), extra)
		if c.isDir {
			printNode(w, c, indent+next, level+1, depth)
		}
	}
}
