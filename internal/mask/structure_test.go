package mask

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// parseArrayForTest reads array text back into nested slices (nil for
// NULL) with the scanner under test's own rules, independently checked by
// the cases below.
func parseArrayForTest(t *testing.T, v string) []any {
	t.Helper()
	var s arrayScanner
	if _, err := s.start([]byte(v)); err != nil {
		t.Fatalf("%q: %v", v, err)
	}
	var stack [][]any
	var top []any
	for {
		tok, err := s.next()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		switch tok {
		case tokEnd:
			return top
		case tokOpen:
			stack = append(stack, nil)
		case tokClose:
			done := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				top = done
			} else {
				stack[len(stack)-1] = append(stack[len(stack)-1], done)
			}
		case tokNull:
			stack[len(stack)-1] = append(stack[len(stack)-1], nil)
		case tokElem:
			stack[len(stack)-1] = append(stack[len(stack)-1], string(s.elem))
		}
	}
}

func TestArrayParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []any
	}{
		{`{}`, nil},
		{`{a,b}`, []any{"a", "b"}},
		{`{"a b","c,d","e\"f","g\\h",NULL,"NULL",""}`, []any{"a b", "c,d", `e"f`, `g\h`, nil, "NULL", ""}},
		{`{{1,2},{3,NULL}}`, []any{[]any{"1", "2"}, []any{"3", nil}}},
		{`[0:1]={x,y}`, []any{"x", "y"}},
		{`{ a , b\,c }`, []any{"a", "b,c"}},
		{`{null,Null}`, []any{nil, nil}},
	} {
		if got := parseArrayForTest(t, tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %#v, want %#v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `}`, `{a`, `{"a}`, `{a}x`, `{a"b}`, `a`, `[1:2]`, `{a}{b}`, `{,a}`, `{a,}`, `{"a""b"}`, `{a{b}}`} {
		if err := checkArray([]byte(bad)); err == nil {
			t.Errorf("%q parsed as an array", bad)
		}
	}
}

func TestArrayMask(t *testing.T) {
	m := compile(t, testKey, rule(Text), col(Type{Kind: StringType, Array: true}))
	e := compile(t, testKey, rule(Text), col(tText))
	in := `[2:3]={{"a b","c,d",NULL},{"x\"y","",z}}`
	out := run(t, m, in)
	if !strings.HasPrefix(out, "[2:3]=") {
		t.Fatalf("%s lost its bounds: %s", in, out)
	}
	want := []any{
		[]any{run(t, e, "a b"), run(t, e, "c,d"), nil},
		[]any{run(t, e, `x"y`), "", run(t, e, "z")},
	}
	if got := parseArrayForTest(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("%s -> %s = %#v, want %#v", in, out, got, want)
	}
	// char(n)[] elements stay padded; int[] elements stay integers.
	c := compile(t, testKey, rule(Text), col(Type{Kind: StringType, MaxLen: 3, Fixed: true, Array: true}))
	if out := run(t, c, `{"a  ",bcd}`); len(parseArrayForTest(t, out)[0].(string)) != 3 {
		t.Errorf("char(3)[] -> %s", out)
	}
	n := compile(t, testKey, Rule{Mask: Int, Noise: 5}, col(Type{Kind: IntType, IntMin: -5, IntMax: 5, Array: true}))
	for _, x := range parseArrayForTest(t, run(t, n, `{-5,0,5,NULL}`)) {
		if x != nil && fits(x.(string), tInt4) != "" {
			t.Errorf("int[] element %v", x)
		}
	}
	// Whole-array masks, and an element that is not of the type.
	val := `{1,2}`
	if out := run(t, compile(t, testKey, Rule{Mask: Value, Value: &val}, col(Type{Kind: IntType, Array: true})), "{3}"); out != val {
		t.Errorf("value on int[] -> %s", out)
	}
	d := compile(t, testKey, rule(Date), col(Type{Kind: DateType, Array: true}))
	if _, _, err := d.Mask(nil, []byte(`{2024-01-01,secret-value}`), false, nil); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad element: %v", err)
	}
}

