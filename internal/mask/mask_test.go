package mask

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fits reports why out is not a valid value of t ("" when it is).
func fits(out string, t Type) string {
	switch t.Kind {
	case StringType:
		n := utf8.RuneCountInString(out)
		if t.MaxLen > 0 && n > t.MaxLen {
			return "too long"
		}
		if t.Fixed && n != t.MaxLen {
			return "not blank-padded to its length"
		}
	case IntType:
		x, err := strconv.ParseInt(out, 10, 64)
		if err != nil || x < t.IntMin || x > t.IntMax {
			return "not an integer of the type"
		}
	case NumericType:
		if _, err := strconv.ParseFloat(out, 64); err != nil {
			return "not a number"
		}
	case DateType:
		if _, err := time.Parse("2006-01-02", out); err != nil {
			return err.Error()
		}
	case TimestampType:
		if _, err := time.Parse("2006-01-02 15:04:05.999999", out); err != nil {
			return err.Error()
		}
	case TimestampTZType:
		if _, err := time.Parse("2006-01-02 15:04:05.999999-07", out); err != nil {
			return err.Error()
		}
	case UUIDType:
		var u [16]byte
		if !parseUUID([]byte(out), &u) || strings.ToLower(out) != out || len(out) != 36 {
			return "not a canonical uuid"
		}
	case JSONType, JSONBType:
		if !jsonValid([]byte(out)) {
			return "not JSON"
		}
	}
	return ""
}

// spec is what the tests expect Compile to accept: the masks (besides
// null, value, keep, sql) that fit each type.
var spec = map[TypeKind]string{
	StringType:      "email name first_name last_name digits text hash uuid template",
	IntType:         "int",
	NumericType:     "numeric",
	DateType:        "date",
	TimestampType:   "timestamp",
	TimestampTZType: "timestamp",
	UUIDType:        "uuid",
	JSONType:        "hash",
	JSONBType:       "hash",
	OtherType:       "",
}

// sample returns a source value of t for mask kind.
func sample(kind string, t Type) string {
	switch t.Kind {
	case StringType:
		v := "Jane Doe 42"
		switch kind {
		case Email:
			v = "jd@ex.io"
		case UUID:
			v = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
		case Digits:
			v = "5550-142"
		}
		if t.MaxLen > 0 && len(v) > t.MaxLen {
			v = v[:t.MaxLen]
		}
		return string(pad([]byte(v), t))
	case IntType:
		return "-12345"
	case NumericType:
		return "-123.4500"
	case DateType:
		return "2024-02-29"
	case TimestampType:
		return "2024-02-29 23:59:59.5"
	case TimestampTZType:
		return "2024-02-29 23:59:59.5+05"
	case UUIDType:
		return "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	case JSONType, JSONBType:
		return `{"a": 1}`
	}
	return "192.168.0.1"
}

type mapRow map[string]string

func (r mapRow) Value(c string) ([]byte, bool) {
	v, ok := r[c]
	return []byte(v), !ok
}

// TestEveryMaskEveryType compiles every mask on every type, nullable and
// NOT NULL, unique or not, with and without a length limit, and checks
// what Compile accepts and that every value it masks fits its column.
func TestEveryMaskEveryType(t *testing.T) {
	types := []Type{tText, varchar(8), varchar(2), char(8), char(1), tInt2, tInt4, tInt8, tNumeric,
		{Kind: NumericType, Name: "numeric(7,4)", Precision: 7, Scale: 4}, tDate, tTimestamp, tTZ, tUUID, tJSON, tJSONB,
		{Kind: OtherType, Name: "inet"}}
	val := "x"
	for _, kind := range Kinds {
		for _, typ := range types {
			for _, notNull := range []bool{false, true} {
				for _, unique := range []bool{false, true} {
					c := Column{Table: "users", Name: "c", Type: typ, NotNull: notNull, Unique: unique}
					r := Rule{Mask: kind}
					switch kind {
					case Value:
						r.Value = &val
					case Template:
						r.Template = "{id}"
					}
					want := kind == Null || kind == Value || kind == Keep || kind == SQL ||
						strings.Contains(" "+spec[typ.Kind]+" ", " "+kind+" ")
					why := "type"
					switch {
					case kind == Null && notNull:
						want, why = false, "NOT NULL"
					case unique && !Injective(kind) && kind != Template && kind != Null && kind != SQL:
						want, why = false, "unique"
					case kind == Value && typ.Kind != StringType && typ.Kind != OtherType:
						want, why = false, "value x does not fit"
					case kind == UUID && typ.Kind == StringType && typ.MaxLen > 0:
						want, why = false, "too short for a uuid"
					}
					name := kind + " on " + c.String() + " " + typ.Name
					if notNull {
						name += " NOT NULL"
					}
					if unique {
						name += " UNIQUE"
					}
					m, err := Compile(testKey, r, c)
					if (err == nil) != want {
						t.Errorf("%s: accepted = %v, want %v (%s): %v", name, err == nil, want, why, err)
						continue
					}
					if err != nil {
						msg := err.Error()
						if !strings.HasPrefix(msg, "users.c: ") || strings.Contains(msg, "\n") {
							t.Errorf("%s: error %q does not start with the column or is not one line", name, msg)
						}
						if why == "unique" && !strings.Contains(msg, "not one-to-one") {
							t.Errorf("%s: error %q does not say why", name, msg)
						}
						continue
					}
					checkMasker(t, name, m, kind, c)
				}
			}
		}
	}
}

func checkMasker(t *testing.T, name string, m *Masker, kind string, c Column) {
	row := mapRow{"id": "7"}
	// NULL in: NULL out, except null and value masks.
	out, null, err := m.Mask(nil, nil, true, row)
	switch {
	case kind == SQL:
		if err == nil {
			t.Errorf("%s: a sql masker masked a value", name)
		}
		return
	case err != nil:
		t.Errorf("%s: NULL: %v", name, err)
	case kind == Value && (null || string(out) != string(pad([]byte("x"), c.Type))):
		t.Errorf("%s: NULL -> %q, %v", name, out, null)
	case kind != Value && !null:
		t.Errorf("%s: NULL -> %q, not NULL", name, out)
	}
	v := sample(kind, c.Type)
	out, null, err = m.Mask([]byte("prefix"), []byte(v), false, row)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if !strings.HasPrefix(string(out), "prefix") {
		t.Errorf("%s: dst not appended to", name)
		return
	}
	got := string(out[len("prefix"):])
	if null != (kind == Null) {
		t.Errorf("%s: NULL = %v", name, null)
	}
	if null && c.NotNull {
		t.Errorf("%s: NULL in a NOT NULL column", name)
	}
	if null {
		return
	}
	if kind != Keep && got == v {
		t.Errorf("%s: %q unchanged", name, v)
	}
	if kind == Keep && got != v {
		t.Errorf("%s: keep changed %q to %q", name, v, got)
	}
	if why := fits(got, c.Type); why != "" && kind != Value {
		t.Errorf("%s: %q -> %q: %s", name, v, got, why)
	}
}
