package subset

import (
	"strconv"
	"strings"

	"github.com/pgtwin/pgtwin/internal/copytext"
)

// keySet holds the keys of rows (or key values) already seen. A key made of
// one integer column is held as an int64; any other key as the raw COPY text
// of its fields joined by tabs, which is an exact encoding of the values.
type keySet struct {
	ints map[int64]struct{}
	strs map[string]struct{}
}

func newKeySet() *keySet { return &keySet{ints: map[int64]struct{}{}, strs: map[string]struct{}{}} }

// add records the key and reports whether it was new.
func (s *keySet) add(fields [][]byte) bool {
	if len(fields) == 1 {
		if n, ok := parseInt(fields[0]); ok {
			if _, seen := s.ints[n]; seen {
				return false
			}
			s.ints[n] = struct{}{}
			return true
		}
	}
	k := joinFields(fields)
	if _, seen := s.strs[k]; seen {
		return false
	}
	s.strs[k] = struct{}{}
	return true
}

func (s *keySet) has(fields [][]byte) bool {
	if len(fields) == 1 {
		if n, ok := parseInt(fields[0]); ok {
			_, seen := s.ints[n]
			return seen
		}
	}
	_, seen := s.strs[joinFields(fields)]
	return seen
}

func (s *keySet) len() int { return len(s.ints) + len(s.strs) }

// parseInt reads a canonical integer as PostgreSQL prints it: digits with an
// optional minus, no leading zeros, no plus sign. Anything else is not an
// int key, so "007" and "7" never collide.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 || (len(b) > 1 && b[0] == '0') || (len(b) > 1 && b[0] == '-' && b[1] == '0') || b[0] == '+' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

func joinFields(fields [][]byte) string {
	if len(fields) == 1 {
		return string(fields[0])
	}
	var sb strings.Builder
	for i, f := range fields {
		if i > 0 {
			sb.WriteByte('\t')
		}
		sb.Write(f)
	}
	return sb.String()
}

// anyNull reports whether any of the fields is NULL.
func anyNull(fields [][]byte) bool {
	for _, f := range fields {
		if copytext.IsNull(f) {
			return true
		}
	}
	return false
}