func TestJSONPaths(t *testing.T) {
	email := compile(t, testKey, rule(Email), col(tText))
	digits := compile(t, testKey, rule(Digits), col(tText))
	text := compile(t, testKey, rule(Text), col(tText))
	m := compile(t, testKey, Rule{Paths: []PathRule{
		{"$.contact.email", rule(Email)},
		{"$.phones[*]", rule(Digits)},
		{"$.items[*].name", rule(Text)},
		{"$.items[0].sku", rule(Text)},
		{"$.nothing.here", rule(Text)},
		{"$.notes", rule(Text)},
		{"$.ban", Rule{Mask: Null}},
	}}, col(tJSON))
	in := `{"contact": {"email": "Jane@Example.com", "other": "keep me"},
  "phones": ["555-0100", "+1 555\u00200199"], "items": [{"name": "Widget", "sku": "W-1"}, {"name": "Gad\"get", "sku": "G-2"}],
  "notes": {"a": ["x y", 12, true, null]}, "ban": "gone", "zz": 1}`
	out := run(t, m, in)
	var got, src map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	json.Unmarshal([]byte(in), &src)
	if strings.Index(out, `"zz"`) < strings.Index(out, `"ban"`) || !strings.Contains(out, "\n  \"phones\"") {
		t.Errorf("key order or whitespace not kept: %s", out)
	}
	check := func(what string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %#v, want %#v", what, g, w)
		}
	}
	gc, sc := got["contact"].(map[string]any), src["contact"].(map[string]any)
	check("email", gc["email"], run(t, email, sc["email"].(string)))
	check("other", gc["other"], "keep me")
	check("phone 0", got["phones"].([]any)[0], run(t, digits, "555-0100"))
	check("phone 1", got["phones"].([]any)[1], run(t, digits, "+1 555 0199"))
	items := got["items"].([]any)
	check("item 1 name", items[1].(map[string]any)["name"], run(t, text, `Gad"get`))
	check("item 0 sku", items[0].(map[string]any)["sku"], run(t, text, "W-1"))
	check("item 1 sku", items[1].(map[string]any)["sku"], "G-2")
	notes := got["notes"].(map[string]any)["a"].([]any)
	check("notes", notes[0], run(t, text, "x y"))
	if notes[1] == 12.0 || notes[2] != true || notes[3] != nil {
		t.Errorf("notes: %v", notes)
	}
	check("ban", got["ban"], nil)
	check("zz", got["zz"], 1.0)

	// Numbers: int keeps an integer, numeric a number.
	n := compile(t, testKey, Rule{Paths: []PathRule{{"$[*].age", rule(Int)}, {"$[*].score", rule(Numeric)}}}, col(tJSONB))
	out = run(t, n, `[{"age": 42, "score": 9.75}, {"age": -3}]`)
	var arr []map[string]json.Number
	d := json.NewDecoder(strings.NewReader(out))
	d.UseNumber()
	if err := d.Decode(&arr); err != nil || arr[0]["age"] == "42" || strings.Contains(string(arr[0]["age"]), ".") || len(arr[0]["score"]) != 4 {
		t.Errorf("numbers: %s (%v)", out, err)
	}
	// Type mismatches are errors that do not quote the value.
	if _, _, err := n.Mask(nil, []byte(`[{"age": "secret"}]`), false, nil); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("int on a string: %v", err)
	}
	e := compile(t, testKey, Rule{Paths: []PathRule{{"$.e", rule(Email)}}}, col(tJSON))
	if _, _, err := e.Mask(nil, []byte(`{"e": 12345}`), false, nil); err == nil || strings.Contains(err.Error(), "12345") {
		t.Errorf("email on a number: %v", err)
	}
	for _, bad := range []string{`{"e": "x"`, `{"e" "x"}`, `[1,]x`, ``} {
		if _, _, err := e.Mask(nil, []byte(bad), false, nil); err == nil {
			t.Errorf("%q masked", bad)
		}
	}
	// Config errors.
	for _, r := range []Rule{
		{Paths: []PathRule{{"email", rule(Email)}}},
		{Paths: []PathRule{{"$.a[", rule(Email)}}},
		{Paths: []PathRule{{"$.a", rule(Template)}}},
		{Mask: Text, Paths: []PathRule{{"$.a", rule(Email)}}},
		{Mask: Text},
	} {
		if _, err := Compile(testKey, r, col(tJSONB)); err == nil || !strings.HasPrefix(err.Error(), "users.c: ") {
			t.Errorf("%+v compiled on jsonb: %v", r, err)
		}
	}
	if _, err := Compile(testKey, Rule{Paths: []PathRule{{"$.a", rule(Email)}}}, col(tText)); err == nil {
		t.Errorf("paths compiled on text")
	}
}
