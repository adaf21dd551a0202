package archive

import (
	"fmt"
	"io/fs"
	"strings"
)

// ZipEntryKind classifies a ZIP entry the way Info-ZIP's unzip and
// Python's zipfile extract it, so that what layerctl unpacks, inspects and
// Lambda unzips agree: a name ending in "/" is a folder whatever its
// attributes say; any other name is a symlink when its Unix mode says so,
// else a file, even when its attributes say folder (DOS 0x10 or S_IFDIR):
// both tools write such an entry as a file with its bytes, and an empty
// one as an empty file. (Go's FileHeader.Mode reports those attributes as
// a folder, which made them vanish.)
func ZipEntryKind(name string, mode fs.FileMode) EntryKind {
	switch {
	case strings.HasSuffix(name, "/"):
		return KindDir
	case mode&fs.ModeSymlink != 0:
		return KindSymlink
	}
	return KindFile
}

// ZipFolderData says what is wrong with a folder entry (its name ends in
// "/") that holds bytes: unzip and zipfile make the folder and drop them,
// so they would be lost without a word. "" when there is nothing wrong.
func ZipFolderData(size uint64) string {
	if size == 0 {
		return ""
	}
	return fmt.Sprintf("is a folder (its name ends in /) but holds %d bytes, which unzip and Python's zipfile drop", size)
}
