package mask

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Same key, rule and value: same output, in two Maskers and on two
// columns of different tables and types; another key: other outputs.
func TestDeterministic(t *testing.T) {
	vals := map[string][]string{
		Email:     {"a@b.com", "jane.doe@example.org", "x.y+z@mail.co.uk"},
		Text:      {"Hello", "SKU-123-ABC", "z"},
		Digits:    {"555-0100", "4111111111111111", "7"},
		Int:       {"1", "42", "-1000000"},
		Numeric:   {"1.5", "123.45", "-0.01"},
		Date:      {"2024-01-01", "1970-01-01", "2000-02-29"},
		Timestamp: {"2024-01-01 00:00:00", "2024-01-01 00:00:00+00", "1999-12-31 23:59:59.999+05:30"},
		UUID:      {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"},
		Name:      {"Jane Doe", "John Smith", "x"},
		FirstName: {"Jane", "John", "Ann"},
		LastName:  {"Doe", "Smith", "Li"},
		Hash:      {"a", "b", "secret"},
	}
	typ := map[string]Type{Int: tInt8, Numeric: tNumeric, Date: tDate, Timestamp: tTZ, UUID: tUUID}
	for kind, vs := range vals {
		ty, ok := typ[kind]
		if !ok {
			ty = tText
		}
		m1 := compile(t, testKey, rule(kind), Column{Table: "a", Name: "x", Type: ty})
		m2 := compile(t, testKey, rule(kind), Column{Table: "b", Name: "y", Type: ty, NotNull: true})
		o := compile(t, otherKey, rule(kind), Column{Table: "a", Name: "x", Type: ty})
		differ := 0
		for _, v := range vs {
			a, b, c := run(t, m1, v), run(t, m2, v), run(t, o, v)
			if a != b {
				t.Errorf("%s(%q): %q in one masker, %q in another", kind, v, a, b)
			}
			if a != c {
				differ++
			}
		}
		if differ == 0 {
			t.Errorf("%s: another key gives the same outputs", kind)
		}
	}
	// Over many values, another key changes nearly every output.
	m := compile(t, testKey, rule(Email), col(tText))
	o := compile(t, otherKey, rule(Email), col(tText))
	same := 0
	for i := 0; i < 10000; i++ {
		v := fmt.Sprintf("user%d@example.com", i)
		if run(t, m, v) == run(t, o, v) {
			same++
		}
	}
	if same > 10 {
		t.Errorf("%d of 10000 emails mask alike under two keys", same)
	}
	// Rule parameters are part of the rule's identity.
	a := compile(t, testKey, Rule{Mask: Int, Noise: 1000}, col(tInt8))
	b := compile(t, testKey, Rule{Mask: Int, Noise: 1000000}, col(tInt8))
	if run(t, a, "123456789") == run(t, b, "123456789") {
		t.Errorf("noise 1000 and 1000000 mask alike")
	}
}

func TestKey(t *testing.T) {
	secret := "s3cr3t-k3y-that-is-long-enough-0123456789"
	for _, tc := range []struct{ text, want string }{
		{"", "is not set"},
		{"   \n", "is not set"},
		{"short-but-secret", "too short"},
		{strings.Repeat("ab", 20), "does not look random"},
	} {
		_, err := ParseKey("PGTWIN_MASK_KEY", tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "openssl rand -hex 32") || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseKey(%q) = %v, want one line with %q and how to make a key", tc.text, err, tc.want)
		}
		if tc.text != "" && strings.TrimSpace(tc.text) != "" && strings.Contains(err.Error(), tc.text) {
			t.Errorf("ParseKey's error shows the key")
		}
	}
	k, err := ParseKey("K", secret+"\n")
	if err != nil {
		t.Fatal(err)
	}
	k2 := mustKey(secret)
	fp := k.Fingerprint()
	if fp != k2.Fingerprint() || len(fp) != len("sha256:")+16 || !strings.HasPrefix(fp, "sha256:") {
		t.Errorf("fingerprint %q", fp)
	}
	if fp == otherKey.Fingerprint() {
		t.Errorf("two keys, one fingerprint")
	}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x %q", k, k, k, k, k, k)} {
		if strings.Contains(s, secret) || strings.Contains(s, fmt.Sprintf("%x", secret)) || strings.Contains(s, "115 51") {
			t.Errorf("printing a Key shows it: %s", s)
		}
	}
	// Without a key, Compile checks the rule; its Masker does not mask.
	if _, err := Compile(Key{}, rule(Int), col(tText)); err == nil {
		t.Errorf("Compile without a key did not check the rule")
	}
	m, err := Compile(Key{}, rule(Text), col(tText))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Mask(nil, []byte("v"), false, nil); err == nil {
		t.Errorf("a Masker compiled without a key masked")
	}
}

