package archive

import "io/fs"

// FileStat is what one stat says about one version of a file. Any write to
// a file moves its ctime to the current time, and no user-level call can set
// a ctime back, so a file whose FileStat is unchanged still has the content
// it had: that is what lets a rebuild skip reading its inputs.
type FileStat struct {
	Dev, Ino     uint64
	Size         int64
	Mode         uint32
	Mtime, Ctime int64 // nanoseconds since 1970
}

// Stamp is what the memo keeps of one stat of a file: its fileStat, and
// whether that can vouch for the content (not where ctime or inode are
// unknown; then a file is always read).
type Stamp struct {
	Stat    FileStat
	Trusted bool
}

func StampOf(info fs.FileInfo) Stamp {
	st, trusted := StatOf(info)
	if !trusted {
		st = FileStat{Size: info.Size(), Mtime: info.ModTime().UnixNano(), Mode: uint32(info.Mode())}
	}
	return Stamp{st, trusted}
}
