package build

import (
	"strings"
	"sync"
	"testing"
)

// Builds at once in one output folder each sweep it for leftovers, then
// make their own temporary files: one's sweep may find another's file in
// the instant between its creation and its lock, and remove it. The build
// that made it makes another; it never fails for it.
func TestATempFileSweptBeforeItsLockIsMadeAgain(t *testing.T) {
	dir := t.TempDir()
	isTemp := func(name string) bool { return strings.HasSuffix(name, ".zip.tmp") }
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() { // a build: a sweep, then its temporary file
			defer wg.Done()
			for range 300 {
				removeTemps(dir, isTemp)
				f, held, err := createHeld(dir, ".l-*.zip.tmp")
				if err != nil {
					errs <- err
					return
				}
				f.Close()
				held.Release()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a build failed for another's sweep: %v", err)
	}
}
