package filelock

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// holder is the ID of the process holding the flock on f's inode, from
// /proc/locks; 0 when it cannot be told. The file is read at most 1 MiB
// into: on a machine with more locks than that, the ID is just not told.
func holder(f *os.File) int {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0
	}
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer locks.Close()
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)), st.Ino)
	return holderIn(io.LimitReader(locks, 1<<20), want)
}

// holderIn finds the holder of a FLOCK on device:inode want in the text of
// /proc/locks, whose lines read
//
//	1: FLOCK  ADVISORY  WRITE 4242 08:01:1311 0 EOF
//	1: -> FLOCK  ADVISORY  WRITE 4243 08:01:1311 0 EOF   (a waiter: skipped)
func holderIn(r io.Reader, want string) int {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[1] != "FLOCK" || f[5] != want {
			continue
		}
		if pid, err := strconv.Atoi(f[4]); err == nil && pid > 0 {
			return pid
		}
	}
	return 0
}
