package table

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

const sample = "carat,cut,price\n0.23,Ideal,326\n,Good,327\n0.31,,\n"

func parquetOf(t testing.TB, tb *Table) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteParquet(&buf, tb); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParquetRoundTrip(t *testing.T) {
	in, err := ReadCSV(strings.NewReader(sample), WithFields(diamondFields...))
	if err != nil {
		t.Fatal(err)
	}
	data := parquetOf(t, in)
	out, err := ReadParquet(bytes.NewReader(data), int64(len(data)), WithName("d.parquet"), WithFields(diamondFields...))
	if err != nil {
		t.Fatalf("ReadParquet() error %v", err)
	}
	if out.Rows != 3 || out.Format != "parquet" || len(out.Columns) != 3 {
		t.Fatalf("ReadParquet() = %d rows, %d columns, want 3 and 3", out.Rows, len(out.Columns))
	}
	for _, f := range diamondFields {
		a, b := in.Column(f.Name), out.Column(f.Name)
		for i := 0; i < 3; i++ {
			if a.Text(i) != b.Text(i) || a.Missing(i) != b.Missing(i) {
				t.Errorf("%s row %d = %q, want %q", f.Name, i+1, b.Text(i), a.Text(i))
			}
		}
		if a.Nulls != b.Nulls {
			t.Errorf("%s nulls = %d, want %d", f.Name, b.Nulls, a.Nulls)
		}
	}
}

func TestParquetConversions(t *testing.T) {
	// price written as text and carat as an integer column; cut read back as numbers.
	in, err := ReadCSV(strings.NewReader("carat,cut,price\n1,7,326\n2,8,x\n"),
		WithFields(Field{"carat", Integer}, Field{"cut", Float}, Field{"price", String}))
	if err != nil {
		t.Fatal(err)
	}
	data := parquetOf(t, in)
	out, err := ReadParquet(bytes.NewReader(data), int64(len(data)), WithName("d.parquet"),
		WithFields(Field{"carat", Float}, Field{"cut", String}, Field{"price", Integer}))
	if err != nil {
		t.Fatalf("ReadParquet() error %v", err)
	}
	carat, cut, price := out.Column("carat"), out.Column("cut"), out.Column("price")
	if carat.Nums[1] != 2 || cut.Text(0) != "7" || price.Nums[0] != 326 || price.Invalid != 1 || price.FirstInvalid.String() != "d.parquet: row 2" {
		t.Errorf("converted = carat %v, cut %q, price %v (invalid %d at %v), want 2, 7, 326 and x invalid at row 2",
			carat.Nums, cut.Text(0), price.Nums, price.Invalid, price.FirstInvalid)
	}
}

func TestParquetErrors(t *testing.T) {
	good := func() []byte {
		in, _ := ReadCSV(strings.NewReader(sample), WithFields(diamondFields...))
		return parquetOf(t, in)
	}()
	dense := func() []byte {
		in, _ := ReadCSV(strings.NewReader("carat,cut,price\n"+strings.Repeat("1,a,2\n", 20000)), WithFields(diamondFields...))
		return parquetOf(t, in)
	}()
	var nested, noRows, badText bytes.Buffer
	type inner struct{ B int64 }
	if err := parquet.Write(&nested, []struct{ A inner }{{inner{1}}}); err != nil {
		t.Fatal(err)
	}
	if err := parquet.Write(&noRows, []struct{ Carat float64 }{}); err != nil {
		t.Fatal(err)
	}
	if err := parquet.Write(&badText, []struct {
		Cut string `parquet:"cut"`
	}{{"caf\xe9"}}); err != nil {
		t.Fatal(err)
	}
	// Footers that claim more than they hold: the decoder would allocate the claim.
	hostile := func(footer ...byte) []byte {
		b := append([]byte("PAR1"), footer...)
		b = append(b, byte(len(footer)), 0, 0, 0)
		return append(b, "PAR1"...)
	}
	tests := []struct {
		name string
		data []byte
		opts []Option
		want error
		text string
	}{
		{"empty", nil, nil, ErrEmpty, "empty"},
		{"footer length past the file", []byte("PAR1\x00\x00\x00\x00\xff\xff\xff\x7fPAR1"), nil, ErrSyntax, "footer length 2147483647"},
		{"list of 2^31 row groups", hostile(0x49, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00), nil, ErrSyntax, "malformed thrift"},
		{"string of 2^31 bytes", hostile(0x18, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00), nil, ErrSyntax, "malformed thrift"},
		{"encrypted", []byte("PAR1\x00\x00\x00\x00\x00\x00\x00\x00PARE"), nil, ErrSyntax, "encrypted"},
		{"not parquet", []byte("carat,cut\n1,a\n"), nil, ErrSyntax, "not a readable Parquet file"},
		{"truncated", good[:len(good)/2], nil, ErrSyntax, "not a readable Parquet file"},
		{"nested", nested.Bytes(), nil, ErrSyntax, `column "A" is nested or repeated`},
		{"no rows", noRows.Bytes(), nil, ErrNoRows, "no rows"},
		{"bad utf-8", badText.Bytes(), []Option{WithFields(Field{"cut", String})}, ErrEncoding, "d.parquet: row 1: invalid UTF-8"},
		{"over the limit", good, []Option{WithMaxBytes(100)}, ErrTooLarge, "over the 100 B limit"},
		// 60,000 cells in a few KB: more than a CSV file of that size could hold.
		{"too many cells", dense, []Option{WithMaxBytes(int64(len(dense)) + 10)}, ErrTooLarge, "20000 rows × 3 columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]Option{WithName("d.parquet"), WithFields(diamondFields...)}, tt.opts...)
			_, err := ReadParquet(bytes.NewReader(tt.data), int64(len(tt.data)), opts...)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("ReadParquet(%s) error = %v, want %v containing %q", tt.name, err, tt.want, tt.text)
			}
		})
	}
}

func TestColumnHelpers(t *testing.T) {
	c := &Column{Name: "a", Kind: Float, Nums: []float64{1, math.NaN(), 3}, Nulls: 1}
	if got := c.Present(); len(got) != 2 || got[1] != 3 || c.Text(1) != "" || c.Text(2) != "3" {
		t.Errorf("Present() = %v, Text(1) = %q, Text(2) = %q, want [1 3], \"\", \"3\"", got, c.Text(1), c.Text(2))
	}
}
