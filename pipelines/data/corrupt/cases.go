package corrupt

import (
	"math"
	"slices"
	"strconv"

	"github.com/ferryml/ferry/pipelines/data/quality"
	"github.com/ferryml/ferry/pipelines/data/schema"
)

// Case is one kind of damage and what a data check must say about it.
type Case struct {
	// Name says what was damaged, e.g. "nulls".
	Name string
	// Rules are the violations the damaged batch must cause, all of them; empty when
	// the damaged file must not be readable at all.
	Rules []string
	// Error is text the error must contain, when Rules is empty.
	Error string
	// Apply writes the damaged copy of src to dst.
	Apply func(src, dst string) error
}

// Cases returns the standard damages for a data set described by sch and spec, each
// applied to the columns it suits: a numeric feature, a categorical feature, the target.
// The expected rules follow from the schema and the spec (a null rule is expected only
// where nulls are not allowed, and so on).
func Cases(sch *schema.Schema, spec *quality.Spec) []Case {
	num, cat := pick(sch, func(c *schema.Column) bool { return c.Numeric() }),
		pick(sch, func(c *schema.Column) bool { return c.Type == schema.TypeCategory })
	qc := spec.Columns[num.Name]
	cs := []Case{
		{Name: "drop-column", Rules: []string{schema.RuleMissingColumn},
			Apply: func(src, dst string) error { return DropColumn(src, dst, num.Name) }},
		{Name: "add-column", Rules: []string{schema.RuleExtraColumn},
			Apply: func(src, dst string) error { return AddColumn(src, dst, "unexpected_column", "1") }},
		{Name: "wrong-type", Rules: []string{schema.RuleType},
			Apply: func(src, dst string) error { return SetCells(src, dst, num.Name, "not-a-number", 50) }},
		{Name: "duplicates", Rules: []string{quality.RuleMaxDuplicateFraction},
			Apply: func(src, dst string) error { return Duplicate(src, dst, dupFraction(spec)) }},
		{Name: "drift", Rules: []string{quality.RuleKSStatistic, quality.RulePSI},
			Apply: func(src, dst string) error { return Shift(src, dst, num.Name, shiftFor(num, qc)) }},
		{Name: "wrong-delimiter", Error: "is the delimiter ';'?",
			Apply: func(src, dst string) error { return Delimiter(src, dst, ';') }},
		{Name: "non-utf8", Error: "invalid UTF-8",
			Apply: func(src, dst string) error { return NonUTF8(src, dst, cat.Name, 7) }},
		{Name: "ragged-row", Error: "fields, the header has",
			Apply: func(src, dst string) error { return Ragged(src, dst, 5) }},
		{Name: "header-only", Error: "no data rows", Apply: HeaderOnly},
		{Name: "empty", Error: "the file is empty", Apply: Empty},
	}
	var nullRules []string
	if !num.Nullable {
		nullRules = append(nullRules, schema.RuleNullable)
	}
	if qc.MaxNullFraction != nil || spec.MaxNullFraction != nil {
		nullRules = append(nullRules, quality.RuleMaxNullFraction)
	}
	if len(nullRules) > 0 {
		cs = append(cs, Case{Name: "nulls", Rules: nullRules,
			Apply: func(src, dst string) error { return SetCells(src, dst, num.Name, "", 10) }})
	}
	if hi, rules := outOfRange(num, qc); rules != nil {
		cs = append(cs, Case{Name: "out-of-range", Rules: rules,
			Apply: func(src, dst string) error { return SetCells(src, dst, num.Name, hi, 100) }})
	}
	if cat != nil {
		rules := []string{schema.RuleValues}
		if len(spec.Columns[cat.Name].Allowed) > 0 {
			rules = append(rules, quality.RuleAllowed)
		}
		cs = append(cs, Case{Name: "unknown-category", Rules: rules,
			Apply: func(src, dst string) error { return SetCells(src, dst, cat.Name, "Not-A-Category", 100) }})
	}
	if target := sch.Column(sch.Target); target != nil && spec.ClassBalance != nil && spec.ClassBalance.MinFraction != nil {
		// Keep 1 in 100 rows of the target's first class: far below any sensible minimum share.
		cs = append(cs, Case{Name: "class-imbalance", Rules: []string{quality.RuleClassMinFraction},
			Apply: func(src, dst string) error { return Thin(src, dst, target.Name, target.Values[0], 100) }})
	}
	if spec.MinRows != nil && *spec.MinRows > 1 {
		cs = append(cs, Case{Name: "too-few-rows", Rules: []string{quality.RuleMinRows},
			Apply: func(src, dst string) error { return Head(src, dst, *spec.MinRows-1) }})
	}
	return cs
}

// pick returns the first column that is not the target and matches ok.
func pick(sch *schema.Schema, ok func(*schema.Column) bool) *schema.Column {
	for i := range sch.Columns {
		if c := &sch.Columns[i]; c.Name != sch.Target && ok(c) {
			return c
		}
	}
	return &schema.Column{Name: "missing"}
}

func dupFraction(spec *quality.Spec) float64 {
	if spec.MaxDuplicateFraction == nil {
		return 0.05
	}
	return math.Max(0.05, 3**spec.MaxDuplicateFraction)
}

// outOfRange returns a value above the column's upper bounds and the rules it breaks.
func outOfRange(c *schema.Column, qc quality.Column) (string, []string) {
	var rules []string
	hi := math.Inf(-1)
	if c.Max != nil {
		rules, hi = append(rules, schema.RuleMax), *c.Max
	}
	if qc.Max != nil {
		rules, hi = append(rules, quality.RuleMax), math.Max(hi, *qc.Max)
	}
	if rules == nil {
		return "", nil
	}
	return strconv.FormatFloat(hi+math.Abs(hi)*10+1, 'f', -1, 64), slices.Clip(rules)
}

// shiftFor is a shift big enough to be drift: a fifth of the column's plausible range.
func shiftFor(c *schema.Column, qc quality.Column) float64 {
	lo, hi := qc.Min, qc.Max
	if lo == nil || hi == nil {
		lo, hi = c.Min, c.Max
	}
	if lo == nil || hi == nil {
		return 1
	}
	return (*hi - *lo) / 5
}
