package table

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ReadCSV reads a CSV file with a header line into a table, one record at a time, so
// memory grows with the values kept, not with the text.
func ReadCSV(r io.Reader, opts ...Option) (*Table, error) {
	o := newOptions(opts)
	br := bufio.NewReaderSize(&limitReader{r: r, left: o.maxBytes}, 256<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = o.delimiter
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{File: o.name, Err: ErrEmpty, What: "the file is empty",
			Fix: "write a header line naming the columns, then one line per row"}
	}
	if err != nil {
		return nil, csvError(o, err)
	}
	header = append([]string(nil), header...)
	if err := checkHeader(o, cr, header); err != nil {
		return nil, err
	}

	t := &Table{Name: o.name, Format: "csv", Header: header}
	builders := make([]*builder, len(header))
	for i, name := range header {
		if kind, ok := o.kindOf(name); ok {
			builders[i] = newBuilder(name, kind, o, 1024)
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(o, err)
		}
		t.Rows++
		if len(rec) != len(header) {
			line, _ := cr.FieldPos(0)
			return nil, &Error{File: o.name, Line: line, Err: ErrRagged,
				What: fmt.Sprintf("row %d has %d fields, the header has %d", t.Rows, len(rec), len(header)),
				Fix:  "give every row one field per column (quote fields that contain the delimiter)"}
		}
		for i, field := range rec {
			if !utf8.ValidString(field) {
				line, col := cr.FieldPos(i)
				return nil, encodingError(o, line, col+firstInvalidUTF8(field), header[i])
			}
			if b := builders[i]; b != nil && !b.text(field) {
				line, col := cr.FieldPos(i)
				b.invalid(Cell{File: o.name, Row: t.Rows, Line: line, Col: col, Value: field})
			}
		}
		if t.Rows == sizeProbeRows && o.sizeHint > 0 {
			growFor(builders, o.sizeHint, cr.InputOffset(), t.Rows)
		}
	}
	if t.Rows == 0 {
		return nil, &Error{File: o.name, Line: 1, Err: ErrNoRows,
			What: "the file has a header but no data rows", Fix: "add rows below the header"}
	}
	for _, b := range builders {
		if b != nil {
			t.Columns = append(t.Columns, b.done())
		}
	}
	return t, nil
}

// sizeProbeRows is the number of rows read before the column buffers are sized.
const sizeProbeRows = 1000

// growFor sizes the column buffers for a file of size bytes, judging the row length
// from the first rows (read bytes for rows rows), so they are not copied as they grow.
func growFor(builders []*builder, size, read int64, rows int) {
	if read <= 0 {
		return
	}
	est := int(float64(size)/(float64(read)/float64(rows))*1.02) + 64 - rows
	for _, b := range builders {
		if b != nil && est > 0 {
			b.grow(est)
		}
	}
}

// checkHeader rejects a header that is not UTF-8, repeats a name, or shows a wrong delimiter.
func checkHeader(o *options, cr *csv.Reader, header []string) error {
	seen := make(map[string]int, len(header))
	for i, name := range header {
		if !utf8.ValidString(name) {
			line, col := cr.FieldPos(i)
			return encodingError(o, line, col+firstInvalidUTF8(name), fmt.Sprintf("header field %d", i+1))
		}
		if j, ok := seen[name]; ok {
			return &Error{File: o.name, Line: 1, Err: ErrHeader,
				What: fmt.Sprintf("column %q appears twice (fields %d and %d)", name, j+1, i+1),
				Fix:  "give every column a distinct name"}
		}
		seen[name] = i
	}
	if len(header) == 1 && len(o.fields) > 1 {
		what := fmt.Sprintf("1 column where the schema wants %d", len(o.fields))
		for _, d := range []rune{';', '\t', '|', ',', ':'} {
			if d != o.delimiter && strings.ContainsRune(header[0], d) {
				return &Error{File: o.name, Line: 1, Err: ErrDelimiter,
					What: fmt.Sprintf("%s: is the delimiter %s?", what, quoteRune(d)),
					Fix:  fmt.Sprintf("write the file with %s between fields, or read it with that delimiter", quoteRune(o.delimiter))}
			}
		}
		return &Error{File: o.name, Line: 1, Err: ErrDelimiter, What: what,
			Fix: fmt.Sprintf("separate the header's column names with %s", quoteRune(o.delimiter))}
	}
	return nil
}

func quoteRune(r rune) string {
	if r == '\t' {
		return `'\t' (tab)`
	}
	return fmt.Sprintf("'%c'", r)
}

func encodingError(o *options, line, col int, field string) error {
	return &Error{File: o.name, Line: line, Col: col, Err: ErrEncoding,
		What: fmt.Sprintf("invalid UTF-8 in %s", field),
		Fix:  "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"}
}

// csvError turns an error from encoding/csv or the size limit into an *Error.
func csvError(o *options, err error) error {
	if errors.Is(err, ErrTooLarge) {
		return tooLarge(o, "")
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		fix := "check the quoting near this position"
		if errors.Is(pe.Err, csv.ErrBareQuote) {
			fix = `put fields that contain " in double quotes and double the inner quotes ("")`
		} else if errors.Is(pe.Err, csv.ErrQuote) {
			fix = "close the quoted field that starts at line " + fmt.Sprint(pe.StartLine)
		}
		return &Error{File: o.name, Line: pe.Line, Col: pe.Column, Err: ErrSyntax, What: pe.Err.Error(), Fix: fix}
	}
	return &Error{File: o.name, Err: err, What: "reading: " + err.Error()}
}

func tooLarge(o *options, size string) error {
	what := fmt.Sprintf("larger than the %s limit", humanBytes(o.maxBytes))
	if size != "" {
		what = fmt.Sprintf("%s, over the %s limit", size, humanBytes(o.maxBytes))
	}
	return &Error{File: o.name, Err: ErrTooLarge, What: what,
		Fix: "split the file into smaller batches or raise the limit (WithMaxBytes)"}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// limitReader fails with ErrTooLarge once more than left bytes have been read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, ErrTooLarge
	}
	return n, err
}
