package schema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferryml/ferry/pipelines/data/report"
	"github.com/ferryml/ferry/pipelines/data/table"
)

// Rules the schema checks.
const (
	RuleMissingColumn = "schema.missing_column"
	RuleExtraColumn   = "schema.extra_column"
	RuleType          = "schema.type"
	RuleNullable      = "schema.nullable"
	RuleMin           = "schema.min"
	RuleMax           = "schema.max"
	RuleValues        = "schema.values"
)

// Validate checks t against the schema; role ("batch" or "reference") tags each
// violation. It returns the violations and the number of rules checked.
func (s *Schema) Validate(t *table.Table, role string) ([]report.Violation, int) {
	var out []report.Violation
	checked := 0
	add := func(column, rule, observed, limit, key string) {
		out = append(out, report.Violation{Table: role, Column: column, Rule: rule,
			Observed: observed, Limit: limit, Source: s.Source(key)})
	}
	for _, c := range s.Columns {
		checked++
		if !t.HasColumn(c.Name) {
			add(c.Name, RuleMissingColumn, "no such column in "+t.Name, "column present", "columns."+c.Name)
			continue
		}
		col := t.Column(c.Name)
		checked += 2
		if col.Invalid > 0 {
			at := col.FirstInvalid
			add(c.Name, RuleType, fmt.Sprintf("%d values not %s, first %q at %s", col.Invalid, article(c.Type), at.Value, at),
				c.Type, "columns."+c.Name+".type")
		}
		if !c.Nullable && col.Nulls > 0 {
			add(c.Name, RuleNullable, fmt.Sprintf("%d null values, first at row %d", col.Nulls, firstMissing(col)),
				"no nulls", "columns."+c.Name+".nullable")
		}
		if c.Numeric() {
			if c.Min != nil {
				checked++
				if v := Below(col, *c.Min); v.Count > 0 {
					add(c.Name, RuleMin, v.String("<"), ">= "+report.Format(*c.Min), "columns."+c.Name+".min")
				}
			}
			if c.Max != nil {
				checked++
				if v := Above(col, *c.Max); v.Count > 0 {
					add(c.Name, RuleMax, v.String(">"), "<= "+report.Format(*c.Max), "columns."+c.Name+".max")
				}
			}
		}
		if c.Type == TypeCategory {
			checked++
			if unknown := Unknown(col, c.Values); unknown != "" {
				add(c.Name, RuleValues, unknown, "one of "+strings.Join(c.Values, ", "), "columns."+c.Name+".values")
			}
		}
	}
	checked++
	if !s.AllowExtraColumns {
		for _, h := range t.Header {
			if s.Column(h) == nil {
				add(h, RuleExtraColumn, "column not in the schema", "only the schema's columns", "allow_extra_columns")
			}
		}
	}
	return out, checked
}

func article(typ string) string {
	if typ == TypeInteger {
		return "an integer"
	}
	return "a " + typ
}

func firstMissing(col *table.Column) int {
	for i := 0; i < col.Len(); i++ {
		if col.Missing(i) {
			return i + 1
		}
	}
	return 0
}

// OutOfRange counts the values on the wrong side of a bound.
type OutOfRange struct {
	Count int
	// Worst is the value furthest past the bound; Row is the 1-based row of the first one.
	Worst float64
	Row   int
}

// String describes the values, e.g. "3 values < 0.2 (lowest -1, first at row 17)".
func (o OutOfRange) String(op string) string {
	word := "lowest"
	if op == ">" {
		word = "highest"
	}
	return fmt.Sprintf("%d values %s bound (%s %s, first at row %d)", o.Count, op, word, report.Format(o.Worst), o.Row)
}

// Below counts the values of a numeric column under min.
func Below(col *table.Column, min float64) OutOfRange {
	var o OutOfRange
	for i, v := range col.Nums {
		if v < min {
			if o.Count == 0 || v < o.Worst {
				o.Worst = v
			}
			if o.Count == 0 {
				o.Row = i + 1
			}
			o.Count++
		}
	}
	return o
}

// Above counts the values of a numeric column over max.
func Above(col *table.Column, max float64) OutOfRange {
	var o OutOfRange
	for i, v := range col.Nums {
		if v > max {
			if o.Count == 0 || v > o.Worst {
				o.Worst = v
			}
			if o.Count == 0 {
				o.Row = i + 1
			}
			o.Count++
		}
	}
	return o
}

// Unknown describes the values of a string column outside allowed, e.g.
// `2 values not allowed: "Excellent" ×2`; "" when there are none.
func Unknown(col *table.Column, allowed []string) string {
	counts := col.Counts()
	var bad []string
	total := 0
	for _, v := range col.Dict {
		if !slices.Contains(allowed, v) && counts[v] > 0 {
			total += counts[v]
			if len(bad) < 5 {
				bad = append(bad, fmt.Sprintf("%q ×%d", v, counts[v]))
			}
		}
	}
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("%d values not allowed: %s", total, strings.Join(bad, ", "))
}
