package table

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the fuzz seed corpus in testdata/fuzz")

// The seed corpus lives in testdata/fuzz/<target>/; plain go test runs every seed.
// Fuzz with: go test ./pipelines/data/table -run '^$' -fuzz FuzzReadCSV -fuzztime 60s

func FuzzReadCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := ReadCSV(bytes.NewReader(data), WithName("fuzz.csv"), WithFields(diamondFields...), WithMaxBytes(1<<20))
		checkRead(t, tb, err)
	})
}

func FuzzReadParquet(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := ReadParquet(bytes.NewReader(data), int64(len(data)), WithName("fuzz.parquet"),
			WithFields(diamondFields...), WithMaxBytes(1<<20))
		checkRead(t, tb, err)
	})
}

// checkRead holds for any input: an *Error, or a table whose columns are all as long
// as its row count.
func checkRead(t *testing.T, tb *Table, err error) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || tb != nil {
			t.Fatalf("error %v (%T) with table %v, want an *Error and no table", err, err, tb)
		}
		return
	}
	if tb.Rows == 0 {
		t.Fatal("no error and no rows")
	}
	for _, c := range tb.Columns {
		if c.Len() != tb.Rows || c.Nulls+c.Invalid > tb.Rows {
			t.Fatalf("column %s has %d cells (%d null, %d invalid) for %d rows", c.Name, c.Len(), c.Nulls, c.Invalid, tb.Rows)
		}
	}
}

// TestWriteFuzzCorpus regenerates the seed corpus: go test ./pipelines/data/table -run TestWriteFuzzCorpus -update-corpus
func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	csvSeeds := map[string]string{
		"valid":       sample,
		"bom-quotes":  "\xef\xbb\xbfcarat,\"cut\",price\n0.2,\"Very \"\"Good\"\"\",3\n",
		"ragged":      "carat,cut,price\n1,a\n",
		"semicolon":   "carat;cut;price\n1;a;2\n",
		"latin1":      "carat,cut,price\n1,caf\xe9,2\n",
		"header-only": "carat,cut,price\n",
		"bad-types":   "carat,cut,price\nx,1,2.5\nInf,,9223372036854775808\n",
		"crlf":        "carat,cut,price\r\n1,a,2\r\n",
	}
	in, err := ReadCSV(strings.NewReader(sample), WithFields(diamondFields...))
	if err != nil {
		t.Fatal(err)
	}
	pq := parquetOf(t, in)
	parquetSeeds := map[string]string{
		"valid":     string(pq),
		"truncated": string(pq[:len(pq)-9]),
		"no-footer": string(pq[:len(pq)/2]) + "PAR1",
		"magic":     "PAR1PAR1",
		"csv":       sample,
	}
	for target, seeds := range map[string]map[string]string{"FuzzReadCSV": csvSeeds, "FuzzReadParquet": parquetSeeds} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, seed := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
