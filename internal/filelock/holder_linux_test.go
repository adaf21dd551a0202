package filelock

import (
	"strings"
	"testing"
)

func TestHolderIn(t *testing.T) {
	locks := "1: POSIX  ADVISORY  WRITE 11 fe:00:42 0 EOF\n" +
		"2: FLOCK  ADVISORY  WRITE 12 fe:01:42 0 EOF\n" +
		"3: FLOCK  ADVISORY  WRITE 4242 fe:00:42 0 EOF\n" +
		"3: -> FLOCK  ADVISORY  WRITE 4243 fe:00:42 0 EOF\n"
	if got := holderIn(strings.NewReader(locks), "fe:00:42"); got != 4242 {
		t.Errorf("holder %d, want 4242", got)
	}
	if got := holderIn(strings.NewReader(locks), "fe:00:43"); got != 0 {
		t.Errorf("holder of an unlocked inode: %d", got)
	}
}
