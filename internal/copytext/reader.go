package copytext

import (
	"bytes"
	"errors"
	"io"
)

// DefaultBufferSize is the initial buffer size of NewReader. Rows longer
// than the buffer make it grow.
const DefaultBufferSize = 256 << 10

const minBufferSize = 16

// Reader splits a COPY text stream into rows. It copies data only when a row
// straddles the end of its buffer.
type Reader struct {
	rd         io.Reader
	buf        []byte
	start, end int   // unread data is buf[start:end]
	err        error // sticky error from rd
	done       bool  // end-of-data marker seen or stream finished
	rows       int64
}

// NewReader returns a Reader with a buffer of DefaultBufferSize.
func NewReader(r io.Reader) *Reader {
	return NewReaderSize(r, DefaultBufferSize)
}

// NewReaderSize returns a Reader whose buffer starts with size bytes (at
// least 16). The buffer grows to hold the longest row seen.
func NewReaderSize(r io.Reader, size int) *Reader {
	if size < minBufferSize {
		size = minBufferSize
	}
	return &Reader{rd: r, buf: make([]byte, size)}
}

// Reset makes the Reader read from r, keeping its buffer.
func (r *Reader) Reset(rd io.Reader) {
	*r = Reader{rd: rd, buf: r.buf}
}

// Rows returns the number of rows returned by Next so far.
func (r *Reader) Rows() int64 { return r.rows }

// Row is one raw row. Line holds the row's bytes without the final '\n'.
// A Row returned by Reader.Next is valid until the next call to Next.
//
// For a row that ended with '\n', cap(Line) includes that byte, so
// append(row.Line, '\n') gives the whole row without copying it; appending
// anything longer copies as usual, and the Reader's later rows are never
// overwritten.
type Row struct {
	Line []byte
}

var errNoProgress = errors.New("copytext: reader returned no data and no error")

// Next returns the next row. At the end of the stream, or after an
// end-of-data marker line (\.), it returns io.EOF. Any other error from the
// underlying reader is returned as is, after the complete rows before it.
func (r *Reader) Next() (Row, error) {
	if r.done {
		return Row{}, io.EOF
	}
	from := 0 // where to resume the search for '\n', relative to r.start
	for {
		data := r.buf[r.start:r.end]
		if i := indexUnescaped(data, from, '\n'); i >= 0 {
			// The capacity covers the '\n', so append(row.Line, '\n')
			// rewrites that byte in place instead of copying the row.
			line := data[: i : i+1]
			r.start += i + 1
			return r.row(line)
		}
		from = len(data)
		if r.err != nil {
			if r.err != io.EOF || len(data) == 0 {
				r.done = true
				return Row{}, r.err
			}
			// Final row without its newline.
			r.start = r.end
			r.done = true
			if isEndMarker(data) {
				return Row{}, io.EOF
			}
			r.rows++
			return Row{Line: data[:len(data):len(data)]}, nil
		}
		r.fill()
	}
}

func (r *Reader) row(line []byte) (Row, error) {
	if isEndMarker(line) {
		r.done = true
		return Row{}, io.EOF
	}
	r.rows++
	return Row{Line: line}, nil
}

func isEndMarker(line []byte) bool {
	return len(line) == 2 && line[0] == '\\' && line[1] == '.'
}

// fill reads more data, first moving the unread part to the front of the
// buffer and growing the buffer when it is full.
func (r *Reader) fill() {
	if r.start > 0 {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end = 0, n
	}
	if r.end == len(r.buf) {
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for i := 0; i < 100; i++ {
		n, err := r.rd.Read(r.buf[r.end:])
		if n < 0 || n > len(r.buf)-r.end {
			r.err = errors.New("copytext: invalid Read count")
			return
		}
		r.end += n
		if err != nil {
			r.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.err = errNoProgress
}

// indexUnescaped returns the index in s of the first c at or after from
// that is not escaped by a backslash, or -1. A c is escaped when an odd
// number of backslashes directly precedes it: backslashes pair up from the
// left into \\ escapes, and escapes never end with a backslash otherwise.
func indexUnescaped(s []byte, from int, c byte) int {
	for from < len(s) {
		i := bytes.IndexByte(s[from:], c)
		if i < 0 {
			return -1
		}
		i += from
		if i == 0 || s[i-1] != '\\' || evenBackslashesBefore(s, i) {
			return i
		}
		from = i + 1
	}
	return -1
}

func evenBackslashesBefore(s []byte, i int) bool {
	j := i - 1
	for j >= 0 && s[j] == '\\' {
		j--
	}
	return (i-1-j)%2 == 0
}
