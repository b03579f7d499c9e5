package mask

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// checkInjective masks n distinct inputs from gen and fails on a
// duplicate output, an output equal to its input, or a changed length.
// With lower, outputs are also compared case-folded (the inputs' lower()
// being distinct too).
func checkInjective(t *testing.T, m *Masker, n int, lower bool, gen func(i int) string) {
	t.Helper()
	seen := make(map[string]int, n)
	var buf []byte
	for i := 0; i < n; i++ {
		v := gen(i)
		var err error
		buf, _, err = m.Mask(buf[:0], []byte(v), false, nil)
		if err != nil {
			t.Fatalf("Mask(%q): %v", v, err)
		}
		out := string(buf)
		if out == v {
			t.Fatalf("Mask(%q) returned its input", v)
		}
		if len(out) != len(v) {
			t.Fatalf("Mask(%q) = %q: length changed", v, out)
		}
		key := out
		if lower {
			key = strings.ToLower(out)
		}
		if j, dup := seen[key]; dup {
			t.Fatalf("Mask(%q) = Mask(%q) = %q", v, gen(j), out)
		}
		seen[key] = i
	}
}

// mixCase writes the letters of s in the case pattern given by the bits
// of i, so that inputs differ in case too.
func mixCase(s string, i int) string {
	b := []byte(s)
	for k := range b {
		if b[k] >= 'a' && b[k] <= 'z' && (i>>(k%16))&1 == 1 {
			b[k] -= 'a' - 'A'
		}
	}
	return string(b)
}

// word is the i-th string of n lower-case letters (base 26).
func word(i, n int) string {
	b := make([]byte, n)
	for k := n - 1; k >= 0; k-- {
		b[k] = byte('a' + i%26)
		i /= 26
	}
	return string(b)
}

// million is the number of distinct values the injectivity tests mask
// (fewer with -short: TestMain).
var million = 1_000_000

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		million = 100_000
	}
	os.Exit(m.Run())
}

func TestInjectiveEmail(t *testing.T) {
	m := compile(t, testKey, rule(Email), col(varchar(254)))
	// Distinct addresses whose lower() is distinct too, in mixed case and
	// several shapes; the outputs must be distinct even case-folded.
	shapes := []string{"%s@example.com", "%s.x@mail.%s.org", "%s+tag@%s.co.uk", "u%s_1@%s.io"}
	checkInjective(t, m, million, true, func(i int) string {
		w := word(i/len(shapes), 5)
		s := shapes[i%len(shapes)]
		var v string
		if strings.Count(s, "%s") == 2 {
			v = fmt.Sprintf(s, w, word(i/len(shapes)%677, 2))
		} else {
			v = fmt.Sprintf(s, w)
		}
		return mixCase(v, i*7919)
	})
}

func TestInjectiveText(t *testing.T) {
	m := compile(t, testKey, rule(Text), col(tText))
	checkInjective(t, m, million, true, func(i int) string {
		return mixCase(fmt.Sprintf("SKU-%s-%d", word(i%456976, 4), i/456976), i)
	})
}

func TestInjectiveDigits(t *testing.T) {
	m := compile(t, testKey, rule(Digits), col(varchar(20)))
	checkInjective(t, m, million, false, func(i int) string {
		return fmt.Sprintf("+1 (%03d) %03d-%04d", i%1000, i/1000%1000, i/million*7)
	})
}

func TestInjectiveInt(t *testing.T) {
	for _, tc := range []struct {
		typ   Type
		start int64
		n     int64
	}{
		{tInt4, -int64(million) / 2, int64(million)}, // around 0
		{tInt4, math.MaxInt32 - 99_999, 100_000},     // up to the type's end
		{tInt4, math.MinInt32, 100_000},
		{tInt8, math.MaxInt64 - 99_999, 100_000},
		{tInt2, math.MinInt16, 1 << 16}, // all of smallint
	} {
		m := compile(t, testKey, rule(Int), col(tc.typ))
		seen := make(map[int64]bool, tc.n)
		var buf []byte
		for i := int64(0); i < tc.n; i++ {
			x := tc.start + i
			buf, _, _ = m.Mask(buf[:0], strconv.AppendInt(nil, x, 10), false, nil)
			y, err := strconv.ParseInt(string(buf), 10, 64)
			if err != nil || y == x || y < tc.typ.IntMin || y > tc.typ.IntMax || y-x > 1000 || x-y > 1000 || (x >= 0) != (y >= 0) {
				t.Fatalf("%s: Mask(%d) = %s", tc.typ.Name, x, buf)
			}
			if seen[y] {
				t.Fatalf("%s: Mask(%d) = %d twice", tc.typ.Name, x, y)
			}
			seen[y] = true
		}
	}
}

