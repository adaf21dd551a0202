package output

import (
	"fmt"
	"strings"
)

// StatusRow is one function configuration of a status report.
type StatusRow struct {
	Layer, Region       string
	Function, Qualifier string
	Aliases             []string
	Version, Latest     int64
	Behind              int64
	Watched             bool // $LATEST or aliased: what --exit-code counts
}

// GitHubStatus appends, when run in GitHub Actions, a Markdown table of
// the configurations to the job summary GITHUB_STEP_SUMMARY names; an
// empty path is skipped.
func GitHubStatus(summaryPath string, rows []StatusRow) error {
	if summaryPath == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("### layerctl status\n\n| Layer | Region | Function | Qualifier | Aliases | Version | Newest | Behind |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		aliases := "-"
		if len(r.Aliases) > 0 {
			aliases = strings.Join(r.Aliases, ", ")
		}
		behind := fmt.Sprint(r.Behind)
		if r.Behind > 0 && r.Watched {
			behind = fmt.Sprintf("**%d behind**", r.Behind)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s | %d | %d | %s |\n", r.Layer, r.Region, r.Function, r.Qualifier, aliases, r.Version, r.Latest, behind)
	}
	if len(rows) == 0 {
		b.WriteString("| (no function uses these layers) | | | | | | | |\n")
	}
	b.WriteString("\n")
	return appendFile(summaryPath, b.String())
}
