package lambdafacts

import "regexp"

// Lambda's limits on layers and functions (per region), from the Lambda
// developer guide's quotas page and the API reference, but for
// MaxPublishBody (Lambda's answers).
const (
	// MaxUnzipped is the most a function and all its layers may hold
	// unzipped: 250 MB.
	MaxUnzipped = 262_144_000
	// MaxPublishBody is the HTTP body PublishLayerVersion takes: the body
	// (JSON, the ZIP base64-encoded in it as Content.ZipFile) must be
	// smaller than this many bytes, or Lambda answers 413
	// RequestEntityTooLargeException "Request must be smaller than
	// 70167211 bytes for the PublishLayerVersion operation". AWS's quotas
	// page gives only "50 MB (zipped, for direct upload)"; the number is
	// Lambda's own answer, seen since about 2024
	// (https://github.com/minorun365/bedrock-book/issues/42, 2024-10-27); it
	// was 69,905,067 before (2016 to 2020,
	// https://github.com/amazon-archives/aws-lambda-container-image-converter/issues/60).
	// Checked 2026-11-30. Larger ZIPs go through S3.
	MaxPublishBody = 70_167_211
	// MaxInline is the largest ZIP any PublishLayerVersion request can carry
	// inline: base64 makes 4 bytes of every 3 (rounded up), and the
	// smallest body around it is {"Content":{"ZipFile":""}} (26 bytes).
	// It is 52,625,388 bytes (50 MiB and 196,588 bytes); a request's
	// metadata leaves a little less room.
	MaxInline = (MaxPublishBody - 1 - smallestPublishBody) / 4 * 3
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

// smallestPublishBody is the length of {"Content":{"ZipFile":""}}, the
// smallest PublishLayerVersion body that carries a ZIP.
const smallestPublishBody = 26

// layerName is Lambda's rule for layer names.
var layerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,140}$`)

// ValidLayerName reports whether name is a name Lambda takes for a layer:
// 1 to 140 letters, digits, hyphens or underscores.
func ValidLayerName(name string) bool { return layerName.MatchString(name) }
