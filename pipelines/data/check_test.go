package data_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/data"
	"github.com/ferryml/ferry/pipelines/data/corrupt"
	"github.com/ferryml/ferry/pipelines/data/quality"
	"github.com/ferryml/ferry/pipelines/data/report"
	"github.com/ferryml/ferry/pipelines/data/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// dataDir is relative to the repository root, where the tests run (see chdirRoot), so
// reports cite paths as a user at the root would type them.
const dataDir = "models/data"

// chdirRoot makes the repository root the working directory for the test.
func chdirRoot(t *testing.T) {
	t.Chdir("../..")
}

func config(batch string) data.Config {
	return data.Config{
		Schema:    dataDir + "/schema.yaml",
		Quality:   dataDir + "/quality.yaml",
		Reference: dataDir + "/reference.csv",
		Batch:     batch,
	}
}

func TestRealBatchPasses(t *testing.T) {
	chdirRoot(t)
	rep, err := data.Check(context.Background(), config(dataDir+"/batch-001.csv"))
	if err != nil {
		t.Fatalf("Check(batch-001.csv) error %v", err)
	}
	if !rep.Passed() || rep.Err() != nil {
		t.Fatalf("Check(batch-001.csv) failed, want it to pass:\n%v", rep.Err())
	}
	if rep.Batch.Rows != 10788 || rep.Reference.Rows != 43152 || len(rep.Drift) != 10 {
		t.Errorf("Check(batch-001.csv) read %d and %d rows, %d drift columns, want 10788, 43152, 10",
			rep.Batch.Rows, rep.Reference.Rows, len(rep.Drift))
	}
	goldenReport(t, rep, "pass", "")
}

// TestCorruptions damages the real batch one way at a time: each damage must fail the
// checks naming the right rule, or be refused with a clear error.
func TestCorruptions(t *testing.T) {
	chdirRoot(t)
	sch, err := schema.Load(dataDir + "/schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := quality.Load(dataDir + "/quality.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := corrupt.Cases(sch, spec)
	if len(cases) < 14 {
		t.Fatalf("corrupt.Cases() = %d cases, want at least 14", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			batch := filepath.Join(dir, "batch-"+c.Name+".csv")
			if err := c.Apply(dataDir+"/batch-001.csv", batch); err != nil {
				t.Fatalf("corrupting the batch: %v", err)
			}
			rep, err := data.Check(context.Background(), config(batch))
			if len(c.Rules) == 0 {
				if err == nil || !strings.Contains(err.Error(), c.Error) {
					t.Fatalf("Check(%s) error = %v, want one containing %q", c.Name, err, c.Error)
				}
				if !strings.Contains(err.Error(), batch) {
					t.Errorf("Check(%s) error = %v, want it to name the file", c.Name, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check(%s) error %v, want a report", c.Name, err)
			}
			if rep.Passed() {
				t.Fatalf("Check(%s) passed, want %v broken", c.Name, c.Rules)
			}
			for _, rule := range c.Rules {
				if !hasRule(rep, rule) {
					t.Errorf("Check(%s) broke %v, want %s among them", c.Name, rules(rep), rule)
				}
			}
			if msg := rep.Err().Error(); !strings.Contains(msg, c.Rules[0]) || !strings.Contains(msg, dataDir+"/") {
				t.Errorf("Check(%s).Err() = %q, want it to name %s and where its limit comes from", c.Name, msg, c.Rules[0])
			}
			if c.Name == "nulls" {
				goldenReport(t, rep, "fail-nulls", dir)
			}
		})
	}
}

func hasRule(rep *report.Report, rule string) bool {
	for _, v := range rep.Violations {
		if v.Rule == rule && v.Table == "batch" {
			return true
		}
	}
	return false
}

func rules(rep *report.Report) []string {
	var out []string
	for _, v := range rep.Violations {
		out = append(out, v.Rule)
	}
	return out
}

// goldenReport compares the JSON and Markdown reports with testdata/golden/<name>.*,
// after replacing the temporary directory dir with $TMP.
func goldenReport(t *testing.T, rep *report.Report, name, dir string) {
	t.Helper()
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for ext, got := range map[string][]byte{".json": js, ".md": []byte(rep.Markdown())} {
		if dir != "" {
			got = bytes.ReplaceAll(got, []byte(dir), []byte("$TMP"))
		}
		golden(t, name+ext, got)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("pipelines", "data", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, diff(string(want), string(got)))
	}
}

// diff lists the lines that differ, with their numbers.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}
