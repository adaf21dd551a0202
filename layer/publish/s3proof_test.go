package publish

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/layer"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func TestCompositeSHA256(t *testing.T) {
	data := []byte("0123456789abcdefghij") // 20 bytes
	path := filepath.Join(t.TempDir(), "layer.zip")
	os.WriteFile(path, data, 0o644)
	hexSum := hex.EncodeToString(sum(data))
	for _, tc := range []struct {
		partSize int64
		parts    [][]byte
	}{
		{8, [][]byte{data[:8], data[8:16], data[16:]}},
		{10, [][]byte{data[:10], data[10:]}}, // a last part of exactly the part size
		{64, [][]byte{data}},
	} {
		var cat []byte
		for _, p := range tc.parts {
			cat = append(cat, sum(p)...)
		}
		got, n, err := compositeSHA256(context.Background(), path, hexSum, tc.partSize)
		if err != nil || got != b64(sum(cat)) || n != len(tc.parts) {
			t.Errorf("part size %d: %s, %d parts, %v; want %s, %d parts", tc.partSize, got, n, err, b64(sum(cat)), len(tc.parts))
		}
	}
	// The file no longer holds the content built: nothing is proven by it.
	if _, _, err := compositeSHA256(context.Background(), path, strings.Repeat("0", 64), 8); err == nil || !strings.Contains(err.Error(), "changed since it was built") {
		t.Errorf("a changed artifact: %v", err)
	}
}

func TestUnproven(t *testing.T) {
	zip := []byte("PK a small layer")
	path := filepath.Join(t.TempDir(), "layer.zip")
	os.WriteFile(path, zip, 0o644)
	p := &regionPublisher{t: &Target{Artifact: &layer.Artifact{Path: path, SHA256: hex.EncodeToString(sum(zip)), CodeSHA256: b64(sum(zip)), Size: int64(len(zip))}}}
	composite := b64(sum(sum(zip))) // one part
	for _, tc := range []struct {
		name, sum string
		size      int64
		want      string // "" proven, else a part of the reason
	}{
		{"the ZIP's own SHA-256 (one PutObject)", b64(sum(zip)), int64(len(zip)), ""},
		{"composite, as S3 writes it", composite + "-1", int64(len(zip)), ""},
		{"composite, as moto writes it", composite, int64(len(zip)), ""},
		{"composite with another number of parts", composite + "-2", int64(len(zip)), "its SHA-256 checksum is " + composite + "-2"},
		{"no checksum", "", int64(len(zip)), "S3 holds no SHA-256 checksum of it"},
		{"another checksum", b64(sum([]byte("other"))), int64(len(zip)), "not the ZIP's"},
		{"another size", b64(sum(zip)), 3, "it is 3 bytes"},
	} {
		got, err := p.unproven(context.Background(), tc.size, tc.sum)
		if err != nil || (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
