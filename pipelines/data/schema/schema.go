package schema

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/ferryml/ferry/pipelines/data/table"
)

// Types a column can declare.
const (
	TypeFloat    = "float"
	TypeInteger  = "integer"
	TypeCategory = "category"
	TypeString   = "string"
)

// Schema is the contract every file checked against it must meet.
type Schema struct {
	// Path is where the schema was read from; violations cite it.
	Path string `json:"-"`
	// Name names the data set.
	Name string `json:"name"`
	// Target is the column a model learns to predict; it must be a category.
	Target string `json:"target"`
	// AllowExtraColumns accepts columns the schema does not list. Default false.
	AllowExtraColumns bool     `json:"allow_extra_columns,omitempty"`
	Columns           []Column `json:"columns"`
}

// Column is one column of the contract.
type Column struct {
	Name string `json:"name"`
	// Type is float, integer, category or string.
	Type string `json:"type"`
	// Nullable allows empty cells. Default false.
	Nullable bool `json:"nullable,omitempty"`
	// Min and Max bound numeric values, inclusive: the physical domain of the column.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Values lists the allowed values of a category.
	Values      []string `json:"values,omitempty"`
	Description string   `json:"description,omitempty"`
}

// Numeric reports whether the column holds numbers.
func (c *Column) Numeric() bool { return c.Type == TypeFloat || c.Type == TypeInteger }

// Load reads and checks a schema file.
func Load(path string) (*Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading schema: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes and checks a schema; path is cited in errors and violations.
func Parse(data []byte, path string) (*Schema, error) {
	var s Schema
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return nil, fmt.Errorf("parsing schema %s: %w", path, err)
	}
	s.Path = path
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("checking schema %s: %w", path, err)
	}
	return &s, nil
}

func (s *Schema) check() error {
	if len(s.Columns) == 0 {
		return fmt.Errorf("no columns: list them under columns:")
	}
	seen := map[string]bool{}
	for i, c := range s.Columns {
		where := fmt.Sprintf("columns[%d]", i)
		switch {
		case c.Name == "":
			return fmt.Errorf("%s: no name", where)
		case c.Name == "true" || c.Name == "false":
			return fmt.Errorf("%s: column named %s: YAML reads a bare y, n, yes, no, on or off as a boolean; quote the name", where, c.Name)
		case seen[c.Name]:
			return fmt.Errorf("%s: column %q listed twice", where, c.Name)
		}
		seen[c.Name] = true
		switch c.Type {
		case TypeFloat, TypeInteger:
			if len(c.Values) > 0 {
				return fmt.Errorf("columns.%s: values is only for category columns", c.Name)
			}
			if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
				return fmt.Errorf("columns.%s: min %v > max %v", c.Name, *c.Min, *c.Max)
			}
		case TypeCategory:
			if len(c.Values) == 0 {
				return fmt.Errorf("columns.%s: a category needs values (or use type string)", c.Name)
			}
			fallthrough
		case TypeString:
			if c.Min != nil || c.Max != nil {
				return fmt.Errorf("columns.%s: min and max are only for numeric columns", c.Name)
			}
		default:
			return fmt.Errorf("columns.%s: type %q is not one of float, integer, category, string", c.Name, c.Type)
		}
	}
	if s.Target != "" {
		t := s.Column(s.Target)
		if t == nil {
			return fmt.Errorf("target %q is not a column", s.Target)
		}
		if t.Type != TypeCategory {
			return fmt.Errorf("target %q is a %s; a classification target must be a category", s.Target, t.Type)
		}
	}
	return nil
}

// Column returns the named column, or nil.
func (s *Schema) Column(name string) *Column {
	for i := range s.Columns {
		if s.Columns[i].Name == name {
			return &s.Columns[i]
		}
	}
	return nil
}

// Fields lists the columns to read and the kind to read each as.
func (s *Schema) Fields() []table.Field {
	out := make([]table.Field, 0, len(s.Columns))
	for _, c := range s.Columns {
		kind := table.String
		switch c.Type {
		case TypeFloat:
			kind = table.Float
		case TypeInteger:
			kind = table.Integer
		}
		out = append(out, table.Field{Name: c.Name, Kind: kind})
	}
	return out
}

// Source cites a key of the schema file, e.g. "models/data/schema.yaml: columns.carat.min".
func (s *Schema) Source(key string) string { return s.Path + ": " + key }
