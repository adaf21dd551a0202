//go:build linux || darwin

package filelock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/atomicfile"
)

// Each Acquire opens the file anew, so two Acquires in one test process
// hold two open file descriptions and exclude each other as two processes
// do (flock is per open file description).

func acquireIn(t *testing.T, ctx context.Context, path string, waiting func(int)) <-chan *Lock {
	t.Helper()
	got := make(chan *Lock, 1)
	go func() {
		l, err := Acquire(ctx, path, waiting)
		if err != nil {
			t.Errorf("Acquire: %v", err)
		}
		got <- l
	}()
	return got
}

func mustAcquire(t *testing.T, path string) *Lock {
	t.Helper()
	l, err := Acquire(context.Background(), path, func(int) { t.Errorf("%s: waited, nobody holds it", path) })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAcquireWaitsAndSaysWhoHolds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "layerctl.lock")
	os.WriteFile(path, []byte("{}\n"), 0o644)
	first := mustAcquire(t, path)

	told := make(chan int, 2)
	second := acquireIn(t, context.Background(), path, func(pid int) { told <- pid })
	select {
	case pid := <-told:
		if want := os.Getpid(); runtime.GOOS == "linux" && pid != want {
			t.Errorf("holder %d, want this process, %d", pid, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second Acquire did not say it waits")
	}
	select {
	case <-second:
		t.Fatal("the second Acquire returned while the first held the file")
	case <-time.After(300 * time.Millisecond):
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-second:
		l.Release()
	case <-time.After(10 * time.Second):
		t.Fatal("the second Acquire did not get its turn after the first released")
	}
	if len(told) != 0 {
		t.Error("waiting was called more than once")
	}
}

func TestAcquireStopsWhenCanceled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "layerctl.lock")
	first := mustAcquire(t, path)
	defer first.Release()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Acquire(ctx, path, func(int) { cancel() })
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Acquire went on waiting after its context was canceled")
	}
}

// The classic trap: a turn taken on the inode the path named before a
// rename must not run alongside a turn taken on the new file.
func TestAcquireFollowsTheFileARenameLeaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "layerctl.lock")
	os.WriteFile(path, []byte("old\n"), 0o644)
	a := mustAcquire(t, path)

	bTold := make(chan int, 1)
	b := acquireIn(t, context.Background(), path, func(pid int) { bTold <- pid })
	<-bTold // b waits on the old inode

	// a writes as the lock file is written: a new inode takes the path.
	if err := atomicfile.Write(path, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	c := mustAcquire(t, path) // the new inode is free: c's turn
	a.Release()

	select {
	case <-b:
		t.Fatal("b got a turn on the replaced inode while c holds the file")
	case <-time.After(500 * time.Millisecond):
	}
	c.Release()
	select {
	case l := <-b:
		defer l.Release()
		same, err := names(path, l.held.f)
		if err != nil || !same {
			t.Fatalf("b holds an inode the path no longer names (%v)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b never got its turn")
	}
}

func TestReleaseRemovesOnlyTheEmptyFileItMade(t *testing.T) {
	dir := t.TempDir()
	made := filepath.Join(dir, "made.lock")
	mustAcquire(t, made).Release()
	if _, err := os.Stat(made); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the empty file Acquire made is still there: %v", err)
	}

	written := filepath.Join(dir, "written.lock")
	l := mustAcquire(t, written)
	if err := atomicfile.Write(written, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	l.Release()
	if b, err := os.ReadFile(written); err != nil || string(b) != "{}\n" {
		t.Errorf("the written file: %q, %v", b, err)
	}

	theirs := filepath.Join(dir, "theirs.lock")
	os.WriteFile(theirs, nil, 0o644)
	mustAcquire(t, theirs).Release()
	if _, err := os.Stat(theirs); err != nil {
		t.Errorf("an empty file Acquire did not make was removed: %v", err)
	}

	// Nothing else is left in the folder: no side files.
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "theirs.lock written.lock" {
		t.Errorf("folder holds %v", names)
	}
}
