package table

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// ReadParquet reads a flat Parquet file into a table, one page at a time. Nested and
// repeated columns are rejected. A malformed file gives an error wrapping ErrSyntax,
// never a panic.
func ReadParquet(r io.ReaderAt, size int64, opts ...Option) (t *Table, err error) {
	o := newOptions(opts)
	if size > o.maxBytes {
		return nil, tooLarge(o, humanBytes(size))
	}
	if size == 0 {
		return nil, &Error{File: o.name, Err: ErrEmpty, What: "the file is empty",
			Fix: "write a Parquet file with one column per field"}
	}
	defer func() {
		// The decoder trusts offsets and lengths in the file; a damaged file can make it panic.
		if p := recover(); p != nil {
			t, err = nil, syntaxError(o, fmt.Errorf("%v", p))
		}
	}()
	if err := checkParquet(r, size); err != nil {
		return nil, syntaxError(o, err)
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, syntaxError(o, err)
	}
	t = &Table{Name: o.name, Format: "parquet"}
	var leaves []int
	var fields []Field
	for i, field := range f.Schema().Fields() {
		name := field.Name()
		if !field.Leaf() || field.Repeated() {
			return nil, &Error{File: o.name, Err: ErrSyntax,
				What: fmt.Sprintf("column %q is nested or repeated", name),
				Fix:  "flatten the file to one scalar value per column and row"}
		}
		t.Header = append(t.Header, name)
		if kind, ok := o.kindOf(name); ok {
			leaves = append(leaves, i)
			fields = append(fields, Field{name, kind})
		}
	}
	rows := f.NumRows()
	if rows <= 0 {
		return nil, &Error{File: o.name, Err: ErrNoRows, What: "the file has a schema but no rows",
			Fix: "write at least one row"}
	}
	if cells := rows * int64(max(len(leaves), 1)); cells > o.maxBytes/2 {
		return nil, tooLarge(o, fmt.Sprintf("%d rows × %d columns", rows, len(leaves)))
	}
	builders := make([]*builder, len(fields))
	for j, fd := range fields {
		builders[j] = newBuilder(fd.Name, fd.Kind, o, int(min(rows, 1<<24)))
	}
	buf := make([]parquet.Value, 4096)
	for _, rg := range f.RowGroups() {
		chunks := rg.ColumnChunks()
		for j, leaf := range leaves {
			if leaf >= len(chunks) {
				return nil, syntaxError(o, errors.New("row group has fewer columns than the schema"))
			}
			if err := readChunk(chunks[leaf], builders[j], t.Rows, t.Rows+int(rg.NumRows()), buf); err != nil {
				return nil, err
			}
		}
		t.Rows += int(rg.NumRows())
	}
	for _, b := range builders {
		c := b.done()
		if c.Len() != t.Rows {
			return nil, syntaxError(o, fmt.Errorf("column %q has %d values for %d rows", c.Name, c.Len(), t.Rows))
		}
		t.Columns = append(t.Columns, c)
	}
	return t, nil
}

// readChunk appends one column chunk's values: rows base+1 to limit.
func readChunk(chunk parquet.ColumnChunk, b *builder, base, limit int, buf []parquet.Value) error {
	pages := chunk.Pages()
	defer pages.Close()
	row := base
	for {
		page, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return syntaxError(&options{name: b.file}, err)
		}
		values := page.Values()
		for {
			n, err := values.ReadValues(buf)
			for _, v := range buf[:n] {
				row++
				if row > limit {
					parquet.Release(page)
					return syntaxError(&options{name: b.file}, fmt.Errorf("column %q has more values than rows", b.col.Name))
				}
				if err := b.value(v, row); err != nil {
					parquet.Release(page)
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(page)
				return syntaxError(&options{name: b.file}, err)
			}
		}
		parquet.Release(page)
	}
}

// value appends one decoded Parquet value.
func (b *builder) value(v parquet.Value, row int) error {
	at := Cell{File: b.file, Row: row}
	if v.IsNull() {
		b.null()
		return nil
	}
	switch v.Kind() {
	case parquet.Boolean:
		if s := strconv.FormatBool(v.Boolean()); !b.text(s) {
			at.Value = s
			b.invalid(at)
		}
	case parquet.Int32:
		b.integer(int64(v.Int32()))
	case parquet.Int64:
		b.integer(v.Int64())
	case parquet.Float:
		b.float(float64(v.Float()), at)
	case parquet.Double:
		b.float(v.Double(), at)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		bs := v.ByteArray()
		if !utf8.Valid(bs) {
			return &Error{File: b.file, Row: row, Err: ErrEncoding,
				What: fmt.Sprintf("invalid UTF-8 in column %q", b.col.Name),
				Fix:  "write text columns as UTF-8 strings"}
		}
		if b.col.Kind == String && !b.nulls.has(string(bs)) {
			b.strBytes(bs)
			return nil
		}
		if s := string(bs); !b.text(s) {
			at.Value = s
			b.invalid(at)
		}
	default:
		at.Value = v.String()
		b.invalid(at)
	}
	return nil
}

// strBytes appends a string cell without allocating when the string was seen before.
func (b *builder) strBytes(bs []byte) {
	if code, ok := b.col.index[string(bs)]; ok {
		b.col.Codes = append(b.col.Codes, code)
		return
	}
	b.str(string(bs))
}

func syntaxError(o *options, err error) error {
	return &Error{File: o.name, Err: fmt.Errorf("%w: %w", ErrSyntax, err),
		What: "not a readable Parquet file: " + err.Error(),
		Fix:  "check that the file is complete and was written as Parquet"}
}
