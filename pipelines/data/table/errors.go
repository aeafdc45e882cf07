package table

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is on an *Error.
var (
	ErrEmpty     = errors.New("empty file")
	ErrNoRows    = errors.New("no data rows")
	ErrTooLarge  = errors.New("input too large")
	ErrDelimiter = errors.New("wrong delimiter")
	ErrEncoding  = errors.New("not UTF-8")
	ErrRagged    = errors.New("ragged row")
	ErrSyntax    = errors.New("malformed file")
	ErrHeader    = errors.New("bad header")
)

// Error is an input that cannot be read: what is wrong, where, and how to fix it.
type Error struct {
	// File is the name the input was read under.
	File string
	// Line and Col locate the problem in a CSV file (1-based); 0 when unknown.
	Line, Col int
	// Row is the 1-based data row in a Parquet file; 0 when unknown.
	Row int
	// What says what is wrong.
	What string
	// Fix says how to fix it.
	Fix string
	// Err is one of the sentinel errors, or an underlying cause.
	Err error
}

func (e *Error) Error() string {
	where := e.File
	switch {
	case e.Line > 0 && e.Col > 0:
		where = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	case e.Line > 0:
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	case e.Row > 0:
		where = fmt.Sprintf("%s: row %d", e.File, e.Row)
	}
	msg := where + ": " + e.What
	if e.Fix != "" {
		msg += ": " + e.Fix
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }
