package quality

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/data/report"
	"github.com/ferryml/ferry/pipelines/data/schema"
	"github.com/ferryml/ferry/pipelines/data/table"
)

const testSchema = `
target: label
columns:
  - {name: w, type: float}
  - {name: "n", type: integer, nullable: true}
  - {name: label, type: category, values: [a, b, c]}
`

const testSpec = `
min_rows: 3
max_duplicate_fraction: 0.25
max_null_fraction: 0
class_balance: {min_fraction: 0.1, max_fraction: 0.6}
columns:
  w: {min: 1, max: 5}
  "n": {max_null_fraction: 0.5}
  label: {allowed: [a, b, c]}
`

func setup(t *testing.T, spec string) (*schema.Schema, *Spec) {
	t.Helper()
	sch, err := schema.Parse([]byte(testSchema), "schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse([]byte(spec), "quality.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckAgainst(sch); err != nil {
		t.Fatal(err)
	}
	return sch, s
}

func read(t *testing.T, sch *schema.Schema, csv string) *table.Table {
	t.Helper()
	tb, err := table.ReadCSV(strings.NewReader("w,n,label\n"+csv), table.WithName("b.csv"), table.WithFields(sch.Fields()...))
	if err != nil {
		t.Fatalf("ReadCSV(%q) error %v", csv, err)
	}
	return tb
}

func find(vs []report.Violation, rule string) *report.Violation {
	for i := range vs {
		if vs[i].Rule == rule {
			return &vs[i]
		}
	}
	return nil
}

// TestCheck breaks each rule once, and checks good data breaks none.
func TestCheck(t *testing.T) {
	sch, spec := setup(t, testSpec)
	good := "1,1,a\n2,,b\n3,3,c\n4,4,a\n5,5,b\n"
	tests := []struct {
		name, csv, rule, source, observed string
	}{
		{"good", good, "", "", ""},
		{"too few rows", "1,1,a\n2,2,b\n", RuleMinRows, "min_rows", "2 rows"},
		{"nulls (default limit)", good + ",6,c\n", RuleMaxNullFraction, "max_null_fraction", "1 of 6 rows"},
		{"nulls (column limit)", "1,,a\n2,,b\n3,,c\n4,4,a\n", RuleMaxNullFraction, "columns.n.max_null_fraction", "0.75 (3 of 4 rows)"},
		{"below min", good + "0.5,6,c\n", RuleMin, "columns.w.min", "lowest 0.5"},
		{"above max", good + "6,6,c\n", RuleMax, "columns.w.max", "highest 6"},
		{"unknown value", good + "1,6,d\n", RuleAllowed, "columns.label.allowed", `"d" ×1`},
		{"duplicates", "1,1,a\n1,1,a\n1,1,a\n2,2,b\n3,3,c\n", RuleMaxDuplicateFraction, "max_duplicate_fraction", "2 of 5 rows"},
		{"rare class", "1,1,a\n2,2,a\n3,3,b\n4,4,b\n5,5,a\n", RuleClassMinFraction, "class_balance.min_fraction", "c 0 (0 of 5)"},
		{"common class", "1,1,a\n2,2,a\n3,3,a\n4,4,a\n5,5,b\n1,6,c\n", RuleClassMaxFraction, "class_balance.max_fraction", "a 0.666667 (4 of 6)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, checked := spec.Check(read(t, sch, tt.csv), sch)
			if checked < 8 {
				t.Errorf("Check() checked %d rules, want at least 8", checked)
			}
			if tt.rule == "" {
				if len(got) != 0 {
					t.Errorf("Check(%q) = %v, want no violations", tt.csv, got)
				}
				return
			}
			v := find(got, tt.rule)
			if v == nil || v.Source != "quality.yaml: "+tt.source || !strings.Contains(v.Observed, tt.observed) {
				t.Errorf("Check(%q) = %+v, want %s from quality.yaml: %s observing %q", tt.csv, got, tt.rule, tt.source, tt.observed)
			}
		})
	}
}

