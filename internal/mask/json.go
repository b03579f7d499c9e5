package mask

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// json and jsonb columns are masked by path. A path is $-rooted with .key,
// [*] and [n] steps: $.contact.email, $.items[*].sku, $[0]. The text is
// rewritten in place: everything a path does not select, whitespace and
// key order included, is kept byte for byte. A path that selects an object
// or array masks every scalar inside it; when several paths select a
// value, the first listed wins; paths that select nothing are fine.
//
// What a path's mask does to each JSON scalar:
//
//	string:  masked as a text value by email, name, first_name, last_name,
//	         digits, text, uuid, date, timestamp, hash; int and numeric
//	         refuse it (an error)
//	number:  int (integers), numeric; digits and text mask it as numeric
//	         with every digit free; hash makes it the hash's string;
//	         email and names refuse it
//	true, false, null: kept
//
// and on every scalar null writes null, value writes its constant (as is
// when it is JSON, else as a JSON string), keep keeps it.
type jsonMasker struct {
	paths []jsonPath
	stack []cursor
	str   []byte
	out   []byte
}

type jsonPath struct {
	text  string
	steps []jstep
	kind  string
	str   valueMasker // for strings
	num   valueMasker // for numbers
	value []byte      // a value mask's JSON
}

type jstep struct {
	key   string
	index int // -1: a key step; -2: [*]
}

type cursor struct{ path, step int }

func compileJSON(k Key, prs []PathRule, _ bool) (valueMasker, error) {
	m := &jsonMasker{}
	for _, pr := range prs {
		steps, err := parsePath(pr.Path)
		if err != nil {
			return nil, fmt.Errorf("path %q: %v", pr.Path, err)
		}
		p := jsonPath{text: pr.Path, steps: steps, kind: pr.Rule.Mask}
		if err := p.compile(k, pr.Rule); err != nil {
			return nil, fmt.Errorf("path %s: mask %s: %v", pr.Path, pr.Rule.Mask, err)
		}
		m.paths = append(m.paths, p)
	}
	return m, nil
}

func (p *jsonPath) compile(k Key, r Rule) error {
	if len(r.Paths) > 0 {
		return errors.New("paths inside paths")
	}
	var scratch Masker
	compile := func(r Rule, t TypeKind) (valueMasker, error) {
		return compileValue(k, r, Column{Type: Type{Kind: t}}, &scratch)
	}
	var err error
	switch r.Mask {
	case Null, Keep:
		return checkParams(r)
	case Value:
		if r.Value == nil {
			return errors.New("no value given")
		}
		if jsonValid([]byte(*r.Value)) {
			p.value = []byte(*r.Value)
		} else {
			p.value = appendJSONString(nil, []byte(*r.Value))
		}
		return nil
	case Email, Name, FirstName, LastName, Hash:
		p.str, err = compile(r, StringType)
	case UUID:
		p.str, err = compile(r, UUIDType)
	case Date:
		p.str, err = compile(r, DateType)
	case Timestamp:
		p.str, err = compile(r, TimestampTZType)
	case Digits, Text:
		if p.str, err = compile(r, StringType); err == nil {
			p.num, err = compile(Rule{Mask: Numeric, Noise: 1000}, NumericType)
		}
	case Int:
		p.num, err = compile(r, IntType)
	case Numeric:
		p.num, err = compile(r, NumericType)
	case "":
		return errors.New("no mask given")
	default:
		return errors.New("not a mask for values inside json")
	}
	return err
}

func parsePath(s string) ([]jstep, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, errors.New("a path starts with $")
	}
	var steps []jstep
	for i := 1; i < len(s); {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == i+1 {
				return nil, errors.New("empty key")
			}
			steps = append(steps, jstep{key: s[i+1 : j], index: -1})
			i = j
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, errors.New("[ without ]")
			}
			in := s[i+1 : i+j]
			if in == "*" {
				steps = append(steps, jstep{index: -2})
			} else if n, err := strconv.Atoi(in); err == nil && n >= 0 {
				steps = append(steps, jstep{index: n})
			} else {
				return nil, errors.New("write [*] or [n]")
			}
			i += j + 1
		default:
			return nil, errors.New("write .key, [*] or [n] after $")
		}
	}
	return steps, nil
}

var errNotJSON = errors.New("value is not valid JSON")

