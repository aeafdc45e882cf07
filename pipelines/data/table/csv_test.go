package table

import (
	"errors"
	"math"
	"strings"
	"testing"
)

var diamondFields = []Field{{"carat", Float}, {"cut", String}, {"price", Integer}}

func TestReadCSV(t *testing.T) {
	in := "\xef\xbb\xbfcarat,cut,price,ignored\n" +
		"0.23,Ideal,326,a\n" +
		"NA,\"Very Good\",327.0,b\n" +
		" 0.5 ,,abc,c\n" +
		"1e1,Ideal,,d\n"
	tb, err := ReadCSV(strings.NewReader(in), WithName("d.csv"), WithFields(diamondFields...))
	if err != nil {
		t.Fatalf("ReadCSV() error %v", err)
	}
	if tb.Rows != 4 || len(tb.Columns) != 3 || len(tb.Header) != 4 || tb.Header[0] != "carat" {
		t.Fatalf("ReadCSV() = %d rows, %d columns, header %q, want 4, 3, BOM stripped", tb.Rows, len(tb.Columns), tb.Header)
	}
	carat, cut, price := tb.Column("carat"), tb.Column("cut"), tb.Column("price")
	if carat.Nums[0] != 0.23 || !math.IsNaN(carat.Nums[1]) || carat.Nums[2] != 0.5 || carat.Nums[3] != 10 || carat.Nulls != 1 {
		t.Errorf("carat = %v (%d nulls), want [0.23 NaN 0.5 10] with 1 null", carat.Nums, carat.Nulls)
	}
	if cut.Text(1) != "Very Good" || !cut.Missing(2) || cut.Counts()["Ideal"] != 2 || len(cut.Dict) != 2 {
		t.Errorf("cut = %v %v, want Very Good, a null and Ideal twice", cut.Codes, cut.Dict)
	}
	if price.Nums[1] != 327 || price.Invalid != 1 || price.Nulls != 1 || price.FirstInvalid.String() != "d.csv:4:8" || price.FirstInvalid.Value != "abc" {
		t.Errorf("price = %v, invalid %d at %v (%q), want 327 read, abc invalid at d.csv:4:8",
			price.Nums, price.Invalid, price.FirstInvalid, price.FirstInvalid.Value)
	}
	if tb.Column("ignored") != nil || !tb.HasColumn("ignored") {
		t.Error("column not in the fields was read, or is missing from the header")
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts []Option
		want error
		text string
	}{
		{"empty", "", nil, ErrEmpty, "d.csv: the file is empty"},
		{"blank lines only", "\n\n", nil, ErrEmpty, "empty"},
		{"header only", "carat,cut,price\n", nil, ErrNoRows, "d.csv:1: the file has a header but no data rows"},
		{"semicolons", "carat;cut;price\n1;a;2\n", nil, ErrDelimiter, "1 column where the schema wants 3: is the delimiter ';'?"},
		{"tabs", "carat\tcut\tprice\n", nil, ErrDelimiter, `is the delimiter '\t' (tab)?`},
		{"one unknown column", "weight\n1\n", nil, ErrDelimiter, "1 column where the schema wants 3"},
		{"ragged", "carat,cut,price\n1,a,2\n1,a\n", nil, ErrRagged, "d.csv:3: row 2 has 2 fields, the header has 3"},
		{"bad utf-8 cell", "carat,cut,price\n1,caf\xe9,2\n", nil, ErrEncoding, "d.csv:2:6: invalid UTF-8 in cut"},
		{"bad utf-8 header", "carat,c\xffut,price\n1,a,2\n", nil, ErrEncoding, "d.csv:1:8: invalid UTF-8 in header field 2"},
		{"duplicate header", "carat,cut,carat\n1,a,2\n", nil, ErrHeader, `column "carat" appears twice`},
		{"bare quote", "carat,cut,price\n1,a\"b,2\n", nil, ErrSyntax, "d.csv:2:4"},
		{"unclosed quote", "carat,cut,price\n1,\"ab,2\n", nil, ErrSyntax, "close the quoted field"},
		{"over the limit", "carat,cut,price\n" + strings.Repeat("1,a,2\n", 100), []Option{WithMaxBytes(50)}, ErrTooLarge, "larger than the 50 B limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]Option{WithName("d.csv"), WithFields(diamondFields...)}, tt.opts...)
			_, err := ReadCSV(strings.NewReader(tt.in), opts...)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("ReadCSV(%q) error = %v, want %v containing %q", tt.in, err, tt.want, tt.text)
			}
		})
	}
}

func TestReadCSVDelimiter(t *testing.T) {
	tb, err := ReadCSV(strings.NewReader("carat;cut;price\n1,5;a;2\n"), WithDelimiter(';'), WithFields(diamondFields...))
	if err != nil || tb.Rows != 1 || tb.Column("carat").Invalid != 1 {
		t.Errorf("ReadCSV(';') = %v, %v, want 1 row with carat 1,5 invalid", tb, err)
	}
}

func TestReadCSVAllColumnsAsText(t *testing.T) {
	tb, err := ReadCSV(strings.NewReader("a,b\n1,x\n"))
	if err != nil || len(tb.Columns) != 2 || tb.Column("a").Kind != String || tb.Column("a").Text(0) != "1" {
		t.Errorf("ReadCSV(no fields) = %+v, %v, want both columns as text", tb, err)
	}
}
