package mask

import (
	"errors"
	"fmt"
)

// Arrays: PostgreSQL's array text ({a,"b c",NULL}, nested {{1,2},{3,4}},
// with a [lo:hi]= dimension prefix when the lower bound is not 1). Each
// non-NULL element is masked with the element type's masker and written
// back quoted as array_out quotes it. Structure, NULLs and the dimension
// prefix are kept.

var errNotArray = errors.New("value is not an array")

type tokKind uint8

const (
	tokEnd tokKind = iota
	tokOpen
	tokClose
	tokComma
	tokElem
	tokNull
)

// arrayScanner reads an array's text token by token.
type arrayScanner struct {
	v     []byte
	i     int
	depth int
	done  bool // the outer array is closed
	prev  tokKind
	elem  []byte // the current element, unquoted and unescaped
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// start reads the dimension prefix, returned as it is.
func (s *arrayScanner) start(v []byte) ([]byte, error) {
	s.v, s.i, s.depth, s.done, s.prev = v, 0, 0, false, tokComma
	var prefix []byte
	if len(v) > 0 && v[0] == '[' {
		for s.i < len(v) && v[s.i] != '=' {
			s.i++
		}
		if s.i == len(v) {
			return nil, errNotArray
		}
		s.i++
		prefix = v[:s.i]
	}
	s.skipSpace()
	if s.i == len(v) || v[s.i] != '{' {
		return nil, errNotArray
	}
	return prefix, nil
}

func (s *arrayScanner) skipSpace() {
	for s.i < len(s.v) && isSpace(s.v[s.i]) {
		s.i++
	}
}

// next returns the next token, checking that it may follow the previous
// one: values after { or a comma, a comma or } after a value, } after {.
func (s *arrayScanner) next() (tokKind, error) {
	tok, err := s.token()
	if err != nil {
		return tok, err
	}
	value := s.prev == tokOpen || s.prev == tokComma
	switch tok {
	case tokOpen, tokElem, tokNull:
		if !value {
			return tokEnd, errNotArray
		}
	case tokComma:
		if value {
			return tokEnd, errNotArray
		}
	case tokClose:
		if s.prev == tokComma {
			return tokEnd, errNotArray
		}
	}
	if tok == tokOpen || tok == tokComma {
		s.prev = tok
	} else {
		s.prev = tokClose // a value
	}
	return tok, nil
}

func (s *arrayScanner) token() (tokKind, error) {
	s.skipSpace()
	if s.i == len(s.v) {
		if s.depth != 0 {
			return tokEnd, errNotArray
		}
		return tokEnd, nil
	}
	c := s.v[s.i]
	if s.done || s.depth == 0 && c != '{' {
		return tokEnd, errNotArray // text after the array
	}
	switch c {
	case '{':
		s.i++
		s.depth++
		return tokOpen, nil
	case '}':
		s.i++
		s.depth--
		s.done = s.depth == 0
		return tokClose, nil
	case ',':
		s.i++
		return tokComma, nil
	}
	s.elem = s.elem[:0]
	if c == '"' {
		s.i++
		for {
			if s.i == len(s.v) {
				return tokEnd, errNotArray
			}
			c := s.v[s.i]
			s.i++
			if c == '"' {
				return tokElem, nil
			}
			if c == '\\' {
				if s.i == len(s.v) {
					return tokEnd, errNotArray
				}
				c = s.v[s.i]
				s.i++
			}
			s.elem = append(s.elem, c)
		}
	}
	trim := 0 // length without trailing unescaped blanks
	for s.i < len(s.v) {
		c := s.v[s.i]
		if c == ',' || c == '}' {
			break
		}
		if c == '{' || c == '"' {
			return tokEnd, errNotArray
		}
		s.i++
		if c == '\\' {
			if s.i == len(s.v) {
				return tokEnd, errNotArray
			}
			c = s.v[s.i]
			s.i++
			s.elem = append(s.elem, c)
			trim = len(s.elem)
			continue
		}
		s.elem = append(s.elem, c)
		if !isSpace(c) {
			trim = len(s.elem)
		}
	}
	s.elem = s.elem[:trim]
	if len(s.elem) == 4 && (s.elem[0]|0x20) == 'n' && (s.elem[1]|0x20) == 'u' && (s.elem[2]|0x20) == 'l' && (s.elem[3]|0x20) == 'l' {
		return tokNull, nil
	}
	return tokElem, nil
}

// appendElem appends e as array_out writes an element: quoted when empty,
// NULL-like, or holding a brace, comma, quote, backslash or blank.
func appendElem(dst, e []byte) []byte {
	q := len(e) == 0 || len(e) == 4 && (e[0]|0x20) == 'n' && (e[1]|0x20) == 'u' && (e[2]|0x20) == 'l' && (e[3]|0x20) == 'l'
	for _, c := range e {
		if c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || isSpace(c) {
			q = true
			break
		}
	}
	if !q {
		return append(dst, e...)
	}
	dst = append(dst, '"')
	for _, c := range e {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

type arrayScratch struct {
	s   arrayScanner
	out []byte
}

func (m *Masker) maskArray(dst, v []byte, row Row) ([]byte, error) {
	s := &m.arr.s
	prefix, err := s.start(v)
	if err != nil {
		return dst, err
	}
	dst = append(dst, prefix...)
	for {
		tok, err := s.next()
		if err != nil {
			return dst, err
		}
		switch tok {
		case tokEnd:
			return dst, nil
		case tokOpen:
			dst = append(dst, '{')
		case tokClose:
			dst = append(dst, '}')
		case tokComma:
			dst = append(dst, ',')
		case tokNull:
			dst = append(dst, "NULL"...)
		case tokElem:
			m.arr.out, err = m.vm.mask(m.arr.out[:0], s.elem, row)
			if err != nil {
				return dst, fmt.Errorf("array element: %w", err)
			}
			dst = appendElem(dst, m.arr.out)
		}
	}
}

// checkArray reports whether v is an array's text.
func checkArray(v []byte) error {
	var s arrayScanner
	if _, err := s.start(v); err != nil {
		return err
	}
	for {
		tok, err := s.next()
		if err != nil || tok == tokEnd {
			return err
		}
	}
}
