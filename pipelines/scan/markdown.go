package scan

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// maxRows bounds each findings table in the Markdown summary; scan.json has all.
const maxRows = 50

// Markdown renders the result as a Markdown summary for a pull request or a
// CI job page.
func Markdown(r Result) []byte {
	var b bytes.Buffer
	verdict := "passed"
	if !r.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "# Scan gate: %s\n\n", verdict)
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", k, cell(v))
		}
	}
	row("Artifact", code(r.Artifact))
	row("Image ID", code(r.ImageID))
	row("Repo digests", code(strings.Join(r.RepoDigests, ", ")))
	row("OS", r.OS)
	row("Vulnerability DB", dbLine(r.DB))
	row("Policy", policyLine(r.Policy))
	row("Evaluated", r.EvaluatedAt.Format(time.RFC3339))
	b.WriteString("\n| Severity | Found | Failing |\n|---|--:|--:|\n")
	for _, s := range Severities {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", s, r.Found.Of(s), r.Failing.Of(s))
	}
	fmt.Fprintf(&b, "| **Total** | %d | %d |\n\n", r.Found.Total(), r.Failing.Total())
	fmt.Fprintf(&b, "Outcomes: %d failing, %d warned, %d allowed, %d unfixed ignored, %d below threshold.\n",
		r.Outcomes[Failing], r.Outcomes[Warned], r.Outcomes[Allowed], r.Outcomes[Unfixed], r.Outcomes[BelowThreshold])
	if len(r.Failures) > 0 {
		b.WriteString("\n## Failures\n\n")
		for i, f := range r.Failures {
			fmt.Fprintf(&b, "%d. %s\n", i+1, f.Message)
		}
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\n## Warnings\n\n")
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	findingsTable(&b, "Failing and warned findings", r.Findings, Failing, Warned)
	findingsTable(&b, "Allowed findings", r.Findings, Allowed)
	findingsTable(&b, "Ignored findings (unfixed or below threshold)", r.Findings, Unfixed, BelowThreshold)
	return b.Bytes()
}

func findingsTable(b *bytes.Buffer, title string, all []Finding, outcomes ...Outcome) {
	var rows []Finding
	for _, f := range all {
		for _, o := range outcomes {
			if f.Outcome == o {
				rows = append(rows, f)
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n| Severity | ID | Package | Installed | Fixed | Target | Outcome | Rule | Title or reason |\n|---|---|---|---|---|---|---|---|---|\n", title)
	for i, f := range rows {
		if i == maxRows {
			fmt.Fprintf(b, "\n… and %d more in scan.json.\n", len(rows)-maxRows)
			break
		}
		text := f.Title
		if f.Outcome == Allowed {
			text = f.Reason
		}
		id := f.ID
		if f.URL != "" {
			id = fmt.Sprintf("[%s](%s)", f.ID, f.URL)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f.Severity, cell(id), cell(f.Package),
			cell(f.InstalledVersion), cell(f.FixedVersion), cell(f.Target), f.Outcome, cell(f.Rule), cell(text))
	}
}

func dbLine(db DB) string {
	var parts []string
	if ref := db.Repository; ref != "" {
		if db.Digest != "" {
			ref += "@" + db.Digest
		}
		parts = append(parts, code(ref))
	} else if db.Digest != "" {
		parts = append(parts, code(db.Digest))
	}
	if !db.UpdatedAt.IsZero() {
		parts = append(parts, "updated "+db.UpdatedAt.UTC().Format(time.RFC3339))
	}
	return strings.Join(parts, ", ")
}

func policyLine(p Policy) string {
	s := fmt.Sprintf("%s: vulnerabilities fail at %s and above", code(p.Path), p.Severity)
	if p.IgnoreUnfixed {
		s += " (unfixed ignored)"
	}
	s += fmt.Sprintf("; secrets %s; misconfigurations %s at %s and above; %d allow-list entries",
		p.Secrets, p.Misconfig, p.MisconfigSeverity, len(p.Allow))
	return s
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

// cell makes s safe inside a table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
