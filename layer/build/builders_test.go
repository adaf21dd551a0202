package build

import (
	"fmt"
	"testing"

	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/manifest"
)

// A layer gets the builders of the ecosystems its manifest names, in the
// order they are keyed and installed: python, node, go.
func TestBuildersOfALayer(t *testing.T) {
	tests := []struct {
		layer manifest.Layer
		want  string
	}{
		{manifest.Layer{}, "[]"},
		{manifest.Layer{Go: []manifest.GoBuild{{Package: "./cmd/x", To: "bin/x"}}}, "[*gobuild.goBuilder]"},
		{manifest.Layer{Python: &manifest.Python{Requirements: "r.txt"}, Node: &manifest.Node{Package: "."}, Go: []manifest.GoBuild{{Package: "./x", To: "bin/x"}}},
			"[*python.pyBuilder *node.nodeBuilder *gobuild.goBuilder]"},
	}
	for _, tt := range tests {
		bs := buildersOf(builder.Env{Layer: &tt.layer})
		var types []string
		for _, b := range bs {
			types = append(types, fmt.Sprintf("%T", b))
		}
		if got := fmt.Sprint(types); got != tt.want {
			t.Errorf("builders %s, want %s", got, tt.want)
		}
	}
}
