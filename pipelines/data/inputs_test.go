package data_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/data"
	"github.com/ferryml/ferry/pipelines/data/s3test"
	"github.com/ferryml/ferry/pipelines/data/schema"
	"github.com/ferryml/ferry/pipelines/data/source"
	"github.com/ferryml/ferry/pipelines/data/table"
)

func TestBadInputs(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.csv")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil { // a sparse 2 GiB file: nothing is written
		t.Fatal(err)
	}
	f.Close()
	badSchema := filepath.Join(dir, "schema.yaml")
	if err := os.WriteFile(badSchema, []byte("columns:\n  - name: a\n    type: decimal\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(dir, "quality.yaml")
	if err := os.WriteFile(typo, []byte("min_row: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  func(c *data.Config)
		want []string
	}{
		{"missing batch", func(c *data.Config) { c.Batch = dataDir + "/batch-999.csv" }, []string{"reading batch", "batch-999.csv", "not found", "check the path"}},
		{"missing reference", func(c *data.Config) { c.Reference = dir + "/nope.csv" }, []string{"reading reference", "not found"}},
		{"2 GiB batch", func(c *data.Config) { c.Batch = huge }, []string{"huge.csv", "2147483648 bytes", "limit"}},
		{"bad schema", func(c *data.Config) { c.Schema = badSchema }, []string{"schema.yaml", `type "decimal"`}},
		{"unknown quality key", func(c *data.Config) { c.Quality = typo }, []string{"quality.yaml", "min_row"}},
		{"s3 without server", func(c *data.Config) { c.Batch = "s3://bucket" }, []string{"s3://bucket/key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(dataDir + "/batch-001.csv")
			tt.cfg(&cfg)
			_, err := data.Check(context.Background(), cfg)
			if err == nil {
				t.Fatalf("Check(%s) error = nil, want one", tt.name)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check(%s) error = %q, want it to contain %q", tt.name, err, w)
				}
			}
		})
	}
}

func TestParquetBatch(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	for _, name := range []string{"reference", "batch-001"} {
		csvToParquet(t, dataDir+"/"+name+".csv", filepath.Join(dir, name+".parquet"))
	}
	cfg := config(filepath.Join(dir, "batch-001.parquet"))
	cfg.Reference = filepath.Join(dir, "reference.parquet")
	rep, err := data.Check(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Check(parquet) error %v", err)
	}
	if !rep.Passed() || rep.Batch.Format != "parquet" || rep.Batch.Rows != 10788 {
		t.Errorf("Check(parquet) = passed %v, format %s, %d rows, want a pass on 10788 parquet rows:\n%v",
			rep.Passed(), rep.Batch.Format, rep.Batch.Rows, rep.Err())
	}
}

func csvToParquet(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sch, err := schema.Load(dataDir + "/schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := table.ReadCSV(f, table.WithFields(sch.Fields()...))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := table.WriteParquet(out, tb); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPBatch(t *testing.T) {
	chdirRoot(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(dataDir)))
	defer srv.Close()
	cfg := config(srv.URL + "/batch-001.csv")
	cfg.Reference = srv.URL + "/reference.csv"
	rep, err := data.Check(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Check(http) error %v", err)
	}
	if !rep.Passed() || rep.Batch.LastModified == "" || rep.Batch.Size != 554364 {
		t.Errorf("Check(http) = passed %v, %+v, want a pass with Last-Modified and size 554364", rep.Passed(), rep.Batch)
	}
}

// TestS3Batch reads both files from a real S3-compatible server (versitygw).
func TestS3Batch(t *testing.T) {
	chdirRoot(t)
	s := s3test.Start(t)
	s.CreateBucket(t, "ferry-data")
	for _, name := range []string{"reference.csv", "batch-001.csv"} {
		body, err := os.ReadFile(dataDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s.Put(t, "ferry-data", "diamonds/"+name, body)
	}
	cfg := config("s3://ferry-data/diamonds/batch-001.csv")
	cfg.Reference = "s3://ferry-data/diamonds/reference.csv"
	rep, err := data.Check(context.Background(), cfg, data.WithS3(s.S3()))
	if err != nil {
		t.Fatalf("Check(s3) error %v", err)
	}
	if !rep.Passed() || rep.Batch.ETag == "" || rep.Batch.Rows != 10788 {
		t.Errorf("Check(s3) = passed %v, %+v, want a pass with an ETag and 10788 rows", rep.Passed(), rep.Batch)
	}
	bad := s.S3()
	bad.Credentials.SecretAccessKey = "not-the-secret"
	_, err = data.Check(context.Background(), cfg, data.WithS3(bad))
	if !source.IsForbidden(err) || strings.Contains(err.Error(), s.Credentials.AccessKeyID) {
		t.Errorf("Check(s3, wrong secret) error = %v, want access denied without the key", err)
	}
}
