package inuse

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHoldOfAFileAlreadyRemovedIsErrGone(t *testing.T) {
	if !supported {
		t.Skip("no flock on this platform") // layerctl's CI runs on Linux
	}
	p := filepath.Join(t.TempDir(), ".x.tmp")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A concurrent build took it for a leftover between its creation and Hold.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := Hold(p); !errors.Is(err, ErrGone) {
		t.Fatalf("Hold of a removed file = %v, want ErrGone so that the caller makes another", err)
	}
}

func TestTryHoldSkipsWhatALiveHolderHolds(t *testing.T) {
	if !supported {
		t.Skip("no flock on this platform")
	}
	p := filepath.Join(t.TempDir(), ".x.tmp")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := Hold(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := TryHold(p); ok || err != nil {
		t.Fatalf("TryHold of a held file: ok=%v err=%v, want not ok", ok, err)
	}
	h.Release()
	h2, ok, err := TryHold(p)
	if !ok || err != nil {
		t.Fatalf("TryHold once released: ok=%v err=%v, want ok", ok, err)
	}
	h2.Release()
}

func TestUseKeepsTryHoldOffButLetsOthersUse(t *testing.T) {
	if !supported {
		t.Skip("no flock on this platform")
	}
	p := filepath.Join(t.TempDir(), "app-0123456789ab.zip")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	u1, err := Use(p)
	if err != nil {
		t.Fatal(err)
	}
	u2, err := Use(p) // another run using the same ZIP: it does not wait
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := TryHold(p); ok || err != nil {
		t.Fatalf("TryHold of a used file: ok=%v err=%v, want not ok", ok, err)
	}
	u1.Release()
	if _, ok, err := TryHold(p); ok || err != nil {
		t.Fatalf("TryHold while another still uses it: ok=%v err=%v, want not ok", ok, err)
	}
	u2.Release()
	h, ok, err := TryHold(p)
	if !ok || err != nil {
		t.Fatalf("TryHold once no one uses it: ok=%v err=%v, want ok", ok, err)
	}
	h.Release()
}

func TestUseOfAFileRemovedByItsHolderIsErrGone(t *testing.T) {
	if !supported {
		t.Skip("no flock on this platform")
	}
	p := filepath.Join(t.TempDir(), "app-0123456789ab.zip")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h, ok, err := TryHold(p)
	if !ok || err != nil {
		t.Fatalf("TryHold: ok=%v err=%v", ok, err)
	}
	done := make(chan error, 1)
	go func() { // a run that wants the ZIP while a cleanup is removing it
		u, err := Use(p)
		u.Release()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // Use is waiting for the lock
	os.Remove(p)
	h.Release()
	if err := <-done; !errors.Is(err, ErrGone) {
		t.Fatalf("Use of a file removed while it waited = %v, want ErrGone", err)
	}
}

func TestShareLetsOthersUseAFileJustMade(t *testing.T) {
	if !supported {
		t.Skip("no flock on this platform")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), ".app-1.zip.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := HoldFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Share(); err != nil {
		t.Fatal(err)
	}
	u, err := Use(f.Name()) // would wait for ever on the exclusive lock
	if err != nil {
		t.Fatal(err)
	}
	u.Release()
	if _, ok, _ := TryHold(f.Name()); ok {
		t.Fatal("TryHold took a file its maker still holds, shared")
	}
	h.Release()
}
