package table

import (
	"bytes"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Bounds on the parts of a Parquet file that decide how much the decoder allocates.
const (
	maxFooterBytes    = 64 << 20  // file metadata; even 10,000 row groups need far less
	maxPageBytes      = 256 << 20 // one uncompressed page; writers default to about 1 MiB
	maxPageHeaderSize = 64 << 10
)

// checkParquet validates what parquet-go trusts before it allocates: the magic bytes,
// the footer length, every length inside the footer, and each page header's sizes and
// value count, so a damaged or hostile file gives an error, not a multi-gigabyte
// allocation.
func checkParquet(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("%d bytes is too short for a Parquet file", size)
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("reading the footer: %w", err)
	}
	if string(tail[4:]) == "PARE" {
		return fmt.Errorf("the file is encrypted; encrypted Parquet is not supported")
	}
	if string(head[:4]) != "PAR1" || string(tail[4:]) != "PAR1" {
		return fmt.Errorf("no PAR1 magic at the start and end")
	}
	footerLen := int64(uint32(tail[0]) | uint32(tail[1])<<8 | uint32(tail[2])<<16 | uint32(tail[3])<<24)
	if footerLen > size-12 || footerLen > maxFooterBytes {
		return fmt.Errorf("footer length %d does not fit in the file", footerLen)
	}
	footer := make([]byte, footerLen)
	if _, err := r.ReadAt(footer, size-8-footerLen); err != nil {
		return fmt.Errorf("reading the footer: %w", err)
	}
	if n, err := walkStruct(footer); err != nil || int64(n) != footerLen {
		return fmt.Errorf("reading the footer: %w", errThrift)
	}
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), footer, &md); err != nil {
		return fmt.Errorf("decoding the footer: %w", err)
	}
	dataEnd := size - 8 - footerLen
	var rows int64
	for i, rg := range md.RowGroups {
		if rg.NumRows < 0 || rg.NumRows > md.NumRows {
			return fmt.Errorf("row group %d claims %d rows of %d", i, rg.NumRows, md.NumRows)
		}
		rows += rg.NumRows
		for j, cc := range rg.Columns {
			if err := checkChunk(r, &cc.MetaData, rg.NumRows, dataEnd); err != nil {
				return fmt.Errorf("row group %d, column %d: %w", i, j, err)
			}
		}
	}
	if rows != md.NumRows {
		return fmt.Errorf("row groups hold %d rows, the footer says %d", rows, md.NumRows)
	}
	return nil
}

// checkChunk walks the page headers of one column chunk.
func checkChunk(r io.ReaderAt, cm *format.ColumnMetaData, rows, dataEnd int64) error {
	start := cm.DataPageOffset
	if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < start {
		start = cm.DictionaryPageOffset
	}
	end := start + cm.TotalCompressedSize
	if start < 4 || cm.TotalCompressedSize < 0 || end > dataEnd || end < start {
		return fmt.Errorf("chunk bytes %d..%d lie outside the data (4..%d)", start, end, dataEnd)
	}
	buf := make([]byte, min(maxPageHeaderSize, end-start))
	for off := start; off < end; {
		window := buf[:min(int64(len(buf)), end-off)]
		if _, err := r.ReadAt(window, off); err != nil && err != io.EOF {
			return fmt.Errorf("reading a page header: %w", err)
		}
		n, err := walkStruct(window)
		if err != nil {
			return fmt.Errorf("page header at byte %d: %w", off, err)
		}
		var h format.PageHeader
		if err := thrift.Unmarshal(new(thrift.CompactProtocol), bytes.Clone(window[:n]), &h); err != nil {
			return fmt.Errorf("page header at byte %d: %w", off, err)
		}
		body := int64(h.CompressedPageSize)
		switch {
		case body < 0 || off+int64(n)+body > end:
			return fmt.Errorf("page at byte %d: %d compressed bytes overrun the chunk", off, body)
		case h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes:
			return fmt.Errorf("page at byte %d: uncompressed size %d", off, h.UncompressedPageSize)
		case h.DataPageHeader.Valid && (h.DataPageHeader.V.NumValues < 0 || int64(h.DataPageHeader.V.NumValues) > rows),
			h.DataPageHeaderV2.Valid && (h.DataPageHeaderV2.V.NumValues < 0 || int64(h.DataPageHeaderV2.V.NumValues) > rows):
			return fmt.Errorf("page at byte %d: more values than the row group's %d rows", off, rows)
		case h.DictionaryPageHeader.Valid && (h.DictionaryPageHeader.V.NumValues < 0 ||
			int64(h.DictionaryPageHeader.V.NumValues) > int64(h.UncompressedPageSize)+1):
			return fmt.Errorf("page at byte %d: dictionary of %d values in %d bytes", off, h.DictionaryPageHeader.V.NumValues, h.UncompressedPageSize)
		}
		off += int64(n) + body
	}
	return nil
}
