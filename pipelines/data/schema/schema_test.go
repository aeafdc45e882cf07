package schema

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/data/table"
)

const testSchema = `
name: test
target: label
columns:
  - {name: w, type: float, min: 0, max: 10}
  - {name: "n", type: integer, nullable: true}
  - {name: label, type: category, values: [a, b]}
`

func mustParse(t *testing.T, y string) *Schema {
	t.Helper()
	s, err := Parse([]byte(y), "schema.yaml")
	if err != nil {
		t.Fatalf("Parse() error %v", err)
	}
	return s
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"no columns", "name: x\n", "no columns"},
		{"unknown field", "columns:\n  - {name: a, type: float, maxi: 3}\n", `unknown field "maxi"`},
		{"unknown type", "columns:\n  - {name: a, type: decimal}\n", `type "decimal" is not one of`},
		{"min over max", "columns:\n  - {name: a, type: float, min: 3, max: 1}\n", "min 3 > max 1"},
		{"category without values", "columns:\n  - {name: a, type: category}\n", "needs values"},
		{"values on a number", "columns:\n  - {name: a, type: integer, values: [x]}\n", "only for category"},
		{"range on text", "columns:\n  - {name: a, type: string, min: 1}\n", "only for numeric"},
		{"twice", "columns:\n  - {name: a, type: float}\n  - {name: a, type: float}\n", `"a" listed twice`},
		{"bare y", "columns:\n  - {name: y, type: float}\n", "quote the name"},
		{"no such target", "target: t\ncolumns:\n  - {name: a, type: float}\n", `target "t" is not a column`},
		{"numeric target", "target: a\ncolumns:\n  - {name: a, type: float}\n", "must be a category"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "s.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "s.yaml") {
				t.Errorf("Parse(%q) error = %v, want one naming s.yaml and containing %q", tt.yaml, err, tt.want)
			}
		})
	}
}

func read(t *testing.T, s *Schema, csv string) *table.Table {
	t.Helper()
	tb, err := table.ReadCSV(strings.NewReader(csv), table.WithName("b.csv"), table.WithFields(s.Fields()...))
	if err != nil {
		t.Fatalf("ReadCSV(%q) error %v", csv, err)
	}
	return tb
}

// TestValidate breaks each rule once, and checks good data breaks none.
func TestValidate(t *testing.T) {
	s := mustParse(t, testSchema)
	tests := []struct {
		name, csv, rule, source, observed string
	}{
		{"good", "w,n,label\n1,2,a\n3,,b\n", "", "", ""},
		{"missing column", "w,label\n1,a\n", RuleMissingColumn, "columns.n", "no such column"},
		{"extra column", "w,n,label,x\n1,2,a,9\n", RuleExtraColumn, "allow_extra_columns", "not in the schema"},
		{"wrong type", "w,n,label\n1,2,a\nabc,2,a\n", RuleType, "columns.w.type", `1 values not a float, first "abc" at b.csv:3:1`},
		{"integer with a fraction", "w,n,label\n1,2.5,a\n", RuleType, "columns.n.type", "not an integer"},
		{"null", "w,n,label\n1,2,a\n,2,b\n", RuleNullable, "columns.w.nullable", "1 null values, first at row 2"},
		{"below min", "w,n,label\n-1,2,a\n", RuleMin, "columns.w.min", "lowest -1"},
		{"above max", "w,n,label\n11,2,a\n12,2,a\n", RuleMax, "columns.w.max", "2 values > bound (highest 12, first at row 1)"},
		{"unknown value", "w,n,label\n1,2,c\n", RuleValues, "columns.label.values", `"c" ×1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, checked := s.Validate(read(t, s, tt.csv), "batch")
			if checked == 0 {
				t.Error("Validate() checked no rules")
			}
			if tt.rule == "" {
				if len(got) != 0 {
					t.Errorf("Validate(%q) = %v, want no violations", tt.csv, got)
				}
				return
			}
			if len(got) != 1 || got[0].Rule != tt.rule || got[0].Source != "schema.yaml: "+tt.source ||
				!strings.Contains(got[0].Observed, tt.observed) || got[0].Table != "batch" {
				t.Errorf("Validate(%q) = %+v, want one %s from schema.yaml: %s observing %q", tt.csv, got, tt.rule, tt.source, tt.observed)
			}
		})
	}
}

func TestAllowExtraColumns(t *testing.T) {
	s := mustParse(t, testSchema+"allow_extra_columns: true\n")
	if got, _ := s.Validate(read(t, s, "w,n,label,x\n1,2,a,9\n"), "batch"); len(got) != 0 {
		t.Errorf("Validate(extra column, allowed) = %v, want none", got)
	}
}
