package lambdafacts

import (
	"regexp"
	"slices"
	"sort"
)

// regionFormat covers every partition's names: us-east-1, us-gov-west-1,
// cn-north-1, eusc-de-east-1 (the European Sovereign Cloud), us-isob-east-1.
var regionFormat = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)

// ValidRegion reports whether r is shaped like an AWS region name.
func ValidRegion(r string) bool { return regionFormat.MatchString(r) }

// partitions maps each region of the AWS SDK's partitions to its partition,
// the second field of its ARNs (arn:aws-eusc:lambda:eusc-de-east-1:...).
// Copied from aws-sdk-go-v2's internal/endpoints/awsrulesfn/partitions.json
// at the version in go.mod, which a test compares it with.
var partitions = map[string]string{
	"af-south-1":      "aws",
	"ap-east-1":       "aws",
	"ap-east-2":       "aws",
	"ap-northeast-1":  "aws",
	"ap-northeast-2":  "aws",
	"ap-northeast-3":  "aws",
	"ap-south-1":      "aws",
	"ap-south-2":      "aws",
	"ap-southeast-1":  "aws",
	"ap-southeast-2":  "aws",
	"ap-southeast-3":  "aws",
	"ap-southeast-4":  "aws",
	"ap-southeast-5":  "aws",
	"ap-southeast-6":  "aws",
	"ap-southeast-7":  "aws",
	"ca-central-1":    "aws",
	"ca-west-1":       "aws",
	"cn-north-1":      "aws-cn",
	"cn-northwest-1":  "aws-cn",
	"eu-central-1":    "aws",
	"eu-central-2":    "aws",
	"eu-isoe-west-1":  "aws-iso-e",
	"eu-north-1":      "aws",
	"eu-south-1":      "aws",
	"eu-south-2":      "aws",
	"eu-west-1":       "aws",
	"eu-west-2":       "aws",
	"eu-west-3":       "aws",
	"eusc-de-east-1":  "aws-eusc",
	"il-central-1":    "aws",
	"me-central-1":    "aws",
	"me-south-1":      "aws",
	"me-west-1":       "aws",
	"mx-central-1":    "aws",
	"sa-east-1":       "aws",
	"sa-west-1":       "aws",
	"us-east-1":       "aws",
	"us-east-2":       "aws",
	"us-gov-east-1":   "aws-us-gov",
	"us-gov-west-1":   "aws-us-gov",
	"us-iso-east-1":   "aws-iso",
	"us-iso-west-1":   "aws-iso",
	"us-isob-east-1":  "aws-iso-b",
	"us-isob-west-1":  "aws-iso-b",
	"us-isof-east-1":  "aws-iso-f",
	"us-isof-south-1": "aws-iso-f",
	"us-west-1":       "aws",
	"us-west-2":       "aws",
}

// KnownRegions are the regions of the AWS SDK's partitions, sorted, for
// suggestions and warnings only: a region missing here is still used, with
// a warning.
var KnownRegions = func() []string {
	out := make([]string, 0, len(partitions))
	for r := range partitions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}()

// KnownRegion reports whether r is in KnownRegions.
func KnownRegion(r string) bool { return slices.Contains(KnownRegions, r) }

// Partition is the ARN partition of region r: "aws", "aws-cn",
// "aws-us-gov", "aws-eusc", ...; "aws" for a region this layerctl does not
// know, as AWS adds regions to that partition.
func Partition(r string) string {
	if p, ok := partitions[r]; ok {
		return p
	}
	return "aws"
}
