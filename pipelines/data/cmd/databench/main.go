// Command databench measures the data checks on a large batch: it resamples the real
// reference set (models/data) to a batch of -rows rows with a fixed seed, runs the full
// check against the reference, and prints rows/s and peak memory.
//
//	go run ./pipelines/data/cmd/databench -rows 1000000 -format csv
//
// Figures go to stdout; progress to stderr. The batch is generated in a child process
// so the peak RSS reported is the check's, not the generator's.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/ferryml/ferry/pipelines/data"
	"github.com/ferryml/ferry/pipelines/data/sample"
	"github.com/ferryml/ferry/pipelines/data/schema"
	"github.com/ferryml/ferry/pipelines/data/table"
)

func main() {
	rows := flag.Int("rows", 1000000, "rows in the generated batch")
	seed := flag.Uint64("seed", 1, "seed of the resampling")
	format := flag.String("format", "csv", "batch format: csv or parquet")
	dir := flag.String("data", "models/data", "folder with reference.csv, schema.yaml and quality.yaml")
	generate := flag.String("generate", "", "internal: only write the batch to this path")
	flag.Parse()
	if *generate != "" {
		if err := generateBatch(*dir, *generate, *rows, *seed); err != nil {
			fatal(err)
		}
		return
	}
	if err := run(*dir, *format, *rows, *seed); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "databench:", err)
	os.Exit(1)
}

func generateBatch(dir, dst string, rows int, seed uint64) error {
	csvPath := dst
	if filepath.Ext(dst) == ".parquet" {
		csvPath = dst + ".csv"
		defer os.Remove(csvPath)
	}
	if err := sample.ResampleFile(filepath.Join(dir, "reference.csv"), csvPath, rows, seed); err != nil {
		return err
	}
	if csvPath == dst {
		return nil
	}
	sch, err := schema.Load(filepath.Join(dir, "schema.yaml"))
	if err != nil {
		return err
	}
	in, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer in.Close()
	tb, err := table.ReadCSV(in, table.WithFields(sch.Fields()...))
	if err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := table.WriteParquet(out, tb); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func run(dir, format string, rows int, seed uint64) error {
	tmp, err := os.MkdirTemp("", "databench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	batch := filepath.Join(tmp, "batch."+format)
	fmt.Fprintf(os.Stderr, "generating %d rows (%s, seed %d)…\n", rows, format, seed)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	gen := exec.Command(self, "-data", dir, "-rows", fmt.Sprint(rows), "-seed", fmt.Sprint(seed), "-generate", batch)
	gen.Stdout, gen.Stderr = os.Stderr, os.Stderr
	if err := gen.Run(); err != nil {
		return fmt.Errorf("generating the batch: %w", err)
	}
	fi, err := os.Stat(batch)
	if err != nil {
		return err
	}

	fmt.Fprintln(os.Stderr, "checking…")
	runtime.GC()
	peakHeap, stop := sampleHeap(5 * time.Millisecond)
	start := time.Now()
	rep, err := data.Check(context.Background(), data.Config{
		Schema:    filepath.Join(dir, "schema.yaml"),
		Quality:   filepath.Join(dir, "quality.yaml"),
		Reference: filepath.Join(dir, "reference.csv"),
		Batch:     batch,
	})
	elapsed := time.Since(start)
	stop()
	if err != nil {
		return err
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // Maxrss is in KiB on Linux

	total := rep.Batch.Rows + rep.Reference.Rows
	fmt.Printf("format:            %s\n", format)
	fmt.Printf("batch rows:        %d (%.1f MiB)\n", rep.Batch.Rows, float64(fi.Size())/(1<<20))
	fmt.Printf("reference rows:    %d\n", rep.Reference.Rows)
	fmt.Printf("check time:        %.3f s (read both, schema, quality, drift)\n", elapsed.Seconds())
	fmt.Printf("rows/s:            %.0f (batch + reference rows / check time)\n", float64(total)/elapsed.Seconds())
	fmt.Printf("peak Go heap:      %.1f MiB (in use, sampled every 5 ms)\n", float64(*peakHeap)/(1<<20))
	fmt.Printf("peak RSS:          %.1f MiB (getrusage maxrss)\n", float64(ru.Maxrss)/1024)
	fmt.Printf("result:            %s\n", rep.Summary())
	fmt.Printf("note:              resampling with replacement repeats rows, so the duplicate rule is expected to fail\n")
	return nil
}

// sampleHeap records the largest HeapInuse seen until stop is called.
func sampleHeap(every time.Duration) (*uint64, func()) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return &peak, func() { close(done); wg.Wait() }
}
