package check

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// inspectWithin runs Inspect in a goroutine and fails the test if it does
// not return within d: a FIFO or a device must never hang it.
func inspectWithin(t *testing.T, d time.Duration, path string) (*Report, error) {
	t.Helper()
	type result struct {
		r   *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := Inspect(context.Background(), path, InspectOptions{})
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-time.After(d):
		t.Fatalf("inspect %s still running after %s", path, d)
		return nil, nil
	}
}

func TestInspectRefusesAZipTooBigForALayer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: nothing is written, and nothing must be read either.
	if err := f.Truncate(maxZipSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	start := time.Now()
	_, err = Inspect(context.Background(), path, InspectOptions{})
	want := fmt.Sprintf("huge.zip is %d bytes, more than the %d bytes a layer ZIP can usefully be", maxZipSize+1, maxZipSize)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %s: the file was read", d)
	}
}

func TestInspectRefusesTooManyEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for i := range maxEntries + 1 {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("python/%x", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Inspect(context.Background(), path, InspectOptions{})
	want := fmt.Sprintf("many.zip has more than %d entries, more than a layer can usefully hold: not inspected", maxEntries)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// countingReaderAt cancels a context at its cancelAt-th read and counts
// the reads made after that.
type countingReaderAt struct {
	r        io.ReaderAt
	reads    int
	cancelAt int
	cancel   context.CancelFunc
	after    int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.reads++
	if c.reads > c.cancelAt && c.cancelAt > 0 {
		c.after++
	}
	if c.reads == c.cancelAt {
		c.cancel()
	}
	return c.r.ReadAt(p, off)
}

// Cancelled at any read (hashing, the central directory, an entry's
// header or head), inspect makes no further read and says it was stopped.
func TestInspectStopsAtAnyPointWhenCancelled(t *testing.T) {
	files := map[string]string{}
	for i := range 300 {
		files[fmt.Sprintf("python/pkg/m%03d.py", i)] = strings.Repeat("x = 1\n", 50*i)
	}
	files["lib/native.so"] = "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 100)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	zw.Close()
	data := bytes.NewReader(buf.Bytes())

	all := &countingReaderAt{r: data}
	if _, err := inspectReader(context.Background(), all, data.Size(), InspectOptions{}); err != nil {
		t.Fatal(err)
	}
	if all.reads < 100 {
		t.Fatalf("only %d reads: the test would not reach the entries", all.reads)
	}
	for k := 1; k <= all.reads; k += max(1, all.reads/200) {
		ctx, cancel := context.WithCancel(context.Background())
		c := &countingReaderAt{r: data, cancelAt: k, cancel: cancel}
		_, err := inspectReader(ctx, c, data.Size(), InspectOptions{})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled at read %d of %d: error %v", k, all.reads, err)
		}
		if c.after > 0 {
			t.Fatalf("cancelled at read %d of %d: %d more reads", k, all.reads, c.after)
		}
	}
}

// writeTestZip writes a ZIP of name -> content, in sorted order.
func writeTestZip(t *testing.T, path string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInspectSaysItWasStopped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "layer.zip")
	writeTestZip(t, path, map[string]string{"python/a.py": "x"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Inspect(ctx, path, InspectOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "inspecting "+path+": stopped: context canceled") {
		t.Fatalf("error %v", err)
	}
}
