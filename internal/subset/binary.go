package subset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// binarySignature starts every binary COPY stream.
var binarySignature = []byte("PGCOPY\n\377\r\n\x00")

// fetchBinary passes a whole table's binary COPY from the source to the
// target untouched. It reads only the stream's framing (a field count and
// field lengths per row), to count rows against the budgets and report
// progress; no value is parsed, printed or checked by pgtwin or by the
// servers' text input and output functions.
func (e *engine) fetchBinary(ctx context.Context, ts *tableState, query string) error {
	return e.stream(ctx, ts, query, e.src, e.binarySink, func(r io.Reader, write, raw func([]byte) error) error {
		return readBinaryRows(r, ts, write, raw)
	})
}

// readBinaryRows calls write with each row of a binary COPY stream, the
// stream's header in front of the first and its trailer after the last.
// A stream without rows writes nothing; raw writes the trailer, which is
// no row.
func readBinaryRows(r io.Reader, ts *tableState, write, raw func([]byte) error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	head := make([]byte, len(binarySignature)+8)
	if _, err := io.ReadFull(br, head); err != nil {
		return fmt.Errorf("%s: binary COPY header: %w", ts.t.Name.Display(), err)
	}
	if !bytes.Equal(head[:len(binarySignature)], binarySignature) {
		return fmt.Errorf("%s: not a binary COPY stream", ts.t.Name.Display())
	}
	ext := binary.BigEndian.Uint32(head[len(head)-4:])
	if _, err := io.CopyN(io.Discard, br, int64(ext)); err != nil {
		return fmt.Errorf("%s: binary COPY header: %w", ts.t.Name.Display(), err)
	}
	// The target gets a header without extension area.
	binary.BigEndian.PutUint32(head[len(head)-4:], 0)
	row := append([]byte(nil), head...)
	first := true
	var n [4]byte
	for {
		if !first {
			row = row[:0]
		}
		if _, err := io.ReadFull(br, n[:2]); err != nil {
			return fmt.Errorf("%s: binary COPY row: %w", ts.t.Name.Display(), err)
		}
		fieldCount := int16(binary.BigEndian.Uint16(n[:2]))
		if fieldCount == -1 {
			if first {
				return nil
			}
			return raw([]byte{0xff, 0xff})
		}
		if int(fieldCount) != len(ts.cols) {
			return fmt.Errorf("%s: row has %d fields, want %d", ts.t.Name.Display(), fieldCount, len(ts.cols))
		}
		row = append(row, n[:2]...)
		for range fieldCount {
			if _, err := io.ReadFull(br, n[:4]); err != nil {
				return fmt.Errorf("%s: binary COPY field: %w", ts.t.Name.Display(), err)
			}
			row = append(row, n[:4]...)
			size := int32(binary.BigEndian.Uint32(n[:4]))
			if size > 0 {
				start := len(row)
				row = slices.Grow(row, int(size))[:start+int(size)]
				if _, err := io.ReadFull(br, row[start:]); err != nil {
					return fmt.Errorf("%s: binary COPY field: %w", ts.t.Name.Display(), err)
				}
			}
		}
		if err := write(row); err != nil {
			return err
		}
		first = false
	}
}
