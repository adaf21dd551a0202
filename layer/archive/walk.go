package archive

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/layerctl/layerctl/internal/crash"
)

// walkDirParallel is filepath.WalkDir with folders read concurrently: a
// rebuild's time goes into one lstat per file, which the kernel serves in
// parallel. fn is called from several goroutines at once, in no set order;
// returning filepath.SkipDir for a folder skips it. The first error stops
// the walk and is returned.
func walkDirParallel(root string, fn fs.WalkDirFunc) error {
	info, err := os.Lstat(root)
	if err != nil {
		return fn(root, nil, err)
	}
	d := fs.FileInfoToDirEntry(info)
	if err := fn(root, d, nil); err != nil || !d.IsDir() {
		if errors.Is(err, filepath.SkipDir) {
			return nil
		}
		return err
	}

	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, 4*runtime.GOMAXPROCS(0))
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	var walk func(dir string)
	walk = func(dir string) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			fail(fn(dir, nil, err))
			return
		}
		for _, e := range ents {
			if failed() {
				return
			}
			p := filepath.Join(dir, e.Name())
			err := fn(p, e, nil)
			switch {
			case errors.Is(err, filepath.SkipDir):
				continue
			case err != nil:
				fail(err)
				return
			case !e.IsDir():
				continue
			}
			select {
			case slots <- struct{}{}:
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					if err := crash.Guard("walk", func() error { walk(p); return nil }); err != nil {
						fail(err)
					}
				}()
			default:
				walk(p)
			}
		}
	}
	walk(root)
	wg.Wait()
	return firstErr
}
