package quality

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/ferryml/ferry/pipelines/data/schema"
)

// Spec is the data-quality spec: the tolerances a new batch must meet.
type Spec struct {
	// Path is where the spec was read from; violations cite it.
	Path string `json:"-"`
	// MinRows is the fewest rows a batch may have.
	MinRows *int `json:"min_rows,omitempty"`
	// MaxDuplicateFraction is the largest share of rows that repeat an earlier row.
	MaxDuplicateFraction *float64 `json:"max_duplicate_fraction,omitempty"`
	// MaxNullFraction applies to every column without its own.
	MaxNullFraction *float64 `json:"max_null_fraction,omitempty"`
	// ClassBalance bounds the share of each class of the target column.
	ClassBalance *ClassBalance `json:"class_balance,omitempty"`
	// Columns holds per-column rules, by column name.
	Columns map[string]Column `json:"columns,omitempty"`
	// Drift holds the drift thresholds for every column.
	Drift Drift `json:"drift"`
}

// Column holds the rules for one column.
type Column struct {
	MaxNullFraction *float64 `json:"max_null_fraction,omitempty"`
	// Min and Max bound plausible values, inclusive.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Allowed lists the values a string column may hold.
	Allowed []string `json:"allowed,omitempty"`
	// Drift overrides the spec-wide drift thresholds for this column.
	Drift *Drift `json:"drift,omitempty"`
}

// ClassBalance bounds the share of each class.
type ClassBalance struct {
	// Column defaults to the schema's target.
	Column      string   `json:"column,omitempty"`
	MinFraction *float64 `json:"min_fraction,omitempty"`
	MaxFraction *float64 `json:"max_fraction,omitempty"`
}

// Drift holds drift thresholds. Unset thresholds are not checked.
type Drift struct {
	// Skip turns drift checks off (for a column).
	Skip      bool       `json:"skip,omitempty"`
	PSI       *PSI       `json:"psi,omitempty"`
	KS        *KS        `json:"ks,omitempty"`
	ChiSquare *ChiSquare `json:"chi_square,omitempty"`
}

// PSI bounds the population stability index.
type PSI struct {
	// Bins is the number of quantile bins for numeric columns. Default 10.
	Bins int      `json:"bins,omitempty"`
	Max  *float64 `json:"max,omitempty"`
}

// KS bounds the two-sample Kolmogorov–Smirnov test of numeric columns.
type KS struct {
	MaxStatistic *float64 `json:"max_statistic,omitempty"`
	MinPValue    *float64 `json:"min_p_value,omitempty"`
}

// ChiSquare bounds the chi-square test of categorical columns.
type ChiSquare struct {
	MinPValue *float64 `json:"min_p_value,omitempty"`
}

// Load reads a spec file.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading quality spec: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a spec; path is cited in errors and violations.
func Parse(data []byte, path string) (*Spec, error) {
	var s Spec
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return nil, fmt.Errorf("parsing quality spec %s: %w", path, err)
	}
	s.Path = path
	return &s, nil
}

// Source cites a key of the spec file, e.g. "models/data/quality.yaml: columns.carat.max_null_fraction".
func (s *Spec) Source(key string) string { return s.Path + ": " + key }

// CheckAgainst reports spec entries that do not fit the schema: unknown columns,
// ranges on text columns, allowed values on numeric ones, fractions outside [0, 1].
func (s *Spec) CheckAgainst(sch *schema.Schema) error {
	fracs := map[string]*float64{"max_duplicate_fraction": s.MaxDuplicateFraction, "max_null_fraction": s.MaxNullFraction}
	if cb := s.ClassBalance; cb != nil {
		col := s.classColumn(sch)
		if c := sch.Column(col); c == nil || c.Type != schema.TypeCategory {
			return fmt.Errorf("%s: class_balance needs a category column (set class_balance.column or the schema's target)", s.Path)
		}
		fracs["class_balance.min_fraction"], fracs["class_balance.max_fraction"] = cb.MinFraction, cb.MaxFraction
	}
	for _, name := range slices.Sorted(maps.Keys(s.Columns)) {
		c, sc := s.Columns[name], sch.Column(name)
		if sc == nil {
			hint := ""
			if name == "true" || name == "false" {
				hint = " (YAML reads a bare y, n, yes, no, on or off as a boolean: quote the name)"
			}
			return fmt.Errorf("%s: columns.%s: no such column in %s%s", s.Path, name, sch.Path, hint)
		}
		if (c.Min != nil || c.Max != nil) && !sc.Numeric() {
			return fmt.Errorf("%s: columns.%s: min and max need a numeric column, %s is %s", s.Path, name, name, sc.Type)
		}
		if len(c.Allowed) > 0 && sc.Numeric() {
			return fmt.Errorf("%s: columns.%s: allowed needs a text column, %s is %s", s.Path, name, name, sc.Type)
		}
		fracs["columns."+name+".max_null_fraction"] = c.MaxNullFraction
	}
	for key, f := range fracs {
		if f != nil && (*f < 0 || *f > 1) {
			return fmt.Errorf("%s: %s: %v is not a fraction between 0 and 1", s.Path, key, *f)
		}
	}
	return nil
}

func (s *Spec) classColumn(sch *schema.Schema) string {
	if s.ClassBalance != nil && s.ClassBalance.Column != "" {
		return s.ClassBalance.Column
	}
	return sch.Target
}