func FuzzKeyNeverShown(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef")
	f.Add("short")
	f.Fuzz(func(t *testing.T, text string) {
		k, err := ParseKey("PGTWIN_MASK_KEY", text)
		if err != nil {
			// The error is one of the fixed messages, which hold no key.
			for _, other := range []string{"", "short", strings.Repeat("ab", 20)} {
				if _, e := ParseKey("PGTWIN_MASK_KEY", other); e.Error() == err.Error() {
					return
				}
			}
			t.Fatalf("error depends on the key: %v", err)
		}
		trimmed := strings.TrimSpace(text)
		if len(trimmed) < 4 {
			t.Fatalf("accepted a key of %d bytes", len(trimmed))
		}
		for _, s := range []string{k.Fingerprint(), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
			if strings.Contains(s, trimmed) {
				t.Fatalf("%q shows the key", s)
			}
		}
	})
}

func TestBoundaries(t *testing.T) {
	// Dates and timestamps at the ends of their ranges stay in range and
	// parse; infinity and BC are kept.
	d := compile(t, testKey, Rule{Mask: Date, Days: 30}, col(tDate))
	for _, v := range []string{"0001-01-01", "0001-01-02", "9999-12-31", "2000-02-29", "5874897-12-31", "5874897-12-30"} {
		out := run(t, d, v)
		day, ok := parseDate([]byte(out))
		in, _ := parseDate([]byte(v))
		if !ok || out == v || day-in > 30 || in-day > 30 {
			t.Errorf("date %s -> %s", v, out)
		}
		if len(v) == 10 { // years up to 9999 stay in 9999
			if _, err := time.Parse("2006-01-02", out); err != nil {
				t.Errorf("date %s -> %s: %v", v, out, err)
			}
		}
	}
	for _, v := range []string{"infinity", "-infinity", "0044-03-15 BC"} {
		if out := run(t, d, v); out != v {
			t.Errorf("date %s -> %s", v, out)
		}
	}
	for _, v := range []string{"2024-02-30", "2024-13-01", "24-01-01", "2024-01-01x", ""} {
		if _, _, err := d.Mask(nil, []byte(v), false, nil); err == nil || strings.Contains(err.Error(), v) && v != "" {
			t.Errorf("date %q: error %v", v, err)
		}
	}
	ts := compile(t, testKey, Rule{Mask: Timestamp, Days: 1}, col(tTZ))
	for _, v := range []string{"2024-03-05 12:34:56.123456+05:30", "2024-03-05 12:34:56-08", "1890-01-01 00:00:00+00:53:28", "2024-03-05T01:02:03Z"} {
		out := run(t, ts, v)
		var a, b tsText
		if !a.parse([]byte(v)) || !b.parse([]byte(out)) || out == v || len(out) != len(v) {
			t.Fatalf("timestamptz %s -> %s", v, out)
		}
		shift := (b.day*86400 + b.sec - b.off) - (a.day*86400 + a.sec - a.off)
		if shift > 86400 || shift < -86400 || out[len(out)-len(v)+a.timeEnd:] != v[a.timeEnd:] {
			t.Errorf("timestamptz %s -> %s: moved %ds or lost its fraction or offset", v, out, shift)
		}
	}
	// Equal instants in different offsets stay equal instants.
	x, y := run(t, ts, "2024-03-05 12:00:00+00"), run(t, ts, "2024-03-05 13:30:00+01:30")
	var a, b tsText
	a.parse([]byte(x))
	b.parse([]byte(y))
	if a.day*86400+a.sec-a.off != b.day*86400+b.sec-b.off {
		t.Errorf("one instant, two masked instants: %s, %s", x, y)
	}
	// Integers at the ends of their type, with small noise.
	for _, typ := range []Type{tInt2, tInt4, tInt8} {
		// (7 divides 2^15-1 and 2^63-1: noise 6 makes a last block of one value.)
		for _, noise := range []float64{1, 2, 3, 6, 10} {
			m := compile(t, testKey, Rule{Mask: Int, Noise: noise}, col(typ))
			for _, x := range []int64{typ.IntMin, typ.IntMin + 1, typ.IntMin + 2, -1, 0, 1, typ.IntMax - 2, typ.IntMax - 1, typ.IntMax} {
				out := run(t, m, fmt.Sprint(x))
				var y int64
				fmt.Sscan(out, &y)
				limit := int64(noise)
				if noise == 1 {
					limit = 2 // blocks of 3 at the ends
				}
				if y == x || y < typ.IntMin || y > typ.IntMax || y-x > limit || x-y > limit {
					t.Errorf("%s noise %v: %d -> %s", typ.Name, noise, x, out)
				}
			}
		}
	}
	// numeric keeps precision and scale, and the leading digits noise asks for.
	n := compile(t, testKey, rule(Numeric), col(Type{Kind: NumericType, Precision: 7, Scale: 2}))
	for _, v := range []string{"12345.67", "-99999.99", "0.01", "10000.00", "5.00"} {
		out := run(t, n, v)
		var nt numText
		if !nt.parse([]byte(out)) || len(out) != len(v) || out == v || strings.IndexByte(out, '.') != strings.IndexByte(v, '.') {
			t.Errorf("numeric %s -> %s", v, out)
		}
		if len(v) >= 7 && out[:2] != v[:2] && v[0] != '-' {
			t.Errorf("numeric %s -> %s: more than 10%% off", v, out)
		}
	}
}

