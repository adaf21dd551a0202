package main

import (
	"os"
	"regexp"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// heldLocks are the files a script holds with holdlock, per script.
type heldLocks map[string]*os.File

// holdlock FILE takes an exclusive flock on FILE (created if missing) in
// the test process, as another layerctl would; releaselock FILE lets go.
// The layerctl under test is another process, so the two exclude each other.
func cmdHoldlock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock FILE")
	}
	held := ts.Value("locks").(heldLocks)
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_RDONLY|os.O_CREATE, 0o644)
	ts.Check(err)
	ts.Check(unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB))
	held[args[0]] = f
	ts.Defer(func() { f.Close() })
}

func cmdReleaselock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: releaselock FILE")
	}
	held := ts.Value("locks").(heldLocks)
	f := held[args[0]]
	if f == nil {
		ts.Fatalf("releaselock: %s is not held", args[0])
	}
	ts.Check(f.Close())
	delete(held, args[0])
}

// waitfor FILE REGEXP waits (up to 2 minutes) until FILE, written by a
// background command, matches REGEXP.
func cmdWaitfor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfor FILE REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, _ := os.ReadFile(ts.MkAbs(args[0]))
		if re.Match(b) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s never matched %q; it holds:\n%s", args[0], args[1], b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
