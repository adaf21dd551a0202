//go:build unix

package check

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestInspectRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.zip")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock.zip")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	folder := filepath.Join(dir, "folder.zip")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, fifo + " is a named pipe, not a ZIP file: inspect reads only regular files"},
		{"/dev/zero", "/dev/zero is a device, not a ZIP file"},
		{sock, sock + " is a socket, not a ZIP file"},
		{folder, folder + " is a folder, not a ZIP file"},
	} {
		_, err := inspectWithin(t, 5*time.Second, tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("inspect %s: error %v, want %q", tc.path, err, tc.want)
		}
	}
}

// A path swapped between a ZIP and a FIFO while it is inspected never
// blocks inspect: what is read is the file that was opened, checked again
// after the open.
func TestInspectSwappedForAFIFONeverBlocks(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "layer.zip")
	writeTestZip(t, zipPath, map[string]string{"python/a.py": "x"})
	good := filepath.Join(dir, "good.zip")
	fifo := filepath.Join(dir, "fifo.zip")
	if err := os.Link(zipPath, good); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			from := good
			if i%2 == 1 {
				from = fifo
			}
			tmp := filepath.Join(dir, "next")
			os.Remove(tmp)
			if err := os.Link(from, tmp); err == nil {
				os.Rename(tmp, zipPath)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	var ok, refused int
	for range 300 {
		_, err := inspectWithin(t, 5*time.Second, zipPath)
		switch {
		case err == nil:
			ok++
		case strings.Contains(err.Error(), "is a named pipe, not a ZIP file"):
			refused++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	t.Logf("%d inspected, %d refused as a FIFO", ok, refused)
}
