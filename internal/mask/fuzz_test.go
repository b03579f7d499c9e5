package mask

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// Array text that parses re-encodes (keep masks every element as itself)
// to text that parses to the same elements; masking never panics.
func FuzzArray(f *testing.F) {
	for _, s := range []string{`{}`, `{a,"b c",NULL}`, `{{1,2},{3,4}}`, `[0:1]={"x\"y","\\"}`, `{ a , b\,c }`, `{"",null,"NULL"}`} {
		f.Add(s)
	}
	keep := compile(f, testKey, rule(Keep), col(tText))
	keep.kind = Text // mask each element with the identity
	keep.col.Type.Array = true
	text := compile(f, testKey, rule(Text), col(Type{Kind: StringType, Array: true}))
	f.Fuzz(func(t *testing.T, v string) {
		if checkArray([]byte(v)) != nil {
			if _, _, err := text.Mask(nil, []byte(v), false, nil); err == nil {
				t.Fatalf("%q: masked but not an array", v)
			}
			return
		}
		want := parseArrayForTest(t, v)
		out, _, err := keep.Mask(nil, []byte(v), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := parseArrayForTest(t, string(out)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q -> %q: %#v, want %#v", v, out, got, want)
		}
		masked, _, err := text.Mask(nil, []byte(v), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkArray(masked); err != nil {
			t.Fatalf("%q -> %q: %v", v, masked, err)
		}
	})
}

// text and digits keep the length, and two different values never mask
// alike (on lower() too, for text).
func FuzzTextDigits(f *testing.F) {
	f.Add("Hello World", "hello world")
	f.Add("555-0100", "555-0101")
	f.Add("a", "B")
	f.Add("Ünï", "üNÏ")
	ms := map[string]*Masker{}
	for _, k := range []string{Text, Digits, Email} {
		ms[k] = compile(f, testKey, rule(k), col(tText))
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for kind, m := range ms {
			oa, _, _ := m.Mask(nil, []byte(a), false, nil)
			ob, _, _ := m.Mask(nil, []byte(b), false, nil)
			if len(oa) != len(a) || len(ob) != len(b) {
				t.Fatalf("%s: length changed: %q -> %q, %q -> %q", kind, a, oa, b, ob)
			}
			if a != b && bytes.Equal(oa, ob) {
				t.Fatalf("%s: %q and %q both -> %q", kind, a, b, oa)
			}
			if kind != Digits && asciiLower(a) != asciiLower(b) && asciiLower(string(oa)) == asciiLower(string(ob)) {
				t.Fatalf("%s: lower(%q) and lower(%q) differ, masked lower both %q", kind, a, b, asciiLower(string(oa)))
			}
			maskable := "abcdefghijklmnopqrstuvwxyz0123456789"
			if kind == Digits {
				maskable = "0123456789"
			}
			if string(oa) == a && strings.ContainsAny(strings.ToLower(a), maskable) {
				t.Fatalf("%s: %q unchanged", kind, a)
			}
		}
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}
