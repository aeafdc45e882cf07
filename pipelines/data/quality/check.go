package quality

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ferryml/ferry/pipelines/data/report"
	"github.com/ferryml/ferry/pipelines/data/schema"
	"github.com/ferryml/ferry/pipelines/data/table"
)

// Rules the spec checks on a batch.
const (
	RuleMinRows              = "quality.min_rows"
	RuleMaxNullFraction      = "quality.max_null_fraction"
	RuleMin                  = "quality.min"
	RuleMax                  = "quality.max"
	RuleAllowed              = "quality.allowed"
	RuleMaxDuplicateFraction = "quality.max_duplicate_fraction"
	RuleClassMinFraction     = "quality.class_balance.min_fraction"
	RuleClassMaxFraction     = "quality.class_balance.max_fraction"
)

// Check applies the spec's table and column rules to a batch. It returns the
// violations and the number of rules checked.
func (s *Spec) Check(batch *table.Table, sch *schema.Schema) ([]report.Violation, int) {
	var out []report.Violation
	checked := 0
	add := func(column, rule, observed, limit, key string) {
		out = append(out, report.Violation{Table: "batch", Column: column, Rule: rule,
			Observed: observed, Limit: limit, Source: s.Source(key)})
	}
	if s.MinRows != nil {
		checked++
		if batch.Rows < *s.MinRows {
			add("", RuleMinRows, fmt.Sprintf("%d rows", batch.Rows), fmt.Sprintf(">= %d rows", *s.MinRows), "min_rows")
		}
	}
	for _, sc := range sch.Columns {
		col := batch.Column(sc.Name)
		if col == nil {
			continue // a schema violation already
		}
		c := s.Columns[sc.Name]
		limit, key := c.MaxNullFraction, "columns."+sc.Name+".max_null_fraction"
		if limit == nil {
			limit, key = s.MaxNullFraction, "max_null_fraction"
		}
		if limit != nil {
			checked++
			if f := float64(col.Nulls) / float64(batch.Rows); f > *limit {
				add(sc.Name, RuleMaxNullFraction, fmt.Sprintf("%s (%d of %d rows)", report.Format(f), col.Nulls, batch.Rows),
					"<= "+report.Format(*limit), key)
			}
		}
		if c.Min != nil && col.Kind != table.String {
			checked++
			if v := schema.Below(col, *c.Min); v.Count > 0 {
				add(sc.Name, RuleMin, v.String("<"), ">= "+report.Format(*c.Min), "columns."+sc.Name+".min")
			}
		}
		if c.Max != nil && col.Kind != table.String {
			checked++
			if v := schema.Above(col, *c.Max); v.Count > 0 {
				add(sc.Name, RuleMax, v.String(">"), "<= "+report.Format(*c.Max), "columns."+sc.Name+".max")
			}
		}
		if len(c.Allowed) > 0 && col.Kind == table.String {
			checked++
			if u := schema.Unknown(col, c.Allowed); u != "" {
				add(sc.Name, RuleAllowed, u, "one of "+strings.Join(c.Allowed, ", "), "columns."+sc.Name+".allowed")
			}
		}
	}
	if s.MaxDuplicateFraction != nil {
		checked++
		dups := Duplicates(batch)
		if f := float64(dups) / float64(batch.Rows); f > *s.MaxDuplicateFraction {
			add("", RuleMaxDuplicateFraction, fmt.Sprintf("%s (%d of %d rows repeat an earlier row)", report.Format(f), dups, batch.Rows),
				"<= "+report.Format(*s.MaxDuplicateFraction), "max_duplicate_fraction")
		}
	}
	if cb := s.ClassBalance; cb != nil {
		n, vs := s.classBalance(batch, sch)
		checked += n
		out = append(out, vs...)
	}
	return out, checked
}

// classBalance checks the share of each class, including classes the schema lists
// that the batch lacks (share 0).
func (s *Spec) classBalance(batch *table.Table, sch *schema.Schema) (int, []report.Violation) {
	name := s.classColumn(sch)
	col := batch.Column(name)
	if col == nil || col.Kind != table.String {
		return 0, nil
	}
	counts := col.Counts()
	classes := slices.Clone(sch.Column(name).Values)
	for _, v := range col.Dict {
		if !slices.Contains(classes, v) && counts[v] > 0 {
			classes = append(classes, v)
		}
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	var out []report.Violation
	checked := 0
	bound := func(rule, op string, limit *float64, key string, broken func(f float64) bool) {
		if limit == nil {
			return
		}
		checked++
		var bad []string
		for _, c := range classes {
			f := float64(counts[c]) / float64(max(total, 1))
			if broken(f) {
				bad = append(bad, fmt.Sprintf("%s %s (%d of %d)", c, report.Format(f), counts[c], total))
			}
		}
		if len(bad) > 0 {
			out = append(out, report.Violation{Table: "batch", Column: name, Rule: rule, Observed: strings.Join(bad, "; "),
				Limit: op + " " + report.Format(*limit) + " per class", Source: s.Source(key)})
		}
	}
	cb := s.ClassBalance
	bound(RuleClassMinFraction, ">=", cb.MinFraction, "class_balance.min_fraction", func(f float64) bool { return f < *cb.MinFraction })
	bound(RuleClassMaxFraction, "<=", cb.MaxFraction, "class_balance.max_fraction", func(f float64) bool { return f > *cb.MaxFraction })
	return checked, out
}

// Duplicates counts the rows that repeat an earlier row in every column read. Rows are
// compared by a 64-bit hash, sorted rather than kept in a map to hold memory at 8 bytes
// a row; two different rows collide with probability ~rows²/2⁶⁵.
func Duplicates(t *table.Table) int {
	hashes := make([]uint64, t.Rows)
	nan := math.Float64bits(math.NaN())
	for i := range hashes {
		h := uint64(0x243f6a8885a308d3)
		for _, c := range t.Columns {
			// Codes stand for strings within one table; one NaN stands for every missing number.
			var bits uint64
			switch {
			case c.Kind == table.String:
				bits = uint64(uint32(c.Codes[i]))
			case math.IsNaN(c.Nums[i]):
				bits = nan
			default:
				bits = math.Float64bits(c.Nums[i])
			}
			h = mix(h ^ bits)
		}
		hashes[i] = h
	}
	slices.Sort(hashes)
	dups := 0
	for i := 1; i < len(hashes); i++ {
		if hashes[i] == hashes[i-1] {
			dups++
		}
	}
	return dups
}

// mix is splitmix64's finaliser: a bijection on 64 bits with full avalanche.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
