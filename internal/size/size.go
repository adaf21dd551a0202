// Package size writes a byte count the way AWS documents its limits:
// 1024-based units written MB, so Lambda's 262,144,000 bytes read as
// 250.0 MB. The domain writes it into the messages it must keep as text
// (findings and errors, which the JSON output carries as strings, and log
// lines), and cmd (internal/output) where it renders sizes: one function,
// so both read alike, and the domain imports no presentation code.
package size

import "fmt"

// Text is n bytes as AWS writes sizes: "512 B", "1.5 KB", "250.0 MB".
func Text(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTPE"[exp])
}
