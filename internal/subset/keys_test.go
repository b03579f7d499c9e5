package subset

import (
	"math"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fields(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, f := range s {
		out[i] = []byte(f)
	}
	return out
}

func TestKeySet(t *testing.T) {
	s := newKeySet()
	for _, tc := range []struct {
		key  [][]byte
		want bool // new?
	}{
		{fields("7"), true},
		{fields("7"), false},
		{fields("-7"), true},
		{fields("007"), true}, // not PostgreSQL's form of 7: a text key
		{fields("007"), false},
		{fields(strconv.FormatInt(math.MinInt64, 10)), true},
		{fields(strconv.FormatInt(math.MaxInt64, 10)), true},
		{fields("9223372036854775808"), true}, // past int64: a text key
		{fields("a", "1"), true},
		{fields("a", "1"), false},
		{fields(`a\t1`), true}, // one field holding a tab (escaped, as COPY writes it) is not two fields
		{fields(`\N`), true},
	} {
		if got := s.add(tc.key); got != tc.want {
			t.Errorf("add(%q) = %v, want %v", tc.key, got, tc.want)
		}
		if !s.has(tc.key) {
			t.Errorf("has(%q) = false after add", tc.key)
		}
	}
	if s.has(fields("8")) || s.has(fields("b", "1")) {
		t.Error("has reports keys never added")
	}
	if s.len() != 9 {
		t.Errorf("len = %d, want 9", s.len())
	}
}

func TestKeyQueue(t *testing.T) {
	var q keyQueue
	for _, k := range []string{"1", "x y", "2", "3"} {
		q.push(fields(k))
	}
	q.push(fields("a", `b\tc`))
	if d := cmp.Diff([][]string{{"1"}, {"2"}}, q.take(2)); d != "" {
		t.Errorf("first take (-want +got):\n%s", d)
	}
	if d := cmp.Diff([][]string{{"3"}, {"x y"}, {"a", "b\tc"}}, q.take(10)); d != "" {
		t.Errorf("second take (-want +got):\n%s", d)
	}
	if !q.empty() {
		t.Error("queue not empty after taking everything")
	}
}

func TestKeyQueueArrays(t *testing.T) {
	var q keyQueue
	for _, k := range []string{"7", `a"b`, "-3", `it's`, `back\\slash`} {
		q.push(fields(k))
	}
	want := []string{`'{"-3","7","a\"b","it''s","back\\slash"}'::text[]`}
	if d := cmp.Diff(want, q.takeArrays(10, 1)); d != "" {
		t.Errorf("arrays (-want +got):\n%s", d)
	}
	q.push(fields("1", `x\ty`))
	q.push(fields("2", "z"))
	want = []string{`'{"1"}'::text[]`, `'{"x	y"}'::text[]`}
	if d := cmp.Diff(want, q.takeArrays(1, 2)); d != "" {
		t.Errorf("two columns, one key (-want +got):\n%s", d)
	}
	if q.len() != 1 {
		t.Errorf("%d keys left, want 1", q.len())
	}
}