// Small domains, exhaustively: every value changes and no two collide.
func TestSmallDomains(t *testing.T) {
	all := func(n int, f func(i int) string) []string {
		var vs []string
		for i := 0; i < n; i++ {
			vs = append(vs, f(i))
		}
		return vs
	}
	cases := []struct {
		name  string
		mask  string
		typ   Type
		vs    []string
		lower bool
	}{
		{"4-digit codes", Digits, char(4), all(10000, func(i int) string { return fmt.Sprintf("%04d", i) }), false},
		{"4-digit codes as text", Text, char(4), all(10000, func(i int) string { return fmt.Sprintf("%04d", i) }), false},
		{"1 digit", Digits, tText, all(10, strconv.Itoa), false},
		{"1 digit as text", Text, tText, all(10, strconv.Itoa), false},
		{"1 letter", Text, tText, all(26, func(i int) string { return string(rune('a' + i)) }), true},
		{"1 upper letter", Text, tText, all(26, func(i int) string { return string(rune('A' + i)) }), true},
		{"letter and digit", Text, tText, all(260, func(i int) string { return fmt.Sprintf("%c%d", 'a'+i/10, i%10) }), true},
		{"2 letters", Email, tText, all(676, func(i int) string { return word(i, 2) + "@x.com" }), true},
		// Every 3-letter word once, in varying case: lower() must stay unique.
		{"3 letters, mixed case", Text, tText, all(17576, func(i int) string { return mixCase(word(i, 3), i*2654435761) }), true},
		{"email, mixed case", Email, tText, all(17576, func(i int) string { return mixCase(word(i, 2)+"@"+word(i/676, 1)+".COM", i*40503) }), true},
		{"numeric 1 digit", Numeric, tNumeric, all(10, strconv.Itoa), false},
		{"numeric -1 digit", Numeric, tNumeric, all(9, func(i int) string { return strconv.Itoa(-1 - i) }), false},
		{"numeric 0.d", Numeric, tNumeric, all(9, func(i int) string { return fmt.Sprintf("0.%d", i+1) }), false},
		{"numeric 2 digits", Numeric, tNumeric, all(90, func(i int) string { return strconv.Itoa(10 + i) }), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := compile(t, testKey, rule(c.mask), col(c.typ))
			checkInjective(t, m, len(c.vs), c.lower, func(i int) string { return c.vs[i] })
		})
	}
	// A numeric column: equal values (1.5, 1.50) mask alike, different
	// values differently, over every 3-digit value with scales 0 to 2.
	m := compile(t, testKey, rule(Numeric), col(tNumeric))
	seen := map[float64]string{}
	for i := 0; i < 1000; i++ {
		for _, v := range []string{strconv.Itoa(i), fmt.Sprintf("%d.%d", i/10, i%10), fmt.Sprintf("%d.%02d", i/100, i%100)} {
			out := run(t, m, v)
			in, _ := strconv.ParseFloat(v, 64)
			x, err := strconv.ParseFloat(out, 64)
			if err != nil || x == in || len(out) != len(v) {
				t.Fatalf("numeric %s -> %s", v, out)
			}
			if prev, ok := seen[x]; ok && prev != fmt.Sprint(in) {
				t.Fatalf("numeric %s and %s both -> %v", v, prev, x)
			}
			seen[x] = fmt.Sprint(in)
		}
	}
}

// Dates and timestamps: all days of 40 years, and 200,000 seconds.
func TestInjectiveDates(t *testing.T) {
	m := compile(t, testKey, rule(Date), col(tDate))
	seen := map[string]bool{}
	start := daysFromCivil(1990, 1, 1) - dayMin
	for d := start; d < start+40*366; d++ {
		v := string(appendDate(nil, d))
		out := run(t, m, v)
		od, ok := parseDate([]byte(out))
		if !ok || out == v || seen[out] || od-d > 365 || d-od > 365 {
			t.Fatalf("date %s -> %s", v, out)
		}
		seen[out] = true
	}
	for _, typ := range []Type{tTimestamp, tTZ} {
		m := compile(t, testKey, rule(Timestamp), col(typ))
		seen := make(map[string]bool, 200_000)
		base := (daysFromCivil(2024, 2, 28) - dayMin) * 86400
		for s := int64(0); s < 200_000; s++ {
			x := base + s
			v := fmt.Sprintf("%s %02d:%02d:%02d.25", appendDate(nil, x/86400), x%86400/3600, x%3600/60, x%60)
			if typ.Kind == TimestampTZType {
				v += "+02"
			}
			out := run(t, m, v)
			if out == v || seen[out] || len(out) != len(v) {
				t.Fatalf("%s %s -> %s", typ.Name, v, out)
			}
			seen[out] = true
		}
	}
}
