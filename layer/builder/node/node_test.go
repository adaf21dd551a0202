package node

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerctl/layerctl/internal/testenv"
	"github.com/layerctl/layerctl/layer/builder"
)

func TestNodeJobNeedsALockFile(t *testing.T) {
	dir := t.TempDir()
	testenv.Tree(t, dir, map[string]string{"fn/package.json": `{"name": "fn"}`})
	j := &Job{Layer: "fn", PkgDir: filepath.Join(dir, "fn"), Label: "fn", Arch: "x86_64", Stage: filepath.Join(dir, "stage")}
	err := j.Run(t.Context(), &builder.Tools{})
	if err == nil || !strings.Contains(err.Error(), "fn has no package-lock.json") || !strings.Contains(err.Error(), "commit package-lock.json") {
		t.Fatalf("got %v", err)
	}
}
