package testenv

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/layerctl/layerctl/internal/crash"
)

// PanicIn makes the named worker panic on its n-th unit of work (from 1),
// for the rest of the test. Not for parallel tests.
func PanicIn(t testing.TB, worker string, n int64) {
	var count atomic.Int64
	t.Cleanup(crash.InjectPanics(func(w string) {
		if w == worker && count.Add(1) == n {
			panic(fmt.Sprintf("injected into %s\nsecond line", w))
		}
	}))
}

// WantCrash checks that err is the worker's panic, carried back as an error
// that says it is a bug.
func WantCrash(t testing.TB, err error, worker string) {
	t.Helper()
	if !crash.Is(err) {
		t.Fatalf("error %v (%T), want a *crash.Error", err, err)
	}
	if want := "internal error: injected into " + worker + " second line"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
}

// ListDir is the names in dir, one a line.
func ListDir(t testing.TB, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, "\n")
}