func TestNamesHashValueTemplate(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 9, 40} {
		for _, kind := range []string{Name, FirstName, LastName} {
			for _, typ := range []Type{varchar(n), char(n)} {
				m := compile(t, testKey, rule(kind), col(typ))
				for _, v := range []string{"Ann", "Bob Li", "A", "Maria", "Kai"} {
					v = string(pad([]byte(v[:min(len(v), n)]), typ))
					out := run(t, m, v)
					if strings.TrimRight(out, " ") == strings.TrimRight(v, " ") || fits(out, typ) != "" || strings.TrimSpace(out) == "" {
						t.Errorf("%s on %s: %q -> %q", kind, typ.Name, v, out)
					}
					if kind == Name && n >= 9 && !strings.Contains(strings.TrimSpace(out), " ") {
						t.Errorf("name %q has no last name", out)
					}
				}
			}
		}
	}
	h := compile(t, testKey, rule(Hash), col(tText))
	if out := run(t, h, "x"); len(out) != DefaultHashLen || strings.Trim(out, "0123456789abcdef") != "" {
		t.Errorf("hash -> %q", out)
	}
	h1 := compile(t, testKey, rule(Hash), col(varchar(1)))
	for c := 0; c < 16; c++ {
		v := string("0123456789abcdef"[c])
		if run(t, h1, v) == v {
			t.Errorf("hash(%q) = itself", v)
		}
	}
	hj := compile(t, testKey, rule(Hash), col(tJSONB))
	if out := run(t, hj, `{"a":1}`); !jsonValid([]byte(out)) || out[0] != '"' {
		t.Errorf("hash on jsonb -> %s", out)
	}
	tm := compile(t, testKey, Rule{Mask: Template, Template: "user{id}@example.com {{x}} {missing}"}, col(varchar(40)))
	if got := strings.Join(tm.Uses(), ","); got != "id,missing" {
		t.Errorf("Uses() = %s", got)
	}
	out, _, err := tm.Mask(nil, []byte("old"), false, mapRow{"id": "42"})
	if err != nil || string(out) != "user42@example.com {x} " {
		t.Errorf("template -> %q, %v", out, err)
	}
	short := compile(t, testKey, Rule{Mask: Template, Template: "user{id}"}, col(varchar(6)))
	if _, _, err := short.Mask(nil, []byte("v"), false, mapRow{"id": "12345"}); err == nil || strings.Contains(err.Error(), "12345") {
		t.Errorf("a too long template result: %v", err)
	}
	for _, bad := range []string{"{", "}", "a{}b", "{a{b}}", ""} {
		if _, err := Compile(testKey, Rule{Mask: Template, Template: bad}, col(tText)); err == nil {
			t.Errorf("template %q compiled", bad)
		}
	}
	for _, tc := range []struct {
		v   string
		typ Type
		ok  bool
	}{
		{"abc", varchar(3), true}, {"abcd", varchar(3), false}, {"ab", char(4), true},
		{"32767", tInt2, true}, {"32768", tInt2, false}, {"1.5", tNumeric, true}, {"x", tNumeric, false},
		{"123.45", Type{Kind: NumericType, Precision: 4, Scale: 2}, false},
		{"2024-01-01", tDate, true}, {"2024-01-32", tDate, false}, {"infinity", tTZ, true},
		{"not-a-uuid", tUUID, false}, {`{"a":1}`, tJSON, true}, {`{a:1}`, tJSONB, false},
		{`{1,2}`, Type{Kind: IntType, Array: true}, true}, {`1,2`, Type{Kind: IntType, Array: true}, false},
	} {
		v := tc.v
		m, err := Compile(testKey, Rule{Mask: Value, Value: &v}, col(tc.typ))
		if (err == nil) != tc.ok {
			t.Errorf("value %q on %+v: %v", v, tc.typ, err)
		}
		if err == nil && tc.typ.Fixed && run(t, m, "zz  ") != "ab  " {
			t.Errorf("value not padded")
		}
	}
}

// block tiles [0, span] with blocks of at least 2 values (when span ≥ 1)
// and fewer than bs+2, each value in the block that holds it.
func TestBlock(t *testing.T) {
	for span := uint64(0); span < 60; span++ {
		for bs := uint64(2); bs < 15; bs++ { // bs is Noise+1 or Days+1, ≥ 2
			next := uint64(0)
			for o := uint64(0); o <= span; o++ {
				start, size := block(o, span, bs)
				if o < start || o >= start+size || start+size-1 > span {
					t.Fatalf("block(%d, %d, %d) = %d, %d", o, span, bs, start, size)
				}
				if start == next {
					next = start + size
				} else if start > next {
					t.Fatalf("span %d bs %d: gap before %d", span, bs, start)
				}
				if span >= 1 && size < 2 || size > bs+1 || bs >= 3 && size > bs {
					t.Fatalf("span %d bs %d: block of %d at %d", span, bs, size, start)
				}
			}
		}
	}
}
