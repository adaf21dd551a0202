package cmd

import (
	"slices"
	"strings"

	"github.com/layerctl/layerctl/layer/lambdafacts"
)

// validateTargets checks runtimes and architectures given on the command line.
func validateTargets(runtimes, archs []string) error {
	valid := lambdafacts.Runtimes()
	for _, r := range runtimes {
		if !slices.Contains(valid, r) {
			return usagef("--runtime %q is not a Lambda runtime; valid: %s", r, strings.Join(valid, ", "))
		}
	}
	for _, a := range archs {
		if !slices.Contains(lambdafacts.Architectures, a) {
			return usagef("--architecture %q is not a Lambda architecture; valid: %s", a, strings.Join(lambdafacts.Architectures, ", "))
		}
	}
	return nil
}
