package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/zip"
)

// DigestAt is the SHA-256 (hex) a ZIP that WriteZip made would have had
// with every entry's time set to modified instead: the same entries, in
// the same order, with the same bytes, only the timestamps changed. Two
// ZIPs whose DigestAt at one time agree hold the same files. It reads the
// ZIP once and writes nothing; the caller checks first that DigestAt at
// the ZIP's own time gives back its digest (a ZIP another tool made may
// not come out the same).
func DigestAt(ctx context.Context, zipPath string, modified time.Time) (string, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", zipPath, err)
	}
	defer zr.Close()
	date, tm := msdosTime(modified)
	h := sha256.New()
	zw := zip.NewWriter(h)
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		fh := f.FileHeader
		fh.Modified = time.Time{} // set only the MS-DOS fields, as WriteZip does
		fh.ModifiedDate, fh.ModifiedTime = date, tm
		raw, err := f.OpenRaw()
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", zipPath, err)
		}
		out, err := zw.CreateRaw(&fh)
		if err != nil {
			return "", err
		}
		if _, err := io.Copy(out, raw); err != nil {
			return "", fmt.Errorf("reading %s: %w", zipPath, err)
		}
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
