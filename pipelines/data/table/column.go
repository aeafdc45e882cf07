package table

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// builder appends cells to a column, parsing text as the column's kind.
type builder struct {
	col   *Column
	nulls *nullSet
	file  string
}

func newBuilder(name string, kind Kind, o *options, capacity int) *builder {
	c := &Column{Name: name, Kind: kind}
	if kind == String {
		c.Codes = make([]int32, 0, capacity)
		c.index = make(map[string]int32)
	} else {
		c.Nums = make([]float64, 0, capacity)
	}
	return &builder{col: c, nulls: &o.nulls, file: o.name}
}

func (b *builder) null() {
	b.col.Nulls++
	b.missing()
}

func (b *builder) missing() {
	if b.col.Kind == String {
		b.col.Codes = append(b.col.Codes, -1)
	} else {
		b.col.Nums = append(b.col.Nums, math.NaN())
	}
}

func (b *builder) invalid(at Cell) {
	if b.col.Invalid == 0 {
		if len(at.Value) > 40 {
			at.Value = strings.ToValidUTF8(at.Value[:40], "") + "…"
		}
		b.col.FirstInvalid = at
	}
	b.col.Invalid++
	b.missing()
}

// text appends one cell given as text. It reports false, appending nothing, when the
// text is not a value of the column's kind: the caller then locates the cell and calls
// invalid, so the common case pays nothing for positions.
func (b *builder) text(s string) bool {
	if b.nulls.has(s) {
		b.null()
		return true
	}
	switch b.col.Kind {
	case String:
		b.str(s)
	case Float:
		v, err := strconv.ParseFloat(trim(s), 64)
		if err != nil || math.IsInf(v, 0) {
			return false
		}
		b.num(v)
	case Integer:
		t := trim(s)
		if i, err := strconv.ParseInt(t, 10, 64); err == nil {
			b.num(float64(i))
			return true
		}
		// Writers such as pandas print whole numbers as "326.0" once a column has nulls.
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || v != math.Trunc(v) || math.IsInf(v, 0) {
			return false
		}
		b.num(v)
	}
	return true
}

// trim drops surrounding spaces, cheaply when there are none.
func trim(s string) string {
	if len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ' || s[0] == '\t' || s[len(s)-1] == '\t') {
		return strings.TrimSpace(s)
	}
	return s
}

// grow makes room for n more cells.
func (b *builder) grow(n int) {
	if b.col.Kind == String {
		b.col.Codes = slices.Grow(b.col.Codes, n)
	} else {
		b.col.Nums = slices.Grow(b.col.Nums, n)
	}
}

func (b *builder) num(v float64) {
	if math.IsNaN(v) {
		b.null()
		return
	}
	b.col.Nums = append(b.col.Nums, v)
}

func (b *builder) str(s string) {
	code, ok := b.col.index[s]
	if !ok {
		code = int32(len(b.col.Dict))
		b.col.Dict = append(b.col.Dict, strings.Clone(s))
		b.col.index[b.col.Dict[code]] = code
	}
	b.col.Codes = append(b.col.Codes, code)
}

// float appends a number decoded from a binary format.
func (b *builder) float(v float64, at Cell) {
	switch b.col.Kind {
	case String:
		b.str(formatNumber(v))
	case Integer:
		if v != math.Trunc(v) || math.IsInf(v, 0) {
			at.Value = formatNumber(v)
			b.invalid(at)
			return
		}
		b.num(v)
	default:
		if math.IsInf(v, 0) {
			at.Value = formatNumber(v)
			b.invalid(at)
			return
		}
		b.num(v)
	}
}

// integer appends a whole number decoded from a binary format.
func (b *builder) integer(v int64) {
	if b.col.Kind == String {
		b.str(strconv.FormatInt(v, 10))
		return
	}
	b.num(float64(v))
}

func (b *builder) done() *Column {
	b.col.index = nil
	return b.col
}

func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// firstInvalidUTF8 returns the byte offset of the first invalid UTF-8 sequence in s, or -1.
func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}
