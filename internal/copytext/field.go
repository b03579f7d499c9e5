package copytext

import (
	"bytes"
	"unsafe"
)

// Null is the raw field that stands for SQL NULL.
const Null = `\N`

// NumFields returns the number of fields in the row; an empty line has one
// (empty) field.
func (r Row) NumFields() int {
	n := 1
	for i := 0; ; {
		j := indexUnescaped(r.Line, i, '\t')
		if j < 0 {
			return n
		}
		n++
		i = j + 1
	}
}

// Field returns raw field i (0-based), still escaped, and whether the row
// has that field. The slice shares the row's memory.
func (r Row) Field(i int) ([]byte, bool) {
	if i < 0 {
		return nil, false
	}
	s := r.Line
	start := 0
	for ; i > 0; i-- {
		j := indexUnescaped(s, start, '\t')
		if j < 0 {
			return nil, false
		}
		start = j + 1
	}
	end := indexUnescaped(s, start, '\t')
	if end < 0 {
		end = len(s)
	}
	return s[start:end:end], true
}

// IsNull reports whether field i is exactly \N (SQL NULL). It is false when
// the row has no field i.
func (r Row) IsNull(i int) bool {
	f, ok := r.Field(i)
	return ok && IsNull(f)
}

// IsNull reports whether a raw field stands for SQL NULL.
func IsNull(field []byte) bool {
	return len(field) == 2 && field[0] == '\\' && field[1] == 'N'
}

// Split appends the row's raw fields to dst[:0] and returns the result. It
// does not allocate when dst has room for all fields. The fields share the
// row's memory.
func (r Row) Split(dst [][]byte) [][]byte {
	dst = dst[:0]
	s := r.Line
	start := 0
	for {
		j := indexUnescaped(s, start, '\t')
		if j < 0 {
			return append(dst, s[start:len(s):len(s)])
		}
		dst = append(dst, s[start:j:j])
		start = j + 1
	}
}

// AppendRow appends the raw fields joined by tabs and a final "\n" to dst.
func AppendRow(dst []byte, fields [][]byte) []byte {
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, '\t')
		}
		dst = append(dst, f...)
	}
	return append(dst, '\n')
}

// Decode returns the text value of a raw field. It does not treat \N
// specially (Decode(`\N`) is "N"); check IsNull first.
//
// Decode follows COPY FROM: \b \f \n \r \t \v stand for the control
// characters, \NNN for the byte with octal value NNN (one to three digits,
// taken modulo 256), \xHH for the byte with hex value HH (one or two
// digits), and a backslash before any other character, including a raw tab
// or newline, for that character; a backslash at the very end is dropped.
// The result can hold invalid UTF-8 when octal or hex escapes make it so
// (the server rejects such values).
func Decode(field []byte) string {
	i := bytes.IndexByte(field, '\\')
	if i < 0 {
		return string(field)
	}
	b := make([]byte, 0, len(field))
	b = append(b, field[:i]...)
	b = appendDecoded(b, field[i:])
	// b is not used again, so the string can share its memory.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// AppendDecode appends the text value of a raw field to dst, like Decode.
func AppendDecode(dst, field []byte) []byte {
	return appendDecoded(dst, field)
}

func appendDecoded(dst, s []byte) []byte {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i+1:]
		if len(s) == 0 {
			return dst // trailing backslash: dropped, as COPY FROM does
		}
		c := s[0]
		s = s[1:]
		switch c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'v':
			c = '\v'
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := c - '0'
			for k := 0; k < 2 && len(s) > 0 && s[0] >= '0' && s[0] <= '7'; k++ {
				v = v<<3 | (s[0] - '0') // wraps modulo 256 like the server's & 0377
				s = s[1:]
			}
			c = v
		case 'x':
			if len(s) > 0 && isHex(s[0]) {
				v := unhex(s[0])
				s = s[1:]
				if len(s) > 0 && isHex(s[0]) {
					v = v<<4 | unhex(s[0])
					s = s[1:]
				}
				c = v
			}
		}
		dst = append(dst, c)
	}
	return dst
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// Encode appends the COPY text form of the value s (text or bytes) to dst, escaping exactly
// what the server escapes on output: backslash, \b \f \n \r \t \v. Other
// bytes, including other control characters and invalid UTF-8, are copied
// as they are. Decode(Encode(nil, s)) == s for every s, and the result is
// never Null.
func Encode[T ~string | ~[]byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		var e byte
		switch c {
		case '\\':
			e = '\\'
		case '\b':
			e = 'b'
		case '\f':
			e = 'f'
		case '\n':
			e = 'n'
		case '\r':
			e = 'r'
		case '\t':
			e = 't'
		case '\v':
			e = 'v'
		default:
			continue
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, '\\', e)
		s = s[i+1:]
		i = -1
	}
	return append(dst, s...)
}
