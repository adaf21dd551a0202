//go:build unix

package readfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("small", link); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		max        int64
		want       string // content, or "" for an error
		check      func(error) bool
	}{
		{"a small file", small, 10, "hello", nil},
		{"through a symlink", link, 10, "hello", nil},
		{"over the bound", small, 4, "", func(err error) bool { var e *TooLargeError; return errors.As(err, &e) }},
		{"a FIFO, without blocking", fifo, 10, "", IsNotRegular},
		{"/dev/zero through a link", zero, 10, "", IsNotRegular},
		{"a folder", dir, 10, "", IsNotRegular},
		{"missing", filepath.Join(dir, "nope"), 10, "", func(err error) bool { return errors.Is(err, os.ErrNotExist) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() { data, err = Read(c.path, c.max); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Read blocked")
			}
			if c.check == nil {
				if err != nil || string(data) != c.want {
					t.Fatalf("Read = %q, %v; want %q", data, err, c.want)
				}
				return
			}
			if !c.check(err) {
				t.Fatalf("Read = %q, %v; want the error its case names", data, err)
			}
		})
	}
}
