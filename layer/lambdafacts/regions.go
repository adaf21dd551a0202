package lambdafacts

import (
	"regexp"
	"slices"
)

var regionFormat = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// ValidRegion reports whether r is shaped like an AWS region name.
func ValidRegion(r string) bool { return regionFormat.MatchString(r) }

// KnownRegions are the AWS regions this layerctl knows of (2026-11), for
// suggestions only: a region missing here is still used, with a warning.
var KnownRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "eusc-de-east-1", "il-central-1",
	"me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
	"us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
}

// KnownRegion reports whether r is in KnownRegions.
func KnownRegion(r string) bool { return slices.Contains(KnownRegions, r) }
