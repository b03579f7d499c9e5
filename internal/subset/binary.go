package subset

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// binarySignature starts every binary COPY stream.
var binarySignature = []byte("PGCOPY\n\377\r\n\x00")

// fetchBinary passes one part of a whole table's binary COPY, read from
// src, to the target untouched. It reads only the stream's framing (a
// field count and field lengths per row), to count rows against the
// budgets and report progress; no value is parsed, printed or checked by
// pgtwin or by the servers' text input and output functions.
func (e *engine) fetchBinary(ctx context.Context, p wholePart, src Source) error {
	return e.stream(ctx, p.ts, p.into, p.query, src, e.binarySink, func(r io.Reader, write, raw func([]byte) error) error {
		return readBinaryRows(r, p.ts, write, raw)
	})
}

// readBinaryRows calls write with each row of a binary COPY stream, the
// stream's header in front of the first and its trailer after the last.
// A stream without rows writes nothing; raw writes the trailer, which is
// no row. Rows are framed in a buffer of their own and handed out as
// slices of it, valid until write returns: a whole table passes through
// here, and reading it field by field through a bufio.Reader cost more
// CPU than the rest of pgtwin's side of a full twin.
func readBinaryRows(r io.Reader, ts *tableState, write, raw func([]byte) error) error {
	f := &frames{r: r, buf: make([]byte, 256<<10)}
	if err := f.need(len(binarySignature) + 8); err != nil {
		return fmt.Errorf("%s: binary COPY header: %w", ts.t.Name.Display(), err)
	}
	head := slices.Clone(f.unread()[:len(binarySignature)+8])
	if !bytes.Equal(head[:len(binarySignature)], binarySignature) {
		return fmt.Errorf("%s: not a binary COPY stream", ts.t.Name.Display())
	}
	f.start += len(head)
	// The target gets a header without extension area.
	ext := int(binary.BigEndian.Uint32(head[len(head)-4:]))
	binary.BigEndian.PutUint32(head[len(head)-4:], 0)
	if ext < 0 || f.need(ext) != nil {
		return fmt.Errorf("%s: binary COPY header: extension area cut short", ts.t.Name.Display())
	}
	f.start += ext
	first := true
	for {
		n, err := f.row(len(ts.cols))
		if err != nil {
			return fmt.Errorf("%s: %w", ts.t.Name.Display(), err)
		}
		if n == 0 { // the trailer
			f.start += 2
			if first {
				return nil
			}
			return raw([]byte{0xff, 0xff})
		}
		row := f.unread()[:n]
		if first {
			row = append(head, row...)
			first = false
		}
		if err := write(row); err != nil {
			return err
		}
		f.start += n
	}
}

// frames holds the unread part of a binary COPY stream, buf[start:end].
type frames struct {
	r          io.Reader
	buf        []byte
	start, end int
}

func (f *frames) unread() []byte { return f.buf[f.start:f.end] }

// need reads until at least n bytes are unread, moving them to the front
// of the buffer (and growing it) when they do not fit behind.
func (f *frames) need(n int) error {
	for f.end-f.start < n {
		if f.start+n > len(f.buf) {
			buf := f.buf
			if n > len(buf) {
				buf = make([]byte, max(n, 2*len(buf)))
			}
			f.end = copy(buf, f.buf[f.start:f.end])
			f.start, f.buf = 0, buf
		}
		m, err := f.r.Read(f.buf[f.end:])
		f.end += m
		if err == io.EOF && f.end-f.start < n {
			return io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}

// row returns the length of the next row, which need has made unread, or
// 0 for the trailer. A row is a field count (16 bits) and that many
// fields, each a length (32 bits, -1 for NULL) and as many bytes.
func (f *frames) row(fields int) (int, error) {
	if err := f.need(2); err != nil {
		return 0, fmt.Errorf("binary COPY row: %w", err)
	}
	count := int16(binary.BigEndian.Uint16(f.unread()))
	if count == -1 {
		return 0, nil
	}
	if int(count) != fields {
		return 0, fmt.Errorf("row has %d fields, want %d", count, fields)
	}
	n := 2
	for range count {
		if err := f.need(n + 4); err != nil {
			return 0, fmt.Errorf("binary COPY field: %w", err)
		}
		size := int32(binary.BigEndian.Uint32(f.unread()[n:]))
		n += 4
		if size > 0 {
			n += int(size)
		} else if size < -1 {
			return 0, fmt.Errorf("binary COPY field: length %d", size)
		}
	}
	if err := f.need(n); err != nil {
		return 0, fmt.Errorf("binary COPY field: %w", err)
	}
	return n, nil
}
