package table

import (
	"encoding/binary"
	"errors"
)

// thriftWalker checks a Thrift compact-protocol struct without allocating for it: every
// list, set, map and string must fit in the bytes that remain. parquet-go's decoder
// allocates what a length field claims before reading, so a 100-byte file claiming a
// list of 2³¹ row groups would otherwise exhaust memory; after this check a claim can
// be no larger than the input that makes it.
type thriftWalker struct {
	b   []byte
	pos int
}

var errThrift = errors.New("malformed thrift metadata")

const maxThriftDepth = 64

// walkStruct checks one struct at b[0:] and returns its length in bytes.
func walkStruct(b []byte) (int, error) {
	w := &thriftWalker{b: b}
	if err := w.structure(0); err != nil {
		return 0, err
	}
	return w.pos, nil
}

func (w *thriftWalker) left() int { return len(w.b) - w.pos }

func (w *thriftWalker) byte() (byte, error) {
	if w.pos >= len(w.b) {
		return 0, errThrift
	}
	w.pos++
	return w.b[w.pos-1], nil
}

func (w *thriftWalker) varint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.pos:])
	if n <= 0 {
		return 0, errThrift
	}
	w.pos += n
	return v, nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(w.left()) {
		return errThrift
	}
	w.pos += int(n)
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth > maxThriftDepth {
		return errThrift
	}
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		typ := h & 0x0f
		if typ == 0 { // STOP
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows as a zigzag varint
			if _, err := w.varint(); err != nil {
				return err
			}
		}
		if err := w.value(typ, depth); err != nil {
			return err
		}
	}
}

func (w *thriftWalker) value(typ byte, depth int) error {
	switch typ {
	case 1, 2: // BOOLEAN_TRUE, BOOLEAN_FALSE: the value is the type
		return nil
	case 3: // BYTE
		return w.skip(1)
	case 4, 5, 6: // I16, I32, I64
		_, err := w.varint()
		return err
	case 7: // DOUBLE
		return w.skip(8)
	case 8: // BINARY
		n, err := w.varint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case 9, 10: // LIST, SET
		h, err := w.byte()
		if err != nil {
			return err
		}
		size, elem := uint64(h>>4), h&0x0f
		if size == 15 {
			if size, err = w.varint(); err != nil {
				return err
			}
		}
		if size > uint64(w.left()) { // every element takes at least one byte
			return errThrift
		}
		for i := uint64(0); i < size; i++ {
			if err := w.element(elem, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 11: // MAP
		size, err := w.varint()
		if err != nil || size > uint64(w.left())/2 {
			return errThrift
		}
		if size == 0 {
			return nil
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		for i := uint64(0); i < size; i++ {
			if err := w.element(kv>>4, depth+1); err != nil {
				return err
			}
			if err := w.element(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 12: // STRUCT
		return w.structure(depth + 1)
	}
	return errThrift
}

// element reads a list, set or map element: booleans there take a byte each.
func (w *thriftWalker) element(typ byte, depth int) error {
	if typ == 1 || typ == 2 {
		return w.skip(1)
	}
	return w.value(typ, depth)
}
