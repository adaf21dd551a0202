package build

import (
	"io/fs"
	"syscall"
)

// ownedByMe reports whether this process's user owns the file: leftovers
// are reclaimed only from one's own files.
func ownedByMe(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == syscall.Getuid()
}
