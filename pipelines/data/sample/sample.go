package sample

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
)

// Resample writes the header of the CSV file src and then rows rows drawn from it
// uniformly with replacement, using a PCG generator seeded with seed: the same
// arguments always give the same bytes.
func Resample(src string, dst io.Writer, rows int, seed uint64) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening %s: %w", src, err)
	}
	defer f.Close()
	recs, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	if len(recs) < 2 {
		return fmt.Errorf("reading %s: need a header and at least one row", src)
	}
	bw := bufio.NewWriterSize(dst, 1<<20)
	w := csv.NewWriter(bw)
	if err := w.Write(recs[0]); err != nil {
		return fmt.Errorf("writing sample: %w", err)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	data := recs[1:]
	for i := 0; i < rows; i++ {
		if err := w.Write(data[rng.IntN(len(data))]); err != nil {
			return fmt.Errorf("writing sample: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("writing sample: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing sample: %w", err)
	}
	return nil
}

// ResampleFile is Resample into a new file at dst.
func ResampleFile(src, dst string, rows int, seed uint64) error {
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	if err := Resample(src, f, rows, seed); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
