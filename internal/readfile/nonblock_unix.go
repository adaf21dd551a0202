//go:build unix

package readfile

import "syscall"

// nonBlock makes opening a FIFO return at once; on a regular file it
// changes nothing.
const nonBlock = syscall.O_NONBLOCK
