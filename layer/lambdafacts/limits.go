package lambdafacts

import "regexp"

// Lambda's limits on layers and functions (per region), from the Lambda
// developer guide's quotas page.
const (
	// MaxUnzipped is the most a function and all its layers may hold
	// unzipped: 250 MB.
	MaxUnzipped = 262_144_000
	// MaxInline is the largest ZIP PublishLayerVersion takes in the request;
	// a bigger one must go through S3.
	MaxInline = 50 << 20
	// MaxLayersPerFunction is how many layers one function may use.
	MaxLayersPerFunction = 5
	// MaxDescription is the longest description of a layer version, in
	// characters.
	MaxDescription = 256
	// MaxLicense is the longest license info of a layer version, in
	// characters.
	MaxLicense = 512
	// MaxRuntimesPerVersion is how many compatible runtimes one layer
	// version may list.
	MaxRuntimesPerVersion = 15
)

// layerName is Lambda's rule for layer names.
var layerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,140}$`)

// ValidLayerName reports whether name is a name Lambda takes for a layer:
// 1 to 140 letters, digits, hyphens or underscores.
func ValidLayerName(name string) bool { return layerName.MatchString(name) }
