// Package scan is the vulnerability-scan gate for ferry's serving image: it
// reads the JSON report of a Trivy scan (vulnerabilities, secrets,
// misconfigurations), judges every finding against a scan policy (a severity
// threshold, how to treat unfixed vulnerabilities, secrets and
// misconfigurations, and an allow-list whose entries carry a reason and an
// expiry date), and writes the verdict as JSON and Markdown.
//
// The report types mirror the fields ferry reads from Trivy v0.74.0's JSON
// output (schema version 2); Trivy itself is not imported.
package scan
