package table

import (
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
)

// WriteParquet writes the table's columns to w as a flat Parquet file with optional
// columns: DOUBLE for Float, INT64 for Integer, dictionary-encoded STRING for String;
// pages are compressed with zstd.
func WriteParquet(w io.Writer, t *Table) error {
	group := parquet.Group{}
	for _, c := range t.Columns {
		var node parquet.Node
		switch c.Kind {
		case Float:
			node = parquet.Leaf(parquet.DoubleType)
		case Integer:
			node = parquet.Int(64)
		default:
			node = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		}
		group[c.Name] = parquet.Optional(node)
	}
	schema := parquet.NewSchema("table", group)
	// A Group orders its fields by name: map each leaf back to its column.
	var cols []*Column
	for _, path := range schema.Columns() {
		cols = append(cols, t.Column(path[0]))
	}
	pw := parquet.NewWriter(w, schema, parquet.Compression(&parquet.Zstd))
	rows := make([]parquet.Row, 0, 1024)
	for i := 0; i < t.Rows; i++ {
		row := make(parquet.Row, len(cols))
		for j, c := range cols {
			row[j] = cellValue(c, i).Level(0, 1, j)
			if c.Missing(i) {
				row[j] = parquet.NullValue().Level(0, 0, j)
			}
		}
		rows = append(rows, row)
		if len(rows) == cap(rows) || i == t.Rows-1 {
			if _, err := pw.WriteRows(rows); err != nil {
				return fmt.Errorf("writing parquet rows: %w", err)
			}
			rows = rows[:0]
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("closing parquet writer: %w", err)
	}
	return nil
}

func cellValue(c *Column, i int) parquet.Value {
	if c.Missing(i) {
		return parquet.NullValue()
	}
	switch c.Kind {
	case Integer:
		return parquet.Int64Value(int64(c.Nums[i]))
	case Float:
		if math.IsNaN(c.Nums[i]) {
			return parquet.NullValue()
		}
		return parquet.DoubleValue(c.Nums[i])
	default:
		return parquet.ByteArrayValue([]byte(c.Dict[c.Codes[i]]))
	}
}
