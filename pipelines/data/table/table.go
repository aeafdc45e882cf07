package table

import (
	"fmt"
	"math"
)

// Kind is the type of a column's values.
type Kind uint8

// The kinds a column can have.
const (
	// Float columns hold real numbers.
	Float Kind = iota + 1
	// Integer columns hold whole numbers, stored as float64 (exact up to 2^53).
	Integer
	// String columns hold text, dictionary-encoded.
	String
)

func (k Kind) String() string {
	switch k {
	case Float:
		return "float"
	case Integer:
		return "integer"
	case String:
		return "string"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Field names a column to read and the kind to read it as.
type Field struct {
	Name string
	Kind Kind
}

// Cell locates one value in its file, for messages.
type Cell struct {
	// File is the name the table was read under.
	File string
	// Row is the 1-based data row (the header is row 0).
	Row int
	// Line and Col are the 1-based line and byte column in a CSV file; 0 for Parquet.
	Line, Col int
	// Value is the text of the cell, cut to 40 bytes.
	Value string
}

func (c Cell) String() string {
	if c.Line > 0 {
		return fmt.Sprintf("%s:%d:%d", c.File, c.Line, c.Col)
	}
	return fmt.Sprintf("%s: row %d", c.File, c.Row)
}

// Column holds the values of one column.
type Column struct {
	Name string
	Kind Kind
	// Nums holds Float and Integer values; NaN marks a null or invalid cell.
	Nums []float64
	// Codes index Dict for String columns; -1 marks a null cell.
	Codes []int32
	// Dict holds each distinct string once, in order of first appearance.
	Dict []string
	// Nulls counts empty cells and null tokens.
	Nulls int
	// Invalid counts cells whose text is not a value of Kind; they read as null.
	Invalid int
	// FirstInvalid locates the first invalid cell, when Invalid > 0.
	FirstInvalid Cell

	index map[string]int32
}

// Len returns the number of cells.
func (c *Column) Len() int {
	if c.Kind == String {
		return len(c.Codes)
	}
	return len(c.Nums)
}

// Missing reports whether cell i holds no value (null or invalid).
func (c *Column) Missing(i int) bool {
	if c.Kind == String {
		return c.Codes[i] < 0
	}
	return math.IsNaN(c.Nums[i])
}

// Text returns cell i as text; "" for a missing cell.
func (c *Column) Text(i int) string {
	if c.Missing(i) {
		return ""
	}
	if c.Kind == String {
		return c.Dict[c.Codes[i]]
	}
	return formatNumber(c.Nums[i])
}

// Present returns the values that are not missing, in row order.
func (c *Column) Present() []float64 {
	out := make([]float64, 0, len(c.Nums)-c.Nulls-c.Invalid)
	for _, v := range c.Nums {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// Counts returns how many cells hold each string, nulls left out.
func (c *Column) Counts() map[string]int {
	n := make([]int, len(c.Dict))
	for _, code := range c.Codes {
		if code >= 0 {
			n[code]++
		}
	}
	out := make(map[string]int, len(c.Dict))
	for i, s := range c.Dict {
		out[s] = n[i]
	}
	return out
}

// Table is a set of equally long columns read from one file.
type Table struct {
	// Name is the file name used in messages.
	Name string
	// Format is "csv" or "parquet".
	Format string
	// Header lists every column of the file, read or not, in file order.
	Header []string
	// Columns holds the columns that were read, in file order.
	Columns []*Column
	// Rows is the number of data rows.
	Rows int
}

// Column returns the named column, or nil when it was not read.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// HasColumn reports whether the file has the named column.
func (t *Table) HasColumn(name string) bool {
	for _, h := range t.Header {
		if h == name {
			return true
		}
	}
	return false
}
