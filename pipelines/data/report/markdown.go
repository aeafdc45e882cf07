package report

import (
	"fmt"
	"strings"
)

// Markdown renders the report for a pull request comment or a CI summary.
func (r *Report) Markdown() string {
	var b strings.Builder
	status := "passed"
	if !r.Passed() {
		status = "FAILED"
	}
	fmt.Fprintf(&b, "# Data checks: %s\n\n%s\n\n", status, r.Summary())
	fmt.Fprintf(&b, "Schema `%s`, quality spec `%s`.\n\n", r.Schema, r.Quality)

	if !r.Passed() {
		fmt.Fprintf(&b, "## Violations (%d)\n\n", len(r.Violations))
		b.WriteString("| Table | Column | Rule | Observed | Limit | Source |\n|---|---|---|---|---|---|\n")
		for _, v := range r.Violations {
			row(&b, v.Table, v.Column, "`"+v.Rule+"`", v.Observed, v.Limit, "`"+v.Source+"`")
		}
		b.WriteString("\n")
	}

	if len(r.Drift) > 0 {
		b.WriteString("## Drift (batch against reference)\n\n")
		b.WriteString("| Column | Kind | PSI | KS D | KS p | χ² | χ² p |\n|---|---|---|---|---|---|---|\n")
		for _, d := range r.Drift {
			row(&b, d.Column, d.Kind, Format(float64(d.PSI)), num(d.KSStatistic), pval(d.KSPValue, d.KSMethod),
				num(d.ChiSquare), pval(d.ChiSquarePValue, dof(d.ChiSquareDOF)))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Inputs\n\n| | URI | Format | Rows | Columns | Bytes | SHA-256 | ETag | Last-Modified |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, in := range []struct {
		name string
		in   Input
	}{{"batch", r.Batch}, {"reference", r.Reference}} {
		row(&b, in.name, "`"+in.in.URI+"`", in.in.Format, fmt.Sprint(in.in.Rows), fmt.Sprint(in.in.Columns),
			fmt.Sprint(in.in.Size), "`"+in.in.SHA256+"`", in.in.ETag, in.in.LastModified)
	}
	return b.String()
}

func row(b *strings.Builder, cells ...string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + strings.ReplaceAll(strings.ReplaceAll(c, "|", `\|`), "\n", " ") + " |")
	}
	b.WriteString("\n")
}

func num(n *Number) string {
	if n == nil {
		return ""
	}
	return Format(float64(*n))
}

func pval(n *Number, note string) string {
	if n == nil {
		return ""
	}
	if note == "" {
		return Format(float64(*n))
	}
	return Format(float64(*n)) + " (" + note + ")"
}

func dof(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d dof", n)
}