func (m *jsonMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	m.stack = m.stack[:0]
	for i := range m.paths {
		m.stack = append(m.stack, cursor{i, 0})
	}
	dst, i, err := m.value(dst, v, 0, 0, len(m.stack), -1)
	if err != nil {
		return dst, err
	}
	for ; i < len(v) && isJSONSpace(v[i]); i++ {
		dst = append(dst, v[i])
	}
	if i != len(v) {
		return dst, errNotJSON
	}
	return dst, nil
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// value copies or masks the JSON value at v[i:]. stack[lo:hi] are the
// cursors of the paths still matching; under ≥ 0 is the path selecting a
// container this value is inside.
func (m *jsonMasker) value(dst, v []byte, i, lo, hi, under int) ([]byte, int, error) {
	for ; i < len(v) && isJSONSpace(v[i]); i++ {
		dst = append(dst, v[i])
	}
	if i == len(v) {
		return dst, i, errNotJSON
	}
	sel := under
	for c := lo; c < hi && sel < 0; c++ {
		if cu := m.stack[c]; cu.step == len(m.paths[cu.path].steps) {
			sel = cu.path
		}
	}
	switch v[i] {
	case '{', '[':
		return m.container(dst, v, i, lo, hi, sel)
	}
	end, err := scalarEnd(v, i)
	if err != nil {
		return dst, i, err
	}
	if sel < 0 {
		return append(dst, v[i:end]...), end, nil
	}
	dst, err = m.scalar(dst, v[i:end], &m.paths[sel])
	return dst, end, err
}

func (m *jsonMasker) container(dst, v []byte, i, lo, hi, sel int) ([]byte, int, error) {
	obj := v[i] == '{'
	closer := byte(']')
	if obj {
		closer = '}'
	}
	dst = append(dst, v[i])
	i++
	for n := 0; ; n++ {
		for ; i < len(v) && isJSONSpace(v[i]); i++ {
			dst = append(dst, v[i])
		}
		if i == len(v) {
			return dst, i, errNotJSON
		}
		if v[i] == closer && n == 0 {
			return append(dst, closer), i + 1, nil
		}
		var key []byte
		if obj {
			end, err := scalarEnd(v, i)
			if err != nil || v[i] != '"' {
				return dst, i, errNotJSON
			}
			dst = append(dst, v[i:end]...)
			key = v[i+1 : end-1]
			i = end
			for ; i < len(v) && isJSONSpace(v[i]); i++ {
				dst = append(dst, v[i])
			}
			if i == len(v) || v[i] != ':' {
				return dst, i, errNotJSON
			}
			dst = append(dst, ':')
			i++
		}
		// The cursors that step into this member.
		clo := len(m.stack)
		if sel < 0 {
			for c := lo; c < hi; c++ {
				cu := m.stack[c]
				st := m.paths[cu.path].steps
				if cu.step == len(st) {
					continue
				}
				s := st[cu.step]
				if obj && s.index == -1 && keyEqual(key, s.key) || !obj && (s.index == -2 || s.index == n) {
					m.stack = append(m.stack, cursor{cu.path, cu.step + 1})
				}
			}
		}
		var err error
		dst, i, err = m.value(dst, v, i, clo, len(m.stack), sel)
		m.stack = m.stack[:clo]
		if err != nil {
			return dst, i, err
		}
		for ; i < len(v) && isJSONSpace(v[i]); i++ {
			dst = append(dst, v[i])
		}
		if i == len(v) {
			return dst, i, errNotJSON
		}
		switch v[i] {
		case ',':
			dst = append(dst, ',')
			i++
		case closer:
			return append(dst, closer), i + 1, nil
		default:
			return dst, i, errNotJSON
		}
	}
}

// keyEqual compares a raw JSON key (escapes possible) with a path's key.
func keyEqual(raw []byte, key string) bool {
	for _, c := range raw {
		if c == '\\' {
			var s string
			return json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s) == nil && s == key
		}
	}
	return string(raw) == key
}

// scalarEnd returns the end of the scalar at v[i].
func scalarEnd(v []byte, i int) (int, error) {
	if v[i] == '"' {
		for j := i + 1; j < len(v); j++ {
			switch v[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errNotJSON
	}
	j := i
	for j < len(v) && (v[j] >= 'a' && v[j] <= 'z' || v[j] >= '0' && v[j] <= '9' || v[j] == '-' || v[j] == '+' || v[j] == '.' || v[j] == 'E') {
		j++
	}
	if j == i {
		return 0, errNotJSON
	}
	return j, nil
}

func (m *jsonMasker) scalar(dst, s []byte, p *jsonPath) ([]byte, error) {
	switch p.kind {
	case Keep:
		return append(dst, s...), nil
	case Null:
		return append(dst, "null"...), nil
	case Value:
		return append(dst, p.value...), nil
	}
	var err error
	switch {
	case s[0] == '"':
		if p.str == nil {
			return dst, fmt.Errorf("at %s: mask %s applies to numbers, found a string", p.text, p.kind)
		}
		if m.str, err = decodeJSONString(m.str[:0], s); err != nil {
			return dst, err
		}
		if m.out, err = p.str.mask(m.out[:0], m.str, nil); err != nil {
			return dst, fmt.Errorf("at %s: %w", p.text, err)
		}
		return appendJSONString(dst, m.out), nil
	case s[0] == '-' || s[0] >= '0' && s[0] <= '9':
		if p.kind == Hash {
			m.out, _ = p.str.mask(m.out[:0], s, nil)
			return appendJSONString(dst, m.out), nil
		}
		if p.num == nil {
			return dst, fmt.Errorf("at %s: mask %s applies to strings, found a number", p.text, p.kind)
		}
		if dst, err = p.num.mask(dst, s, nil); err != nil {
			return dst, fmt.Errorf("at %s: %w", p.text, err)
		}
		return dst, nil
	case string(s) == "true" || string(s) == "false" || string(s) == "null":
		return append(dst, s...), nil
	}
	return dst, errNotJSON
}

func decodeJSONString(dst, s []byte) ([]byte, error) {
	s = s[1 : len(s)-1]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i == len(s) {
			return dst, errNotJSON
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return dst, errNotJSON
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2, ok = hex4(s[i+3:])
				}
				if ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
					r = utf16.DecodeRune(r, r2)
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, errNotJSON
		}
	}
	return dst, nil
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		x, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(x)
	}
	return r, true
}

func appendJSONString(dst, s []byte) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func jsonValid(v []byte) bool { return json.Valid(v) }
