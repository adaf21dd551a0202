package output

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// PublishRow is one line of a publish report.
type PublishRow struct {
	Layer   string
	Account string // an account the manifest names; "" for the credentials' own
	Region  string
	Version int64
	Status  string
	ARN     string
}

// GitHubPublish appends, when run in GitHub Actions, one step output per
// ARN (arn-LAYER-REGION=ARN, arn-LAYER-ACCOUNT-REGION=ARN in an account the
// manifest names) to the file GITHUB_OUTPUT names, and a Markdown table
// (with an Account column when a row has one) to the job summary
// GITHUB_STEP_SUMMARY names. Empty paths are skipped.
func GitHubPublish(outputPath, summaryPath string, rows []PublishRow) error {
	var errs []error
	if outputPath != "" {
		var b strings.Builder
		for _, r := range rows {
			switch {
			case r.ARN == "":
			case r.Account != "":
				fmt.Fprintf(&b, "arn-%s-%s-%s=%s\n", r.Layer, r.Account, r.Region, r.ARN)
			default:
				fmt.Fprintf(&b, "arn-%s-%s=%s\n", r.Layer, r.Region, r.ARN)
			}
		}
		errs = append(errs, appendFile(outputPath, b.String()))
	}
	if summaryPath != "" {
		accounts := slices.ContainsFunc(rows, func(r PublishRow) bool { return r.Account != "" })
		var b strings.Builder
		if accounts {
			b.WriteString("### layerctl publish\n\n| Layer | Account | Region | Version | Status | ARN |\n|---|---|---|---|---|---|\n")
		} else {
			b.WriteString("### layerctl publish\n\n| Layer | Region | Version | Status | ARN |\n|---|---|---|---|---|\n")
		}
		for _, r := range rows {
			version := "-"
			if r.Version > 0 {
				version = fmt.Sprint(r.Version)
			}
			account := ""
			switch {
			case accounts && r.Account == "":
				account = " - |" // the credentials' own
			case accounts:
				account = " " + r.Account + " |"
			}
			fmt.Fprintf(&b, "| %s |%s %s | %s | %s | `%s` |\n", r.Layer, account, r.Region, version, r.Status, r.ARN)
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
