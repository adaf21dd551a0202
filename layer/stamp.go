package layer

import "io/fs"

// fileStat is what one stat says about one version of a file. Any write to
// a file moves its ctime to the current time, and no user-level call can set
// a ctime back, so a file whose fileStat is unchanged still has the content
// it had: that is what lets a rebuild skip reading its inputs.
type fileStat struct {
	Dev, Ino     uint64
	Size         int64
	Mode         uint32
	Mtime, Ctime int64 // nanoseconds since 1970
}

// stamp is what the memo keeps of one stat of a file: its fileStat, and
// whether that can vouch for the content (not where ctime or inode are
// unknown; then a file is always read).
type stamp struct {
	st      fileStat
	trusted bool
}

func stampOf(info fs.FileInfo) stamp {
	st, trusted := statOf(info)
	if !trusted {
		st = fileStat{Size: info.Size(), Mtime: info.ModTime().UnixNano(), Mode: uint32(info.Mode())}
	}
	return stamp{st, trusted}
}
