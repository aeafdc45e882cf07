package corrupt

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
)

// load reads a CSV file's header and rows.
func load(src string) ([]string, [][]string, error) {
	f, err := os.Open(src)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %s: %w", src, err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", src, err)
	}
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("reading %s: no header", src)
	}
	return recs[0], recs[1:], nil
}

// save writes a CSV file with the given delimiter.
func save(dst string, comma rune, header []string, rows [][]string) error {
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	w := csv.NewWriter(f)
	w.Comma = comma
	if err := w.Write(header); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return f.Close()
}

// edit loads src, lets fn change header and rows, and saves the result to dst.
func edit(src, dst string, fn func(header []string, rows [][]string) ([]string, [][]string, error)) error {
	header, rows, err := load(src)
	if err != nil {
		return err
	}
	header, rows, err = fn(header, rows)
	if err != nil {
		return err
	}
	return save(dst, ',', header, rows)
}

func index(header []string, column string) (int, error) {
	i := slices.Index(header, column)
	if i < 0 {
		return 0, fmt.Errorf("no column %q", column)
	}
	return i, nil
}

// DropColumn removes a column.
func DropColumn(src, dst, column string) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		i, err := index(h, column)
		if err != nil {
			return nil, nil, err
		}
		for r := range rows {
			rows[r] = slices.Delete(rows[r], i, i+1)
		}
		return slices.Delete(h, i, i+1), rows, nil
	})
}

// AddColumn appends a column holding value in every row.
func AddColumn(src, dst, column, value string) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		for r := range rows {
			rows[r] = append(rows[r], value)
		}
		return append(h, column), rows, nil
	})
}

// SetCells writes value into the column in every n-th row (rows 1, n+1, 2n+1, …):
// "" for nulls, an out-of-range number, an unknown category, text in a number column.
func SetCells(src, dst, column, value string, n int) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		i, err := index(h, column)
		if err != nil {
			return nil, nil, err
		}
		for r := 0; r < len(rows); r += max(n, 1) {
			rows[r][i] = value
		}
		return h, rows, nil
	})
}

// Duplicate appends copies of the first fraction of rows.
func Duplicate(src, dst string, fraction float64) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		k := int(math.Ceil(fraction * float64(len(rows))))
		return h, append(rows, slices.Clone(rows[:min(k, len(rows))])...), nil
	})
}

// Thin keeps only every n-th row whose column equals value, to starve a class.
func Thin(src, dst, column, value string, n int) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		i, err := index(h, column)
		if err != nil {
			return nil, nil, err
		}
		seen := 0
		return h, slices.DeleteFunc(rows, func(row []string) bool {
			if row[i] != value {
				return false
			}
			seen++
			return (seen-1)%max(n, 1) != 0
		}), nil
	})
}

// Shift adds delta to every value of a numeric column: a distribution shift (drift).
func Shift(src, dst, column string, delta float64) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		i, err := index(h, column)
		if err != nil {
			return nil, nil, err
		}
		for _, row := range rows {
			v, err := strconv.ParseFloat(row[i], 64)
			if err == nil {
				row[i] = strconv.FormatFloat(v+delta, 'f', -1, 64)
			}
		}
		return h, rows, nil
	})
}

// Head keeps the first n rows.
func Head(src, dst string, n int) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		return h, rows[:min(n, len(rows))], nil
	})
}

// Delimiter rewrites the file with another field delimiter, e.g. ';'.
func Delimiter(src, dst string, comma rune) error {
	header, rows, err := load(src)
	if err != nil {
		return err
	}
	return save(dst, comma, header, rows)
}

// NonUTF8 puts a byte that is not UTF-8 (0xFF, Latin-1 'ÿ') into a cell of the given
// 1-based row.
func NonUTF8(src, dst, column string, row int) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		i, err := index(h, column)
		if err != nil || row < 1 || row > len(rows) {
			return nil, nil, fmt.Errorf("no cell %s at row %d: %v", column, row, err)
		}
		rows[row-1][i] += "\xff"
		return h, rows, nil
	})
}

// Ragged drops the last field of the given 1-based row.
func Ragged(src, dst string, row int) error {
	return edit(src, dst, func(h []string, rows [][]string) ([]string, [][]string, error) {
		if row < 1 || row > len(rows) {
			return nil, nil, fmt.Errorf("no row %d", row)
		}
		rows[row-1] = rows[row-1][:len(rows[row-1])-1]
		return h, rows, nil
	})
}

// HeaderOnly keeps the header and no rows.
func HeaderOnly(src, dst string) error { return Head(src, dst, 0) }

// Empty writes an empty file.
func Empty(_, dst string) error { return os.WriteFile(dst, nil, 0o644) }
