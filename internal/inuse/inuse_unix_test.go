//go:build unix

package inuse

import (
	"path/filepath"
	"syscall"
	"testing"
)

func TestUseOfAFIFOFailsAtOnce(t *testing.T) {
	if !supported {
		t.Skip("no flock on this platform")
	}
	p := filepath.Join(t.TempDir(), "app-0123456789ab.zip")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip(err)
	}
	if _, err := Use(p); err == nil { // opening it for reading would wait for a writer for ever
		t.Fatal("Use of a FIFO succeeded")
	}
}
