package subset

import (
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/pgtwin/pgtwin/internal/copytext"
)

// keySet holds the keys of rows (or key values) already seen. A key made of
// one integer column, the common case, goes into a compressed bitmap (a few
// bytes a key, a bit or two when the keys are dense); any other key is held
// as the raw COPY text of its fields joined by tabs, an exact encoding of
// the values.
type keySet struct {
	ints *roaring64.Bitmap
	strs map[string]struct{}
}

func newKeySet() *keySet { return &keySet{ints: roaring64.New(), strs: map[string]struct{}{}} }

// bitmapKey maps an int64 onto the bitmap's uint64 range, keeping order.
func bitmapKey(n int64) uint64 { return uint64(n) ^ 1<<63 }

// add records the key and reports whether it was new.
func (s *keySet) add(fields [][]byte) bool {
	if len(fields) == 1 {
		if n, ok := parseInt(fields[0]); ok {
			return s.ints.CheckedAdd(bitmapKey(n))
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
			return s.ints.Contains(bitmapKey(n))
		}
	}
	_, seen := s.strs[joinFields(fields)]
	return seen
}

func (s *keySet) len() int { return int(s.ints.GetCardinality()) + len(s.strs) }

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

// keyQueue holds key values waiting to be looked up, each once (the asked
// sets see to that): one-column integer keys in a compressed bitmap, taken
// in ascending order; any other key as the raw COPY text of its fields
// joined by tabs. A full read takes the queue whole as its filter, so no
// second copy of a big set is made.
type keyQueue struct {
	ints *roaring64.Bitmap
	strs []string
}

func (q *keyQueue) push(fields [][]byte) {
	if len(fields) == 1 {
		if n, ok := parseInt(fields[0]); ok {
			if q.ints == nil {
				q.ints = roaring64.New()
			}
			q.ints.Add(bitmapKey(n))
			return
		}
	}
	q.strs = append(q.strs, joinFields(fields))
}

func (q *keyQueue) len() int {
	n := len(q.strs)
	if q.ints != nil {
		n += int(q.ints.GetCardinality())
	}
	return n
}

func (q *keyQueue) empty() bool { return q.len() == 0 }

// take removes up to n keys, as text tuples.
func (q *keyQueue) take(n int) [][]string {
	var out [][]string
	q.drain(n, func(key []string) { out = append(out, append([]string(nil), key...)) })
	return out
}

// takeArrays removes up to n keys of ncols columns and returns them as one
// SQL text[] literal per column ('{"1","2"}'::text[]), written straight
// from the queue: no key is held twice on the way.
func (q *keyQueue) takeArrays(n, ncols int) []string {
	bs := make([]strings.Builder, ncols)
	for i := range bs {
		bs[i].WriteString("'{")
	}
	first := true
	q.drain(n, func(key []string) {
		for i := range bs {
			if !first {
				bs[i].WriteByte(',')
			}
			writeArrayElem(&bs[i], key[i])
		}
		first = false
	})
	out := make([]string, ncols)
	for i := range bs {
		bs[i].WriteString("}'::text[]")
		out[i] = bs[i].String()
	}
	return out
}

// drain removes up to n keys, smallest integers first, and calls f with
// each as decoded text fields (f must not keep the slice).
func (q *keyQueue) drain(n int, f func(key []string)) {
	taken := 0
	key := make([]string, 1)
	if q.ints != nil && !q.ints.IsEmpty() {
		it := q.ints.Iterator()
		var last uint64
		for taken < n && it.HasNext() {
			last = it.Next()
			key[0] = strconv.FormatInt(int64(last^1<<63), 10)
			f(key)
			taken++
		}
		if it.HasNext() {
			q.ints.RemoveRange(0, last+1)
		} else {
			q.ints = nil // let the bitmap go
		}
	}
	k := min(n-taken, len(q.strs))
	for _, s := range q.strs[:k] {
		key = key[:0]
		for _, fld := range strings.Split(s, "\t") {
			key = append(key, copytext.Decode([]byte(fld)))
		}
		f(key)
	}
	q.strs = q.strs[k:]
	if len(q.strs) == 0 {
		q.strs = nil
	}
}

// takeAll empties the queue into a key set, for a full read to filter by.
func (q *keyQueue) takeAll() *keySet {
	s := newKeySet()
	if q.ints != nil {
		s.ints = q.ints
	}
	for _, k := range q.strs {
		s.strs[k] = struct{}{}
	}
	q.ints, q.strs = nil, nil
	return s
}
