package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Violation is one broken rule.
type Violation struct {
	// Table is "batch" or "reference".
	Table string `json:"table"`
	// Column is the column the rule is about; "" for rules on the whole table.
	Column string `json:"column,omitempty"`
	// Rule names the rule, e.g. "quality.max_null_fraction".
	Rule string `json:"rule"`
	// Observed is what the data showed.
	Observed string `json:"observed"`
	// Limit is what the rule allows.
	Limit string `json:"limit"`
	// Source is where the limit comes from, e.g. "models/data/quality.yaml: columns.carat.max_null_fraction".
	Source string `json:"source"`
}

func (v Violation) String() string {
	col := ""
	if v.Column != "" {
		col = " column " + v.Column
	}
	return fmt.Sprintf("%s%s: %s: observed %s, limit %s (%s)", v.Table, col, v.Rule, v.Observed, v.Limit, v.Source)
}

// Input describes one file that was checked.
type Input struct {
	URI          string `json:"uri"`
	Format       string `json:"format"`
	Rows         int    `json:"rows"`
	Columns      int    `json:"columns"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Drift holds the drift statistics of one column, batch against reference.
type Drift struct {
	Column string `json:"column"`
	// Kind is "numeric" or "categorical".
	Kind string `json:"kind"`
	PSI  Number `json:"psi"`
	// KS fields are set for numeric columns.
	KSStatistic *Number `json:"ks_statistic,omitempty"`
	KSPValue    *Number `json:"ks_p_value,omitempty"`
	KSMethod    string  `json:"ks_method,omitempty"`
	// Chi-square fields are set for categorical columns.
	ChiSquare       *Number `json:"chi_square,omitempty"`
	ChiSquarePValue *Number `json:"chi_square_p_value,omitempty"`
	ChiSquareDOF    int     `json:"chi_square_dof,omitempty"`
}

// Number is a float64 written with 6 significant digits, so reports are stable across
// platforms whose last bits differ.
type Number float64

// MarshalJSON writes the number with 6 significant digits.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return []byte(Format(f)), nil
}

// NumberPtr returns a pointer to f as a Number.
func NumberPtr(f float64) *Number {
	n := Number(f)
	return &n
}

// Format writes f with 6 significant digits, the way reports show numbers.
func Format(f float64) string {
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// Report is the outcome of checking a batch against a schema, a quality spec and a reference.
type Report struct {
	Batch     Input  `json:"batch"`
	Reference Input  `json:"reference"`
	Schema    string `json:"schema"`
	Quality   string `json:"quality"`
	// RulesChecked counts the rules evaluated.
	RulesChecked int         `json:"rules_checked"`
	Violations   []Violation `json:"violations"`
	Drift        []Drift     `json:"drift"`
}

// Passed reports whether no rule was broken.
func (r *Report) Passed() bool { return len(r.Violations) == 0 }

// Summary returns one line saying whether the checks passed and why not.
func (r *Report) Summary() string {
	if r.Passed() {
		return fmt.Sprintf("data checks passed: %s (%d rows) against %s (%d rows), %d rules, 0 violations",
			r.Batch.URI, r.Batch.Rows, r.Reference.URI, r.Reference.Rows, r.RulesChecked)
	}
	var names []string
	for i, v := range r.Violations {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(r.Violations)-3))
			break
		}
		if v.Column != "" {
			names = append(names, v.Rule+" on "+v.Column)
		} else {
			names = append(names, v.Rule)
		}
	}
	return fmt.Sprintf("data checks FAILED: %s (%d rows), %d of %d rules broken: %s",
		r.Batch.URI, r.Batch.Rows, len(r.Violations), r.RulesChecked, strings.Join(names, ", "))
}

// ErrFailed is wrapped by the error of a failed report.
var ErrFailed = errors.New("data checks failed")

// Err returns nil when the checks passed, else an error naming every violation.
func (r *Report) Err() error {
	if r.Passed() {
		return nil
	}
	lines := make([]string, 0, len(r.Violations))
	for _, v := range r.Violations {
		lines = append(lines, "  "+v.String())
	}
	return fmt.Errorf("%w: %d violations in %s:\n%s", ErrFailed, len(r.Violations), r.Batch.URI, strings.Join(lines, "\n"))
}

// JSON returns the report as indented JSON with a trailing newline.
func (r *Report) JSON() ([]byte, error) {
	out := struct {
		Passed  bool   `json:"passed"`
		Summary string `json:"summary"`
		*Report
	}{r.Passed(), r.Summary(), r}
	if out.Violations == nil {
		out.Violations = []Violation{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "<=" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	return b.Bytes(), nil
}
