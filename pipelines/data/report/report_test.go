package report

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func failing() *Report {
	return &Report{
		Batch:        Input{URI: "b.csv", Rows: 10},
		Reference:    Input{URI: "r.csv", Rows: 20},
		Schema:       "schema.yaml",
		Quality:      "quality.yaml",
		RulesChecked: 9,
		Violations: []Violation{
			{Table: "batch", Column: "w", Rule: "quality.max", Observed: "1 values > bound", Limit: "<= 5", Source: "quality.yaml: columns.w.max"},
			{Table: "batch", Rule: "quality.min_rows", Observed: "10 rows", Limit: ">= 100 rows", Source: "quality.yaml: min_rows"},
			{Table: "batch", Column: "a|b", Rule: "schema.values", Observed: `"x|y" ×1`, Limit: "one of a", Source: "schema.yaml: columns.a|b.values"},
			{Table: "reference", Column: "z", Rule: "schema.nullable", Observed: "1 null", Limit: "no nulls", Source: "schema.yaml: columns.z.nullable"},
		},
		Drift: []Drift{{Column: "w", Kind: "numeric", PSI: 0.5, KSStatistic: NumberPtr(0.25), KSPValue: NumberPtr(1e-9), KSMethod: "exact"}},
	}
}

func TestPassedAndErr(t *testing.T) {
	ok := &Report{Batch: Input{URI: "b.csv"}}
	if !ok.Passed() || ok.Err() != nil || !strings.HasPrefix(ok.Summary(), "data checks passed") {
		t.Errorf("empty report: Passed() = %v, Err() = %v, Summary() = %q, want a pass", ok.Passed(), ok.Err(), ok.Summary())
	}
	r := failing()
	err := r.Err()
	if r.Passed() || !errors.Is(err, ErrFailed) {
		t.Fatalf("Err() = %v, want ErrFailed", err)
	}
	for _, want := range []string{"4 violations in b.csv", "batch column w: quality.max: observed 1 values > bound, limit <= 5 (quality.yaml: columns.w.max)", "quality.yaml: min_rows"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err() = %q, want it to contain %q", err, want)
		}
	}
	if got, want := r.Summary(), "data checks FAILED: b.csv (10 rows), 4 of 9 rules broken: quality.max on w, quality.min_rows, schema.values on a|b, and 1 more"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if strings.Contains(r.Summary(), "\n") {
		t.Error("Summary() spans lines, want one")
	}
}

func TestMarkdownEscapesPipes(t *testing.T) {
	md := failing().Markdown()
	if !strings.Contains(md, `a\|b`) || strings.Contains(md, " a|b ") {
		t.Errorf("Markdown() does not escape | in cells:\n%s", md)
	}
	if !strings.Contains(md, "| w | numeric | 0.5 | 0.25 | 1e-09 (exact) |") {
		t.Errorf("Markdown() drift row missing:\n%s", md)
	}
}

func TestJSON(t *testing.T) {
	r := failing()
	r.Drift[0].PSI = Number(math.NaN())
	js, err := r.JSON()
	if err != nil {
		t.Fatalf("JSON() error %v", err)
	}
	for _, want := range []string{`"passed": false`, `"psi": null`, `"limit": "<= 5"`, `"ks_p_value": 1e-09`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON() lacks %s:\n%s", want, js)
		}
	}
}
