package archive

import (
	"io/fs"
	"syscall"
)

// StatOf is the identity of one version of a file, from what lstat
// returned. ok is false when the platform does not give the change time
// and inode, without which a stat cannot prove a file unchanged.
func StatOf(info fs.FileInfo) (FileStat, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return FileStat{}, false
	}
	return FileStat{
		Dev:   uint64(st.Dev),
		Ino:   st.Ino,
		Size:  st.Size,
		Mode:  uint32(st.Mode),
		Mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec,
		Ctime: st.Ctim.Sec*1e9 + st.Ctim.Nsec,
	}, true
}
