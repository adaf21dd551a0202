package manifest

import (
	"fmt"
	"slices"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// RegionsFor picks the regions a layer is published to and attached in:
// given (--region) when there are any, else the layer's own (its regions,
// or its defaults'), else configured (the SDK's configured region). A
// region given twice is kept once, where it first appears: publishing it
// twice at once would race for one version. unknown lists the regions,
// shaped like region names, that this layerctl does not know: they are
// used all the same, and worth a warning.
func (l *Layer) RegionsFor(given []string, configured string) (regions, unknown []string, err error) {
	switch {
	case len(given) > 0:
		for _, r := range given {
			if r != "" && !slices.Contains(regions, r) {
				regions = append(regions, r)
			}
		}
	case len(l.Regions) > 0:
		regions = l.Regions
	case configured != "":
		regions = []string{configured}
	default:
		return nil, nil, fmt.Errorf("no region for layer %q: set regions: in the manifest (layer or defaults), pass --region, or set AWS_REGION", l.Name)
	}
	for _, r := range regions {
		if !lambdafacts.ValidRegion(r) {
			return nil, nil, fmt.Errorf("%q is not an AWS region%s: regions look like us-east-1 or eu-west-2", r, RegionHint(r))
		}
		if !lambdafacts.KnownRegion(r) {
			unknown = append(unknown, r)
		}
	}
	return regions, unknown, nil
}
