package inuse

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
