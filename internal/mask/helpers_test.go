package mask

import (
	"math"
	"testing"
)

// testKey is a fixed key for tests; otherKey a different one.
var (
	testKey  = mustKey("0123456789abcdef0123456789abcdef-test-key")
	otherKey = mustKey("fedcba9876543210fedcba9876543210-other-key")
)

func mustKey(s string) Key {
	k, err := ParseKey("PGTWIN_MASK_KEY", s)
	if err != nil {
		panic(err)
	}
	return k
}

// Types used across the tests.
var (
	tText      = Type{Kind: StringType, Name: "text"}
	tInt4      = Type{Kind: IntType, Name: "integer", IntMin: math.MinInt32, IntMax: math.MaxInt32}
	tInt2      = Type{Kind: IntType, Name: "smallint", IntMin: math.MinInt16, IntMax: math.MaxInt16}
	tInt8      = Type{Kind: IntType, Name: "bigint", IntMin: math.MinInt64, IntMax: math.MaxInt64}
	tNumeric   = Type{Kind: NumericType, Name: "numeric"}
	tDate      = Type{Kind: DateType, Name: "date"}
	tTimestamp = Type{Kind: TimestampType, Name: "timestamp without time zone"}
	tTZ        = Type{Kind: TimestampTZType, Name: "timestamp with time zone"}
	tUUID      = Type{Kind: UUIDType, Name: "uuid"}
	tJSON      = Type{Kind: JSONType, Name: "json"}
	tJSONB     = Type{Kind: JSONBType, Name: "jsonb"}
)

func varchar(n int) Type { return Type{Kind: StringType, Name: "character varying", MaxLen: n} }
func char(n int) Type    { return Type{Kind: StringType, Name: "character", MaxLen: n, Fixed: true} }

func col(t Type) Column { return Column{Table: "users", Name: "c", Type: t} }

func compile(tb testing.TB, k Key, r Rule, c Column) *Masker {
	tb.Helper()
	m, err := Compile(k, r, c)
	if err != nil {
		tb.Fatalf("Compile(%+v): %v", r, err)
	}
	return m
}

// run masks a non-NULL value and fails the test on an error.
func run(tb testing.TB, m *Masker, v string) string {
	tb.Helper()
	out, null, err := m.Mask(nil, []byte(v), false, nil)
	if err != nil {
		tb.Fatalf("Mask(%q): %v", v, err)
	}
	if null {
		tb.Fatalf("Mask(%q) is NULL", v)
	}
	return string(out)
}

func rule(kind string) Rule { return Rule{Mask: kind} }
