package data_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/pipelines/data"
	"github.com/ferryml/ferry/pipelines/data/sample"
)

// BenchmarkCheckBatch checks the real batch (10,788 rows) against the reference.
func BenchmarkCheckBatch(b *testing.B) {
	b.Chdir("../..")
	cfg := config(dataDir + "/batch-001.csv")
	for b.Loop() {
		if _, err := data.Check(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*(10788+43152)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCheck1M checks 1,000,000 rows resampled from the reference (seed 1).
// Resampling with replacement repeats rows, so the duplicate rule fails: by design.
func BenchmarkCheck1M(b *testing.B) {
	b.Chdir("../..")
	batch := filepath.Join(b.TempDir(), "batch.csv")
	if err := sample.ResampleFile(dataDir+"/reference.csv", batch, 1000000, 1); err != nil {
		b.Fatal(err)
	}
	cfg := config(batch)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := data.Check(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*(1000000+43152)/b.Elapsed().Seconds(), "rows/s")
}
