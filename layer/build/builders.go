package build

import (
	"github.com/layerctl/layerctl/layer/builder"
	"github.com/layerctl/layerctl/layer/builder/gobuild"
	"github.com/layerctl/layerctl/layer/builder/node"
	"github.com/layerctl/layerctl/layer/builder/python"
)

// ecosystems are the package builders, in the order a layer's are keyed
// and installed. A new ecosystem is a manifest key, a package under
// layer/builder, and one line here.
var ecosystems = []builder.New{
	python.New,
	node.New,
	gobuild.New,
}

// buildersOf are the builders the layer in env uses.
func buildersOf(env builder.Env) []builder.Builder {
	var out []builder.Builder
	for _, newBuilder := range ecosystems {
		if b := newBuilder(env); b != nil {
			out = append(out, b)
		}
	}
	return out
}
