package output

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// PublishRow is one line of a publish report.
type PublishRow struct {
	Layer, Region string
	Version       int64
	Status, ARN   string
}

// GitHubPublish appends, when run in GitHub Actions, one step output per
// ARN (arn-LAYER-REGION=ARN) to the file GITHUB_OUTPUT names, and a
// Markdown table to the job summary GITHUB_STEP_SUMMARY names. Empty paths
// are skipped.
func GitHubPublish(outputPath, summaryPath string, rows []PublishRow) error {
	var errs []error
	if outputPath != "" {
		var b strings.Builder
		for _, r := range rows {
			if r.ARN != "" {
				fmt.Fprintf(&b, "arn-%s-%s=%s\n", r.Layer, r.Region, r.ARN)
			}
		}
		errs = append(errs, appendFile(outputPath, b.String()))
	}
	if summaryPath != "" {
		var b strings.Builder
		b.WriteString("### layerctl publish\n\n| Layer | Region | Version | Status | ARN |\n|---|---|---|---|---|\n")
		for _, r := range rows {
			version := "-"
			if r.Version > 0 {
				version = fmt.Sprint(r.Version)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` |\n", r.Layer, r.Region, version, r.Status, r.ARN)
		}
		b.WriteString("\n")
		errs = append(errs, appendFile(summaryPath, b.String()))
	}
	return errors.Join(errs...)
}

func appendFile(path, s string) error {
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing GitHub outputs: %w", err)
	}
	_, err = fh.WriteString(s)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing GitHub outputs: %w", err)
	}
	return nil
}