func TestCheckAgainstErrors(t *testing.T) {
	tests := []struct{ name, spec, want string }{
		{"unknown column", "columns:\n  v: {min: 1}\n", "columns.v: no such column"},
		{"bare y", "columns:\n  y: {min: 1}\n", "quote the name"},
		{"range on text", "columns:\n  label: {min: 1}\n", "min and max need a numeric column"},
		{"allowed on a number", "columns:\n  w: {allowed: [x]}\n", "allowed needs a text column"},
		{"fraction over 1", "max_duplicate_fraction: 2\n", "max_duplicate_fraction: 2 is not a fraction"},
		{"balance on a number", "class_balance: {column: w, min_fraction: 0.1}\n", "class_balance needs a category column"},
	}
	sch, err := schema.Parse([]byte(testSchema), "schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.spec), "q.yaml")
			if err == nil {
				err = s.CheckAgainst(sch)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckAgainst(%q) error = %v, want one containing %q", tt.spec, err, tt.want)
			}
		})
	}
	if _, err := Parse([]byte("min_row: 3\n"), "q.yaml"); err == nil || !strings.Contains(err.Error(), "min_row") {
		t.Errorf("Parse(typo) error = %v, want the unknown field named", err)
	}
}

func TestDuplicatesCountsNullsAsEqual(t *testing.T) {
	sch, _ := setup(t, testSpec)
	if got := Duplicates(read(t, sch, "1,,a\n1,,a\n,2,\n,2,\n1,2,a\n")); got != 2 {
		t.Errorf("Duplicates() = %d, want 2", got)
	}
}

// drifted writes n rows whose w is uniform on [shift, shift+1) and whose label is "a"
// with probability pa (else "b").
func drifted(n int, shift, pa float64) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		label := "b"
		if float64(i%100) < pa*100 {
			label = "a"
		}
		fmt.Fprintf(&b, "%g,%d,%s\n", shift+float64(i)/float64(n), i%100, label)
	}
	return b.String()
}

const driftSpec = `
drift:
  psi: {bins: 10, max: 0.2}
  ks: {max_statistic: 0.1, min_p_value: 0.001}
  chi_square: {min_p_value: 0.001}
`

func TestCheckDrift(t *testing.T) {
	sch, spec := setup(t, driftSpec)
	ref := read(t, sch, drifted(2000, 0, 0.5))
	tests := []struct {
		name  string
		batch string
		spec  string
		rules []string
		src   string
	}{
		{"same distribution", drifted(500, 0, 0.5), driftSpec, nil, ""},
		{"numeric shift", drifted(500, 0.3, 0.5), driftSpec, []string{RulePSI, RuleKSStatistic, RuleKSPValue}, "drift.ks.max_statistic"},
		{"category shift", drifted(500, 0, 0.8), driftSpec, []string{RulePSI, RuleChiSquarePValue}, "drift.chi_square.min_p_value"},
		{"column skipped", drifted(500, 0.3, 0.5), driftSpec + "columns:\n  w: {drift: {skip: true}}\n", nil, ""},
		{"column override", drifted(500, 0.3, 0.5), "columns:\n  w: {drift: {psi: {max: 0.01}}}\n", []string{RulePSI}, "columns.w.drift.psi.max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, spec = setup(t, tt.spec)
			stats, got, _ := spec.CheckDrift(ref, read(t, sch, tt.batch), sch)
			if want := 3 - strings.Count(tt.spec, "skip: true"); len(stats) != want {
				t.Errorf("CheckDrift() gave statistics for %d columns, want %d", len(stats), want)
			}
			if len(got) != len(tt.rules) {
				t.Fatalf("CheckDrift(%s) = %+v, want %v", tt.name, got, tt.rules)
			}
			for _, rule := range tt.rules {
				if find(got, rule) == nil {
					t.Errorf("CheckDrift(%s) = %+v, want %s", tt.name, got, rule)
				}
			}
			if tt.src != "" && !strings.Contains(fmt.Sprint(got), "quality.yaml: "+tt.src) {
				t.Errorf("CheckDrift(%s) = %+v, want a limit from quality.yaml: %s", tt.name, got, tt.src)
			}
		})
	}
}
