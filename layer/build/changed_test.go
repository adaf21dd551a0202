package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer"
	"github.com/layerctl/layerctl/layer/archive"
)

// A file listed, then deleted or cut short before it is compressed or
// hashed, stops the build with what happened, never a bare open error nor
// a ZIP without it.
func TestChangedBetweenListingAndReading(t *testing.T) {
	list := func(t *testing.T) (string, []archive.Entry) {
		dir := t.TempDir()
		testenv.Tree(t, dir, map[string]string{"src/a.py": "a", "src/pkg/b.py": strings.Repeat("b", 3000)})
		entries, err := archive.Collect("l", []archive.Source{{Path: filepath.Join(dir, "src"), To: "python", Label: "src"}}, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		return dir, entries
	}
	tests := []struct {
		name   string
		change func(dir string)
		read   func(entries []archive.Entry) error
		want   string
	}{
		{"deleted before compressing", func(dir string) { os.Remove(filepath.Join(dir, "src/pkg/b.py")) },
			func(entries []archive.Entry) error {
				_, err := archive.WriteZip(context.Background(), io.Discard, entries, layer.DefaultModified, 2)
				return err
			},
			"src/pkg/b.py vanished while the layer was being read: rebuild when nothing writes to the sources"},
		{"folder emptied before compressing", func(dir string) { os.RemoveAll(filepath.Join(dir, "src/pkg")) },
			func(entries []archive.Entry) error {
				_, err := archive.WriteZip(context.Background(), io.Discard, entries, layer.DefaultModified, 2)
				return err
			},
			"src/pkg/b.py vanished while the layer was being read"},
		{"cut short before compressing", func(dir string) { os.Truncate(filepath.Join(dir, "src/pkg/b.py"), 10) },
			func(entries []archive.Entry) error {
				_, err := archive.WriteZip(context.Background(), io.Discard, entries, layer.DefaultModified, 2)
				return err
			},
			"src/pkg/b.py changed while the layer was being read: rebuild when nothing writes to the sources"},
		{"grown before compressing", func(dir string) {
			os.WriteFile(filepath.Join(dir, "src/pkg/b.py"), []byte(strings.Repeat("b", 4000)), 0o644)
		}, func(entries []archive.Entry) error {
			_, err := archive.WriteZip(context.Background(), io.Discard, entries, layer.DefaultModified, 2)
			return err
		},
			"src/pkg/b.py changed while the layer was being read"},
		{"deleted before hashing", func(dir string) { os.Remove(filepath.Join(dir, "src/pkg/b.py")) },
			func(entries []archive.Entry) error {
				_, err := newHashMemo("", true).sumEntries(context.Background(), entries)
				return err
			},
			"src/pkg/b.py vanished while the layer was being read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, entries := list(t)
			tc.change(dir)
			err := tc.read(entries)
			var ce *archive.ChangedError
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant a *ChangedError saying %s", err, tc.want)
			}
		})
	}
}

// Folders emptied and refilled while a build walks them: whatever the
// timing, an error is a *ChangedError naming what vanished, never a bare
// lstat or open error.
func TestChangedDuringTheWalk(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	fill := func(i int) { // from the churning goroutine too: no t.Fatal
		sub := filepath.Join(src, fmt.Sprintf("d%d", i), "sub")
		os.MkdirAll(sub, 0o755)
		for j := range 20 {
			os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.py", j)), []byte("x"), 0o644)
		}
	}
	for i := range 8 {
		fill(i)
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
			os.RemoveAll(filepath.Join(src, fmt.Sprintf("d%d", i%8)))
			fill(i % 8)
		}
	}()
	var seen atomic.Int32
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && seen.Load() < 20 {
		_, err := archive.ListSources("l", []archive.Source{{Path: src, To: "python", Label: "src"}}, nil, "")
		if err == nil {
			continue
		}
		seen.Add(1)
		var ce *archive.ChangedError
		if !errors.As(err, &ce) || !ce.Vanished || !strings.HasPrefix(err.Error(), `layer "l": src/d`) {
			close(stop)
			wg.Wait()
			t.Fatalf("got %v, want a *ChangedError", err)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d walks met a folder emptied under them", seen.Load())
}
