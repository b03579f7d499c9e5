package mask

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Defaults of a rule's parameters.
const (
	DefaultIntNoise     = 1000
	DefaultNumericNoise = 10
	DefaultDays         = 365
	// DefaultHashLen is the length of a hash on a column without a limit.
	DefaultHashLen = 32
)

// valueMasker masks one non-NULL value (an element of an array column) and
// appends the result to dst. Its errors never quote v.
type valueMasker interface {
	mask(dst, v []byte, row Row) ([]byte, error)
}

// Masker masks one column's values. A Masker keeps scratch space: use it
// from one goroutine at a time.
type Masker struct {
	col  Column
	kind string
	vm   valueMasker // one value, or one element of an array column
	// whole: vm masks an array column's whole value, not its elements.
	whole bool
	value []byte // a value mask's constant, fitted to the column
	noKey bool   // compiled without a key: Mask fails
	uses  []string
	arr   arrayScratch
}

// Compile checks that rule fits col and returns its masker. The error
// names the column and says why (email on an integer, uuid on integer, a
// non-injective mask on a unique column, null on a NOT NULL column).
// Columns linked by a foreign key must be compiled with the same Type (the
// narrowest of the group) so that they mask alike.
//
// Which masks fit which types:
//
//	string (text, varchar, char):  email, name, first_name, last_name, digits,
//	                               text, hash, uuid (of uuid-shaped text),
//	                               template
//	integer types:                 int
//	numeric, real, double:         numeric
//	date:                          date
//	timestamp, timestamptz:        timestamp
//	uuid:                          uuid
//	json, jsonb:                   Paths (Mask ""), hash (a JSON string)
//	every type:                    null, value, keep, sql
//
// An array column takes its element type's masks, applied to each element;
// null, value, keep and sql apply to the whole array, template is refused.
// On a Unique column only one-to-one masks are accepted (Injective), and
// also template (its uniqueness is the template's author's business) and
// null (NULLs never collide, except under UNIQUE NULLS NOT DISTINCT). A sql
// mask compiles to a Masker whose Mask fails: the source evaluates it.
//
// With the zero Key, Compile only checks: it returns a Masker whose Mask
// fails (plan checks a config without the key).
func Compile(k Key, rule Rule, col Column) (*Masker, error) {
	m := &Masker{col: col, kind: rule.Mask}
	if k.IsZero() {
		m.noKey = true
		k = Key{secret: []byte("pgtwin: checking a rule, no key")}
	}
	vm, err := compileValue(k, rule, col, m)
	if err != nil {
		if rule.Mask == "" {
			return nil, fmt.Errorf("%s: %w", col, err)
		}
		return nil, fmt.Errorf("%s: mask %s: %w", col, rule.Mask, err)
	}
	m.vm = vm
	return m, nil
}

// Uses lists the other columns a template mask reads.
func (m *Masker) Uses() []string { return m.uses }

// Mask appends the masked value of v to dst. null says v is NULL; NULL
// stays NULL unless the mask is null or value. The returned bool says
// whether the result is NULL. Errors never quote v. On error dst is
// returned at its length on entry.
func (m *Masker) Mask(dst, v []byte, null bool, row Row) ([]byte, bool, error) {
	if m.noKey {
		return dst, null, fmt.Errorf("%s: no masking key", m.col)
	}
	switch m.kind {
	case Null:
		return dst, true, nil
	case Value:
		return append(dst, m.value...), false, nil
	case SQL:
		return dst, null, fmt.Errorf("%s: mask sql is evaluated by the source query, not by the masker", m.col)
	}
	if null {
		return dst, true, nil
	}
	n := len(dst)
	var err error
	if m.col.Type.Array && !m.whole {
		dst, err = m.maskArray(dst, v, row)
	} else {
		dst, err = m.vm.mask(dst, v, row)
	}
	if err != nil {
		return dst[:n], false, fmt.Errorf("%s: mask %s: %w", m.col, m.kind, err)
	}
	return dst, false, nil
}

var errNotImplemented = errors.New("not implemented")

// accepts says which masks fit a column of type kind (besides null, value,
// keep and sql, which fit every type).
var accepts = map[TypeKind][]string{
	StringType:      {Email, Name, FirstName, LastName, Digits, Text, Hash, UUID, Template},
	IntType:         {Int},
	NumericType:     {Numeric},
	DateType:        {Date},
	TimestampType:   {Timestamp},
	TimestampTZType: {Timestamp},
	UUIDType:        {UUID},
	JSONType:        {Hash},
	JSONBType:       {Hash},
	OtherType:       nil,
}

func known(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// compileValue checks rule against col and builds the value masker; m
// receives the whole-value settings. Errors do not name the column.
func compileValue(k Key, rule Rule, col Column, m *Masker) (valueMasker, error) {
	t := col.Type
	t.Array = false
	kind := rule.Mask
	if len(rule.Paths) > 0 {
		if t.Kind != JSONType && t.Kind != JSONBType {
			return nil, fmt.Errorf("paths mask values inside json or jsonb, not %s", typeName(t))
		}
		if kind != "" {
			return nil, fmt.Errorf("give either a mask or paths, not both")
		}
		return compileJSON(k, rule.Paths, t.Kind == JSONBType)
	}
	if kind == "" {
		return nil, fmt.Errorf("no mask given")
	}
	if !known(kind) {
		return nil, fmt.Errorf("unknown mask (known: %s)", strings.Join(Kinds, ", "))
	}
	if err := checkParams(rule); err != nil {
		return nil, err
	}
	switch kind {
	case Null:
		if col.NotNull {
			return nil, fmt.Errorf("column %s is NOT NULL", col)
		}
		return nil, nil
	case SQL:
		return nil, nil
	case Keep:
		m.whole = true
		return keepMasker{}, nil
	case Value:
		if col.Unique {
			return nil, fmt.Errorf("a constant is not one-to-one; column %s must stay unique: use %s", col, suggest(t))
		}
		if rule.Value == nil {
			return nil, fmt.Errorf("no value given")
		}
		v, err := fitValue(*rule.Value, col.Type)
		if err != nil {
			return nil, err
		}
		m.value = v
		return nil, nil
	}
	if col.Unique && !Injective(kind) && kind != Template {
		return nil, fmt.Errorf("%s is not one-to-one; column %s must stay unique: use %s", kind, col, suggest(t))
	}
	ok := false
	for _, a := range accepts[t.Kind] {
		ok = ok || a == kind
	}
	if !ok {
		return nil, fmt.Errorf("does not fit type %s: use %s", typeName(t), strings.Join(append(append([]string(nil), accepts[t.Kind]...), Null, Value, Keep, SQL), ", "))
	}
	if kind == Template {
		if col.Type.Array {
			return nil, fmt.Errorf("a template cannot make an array: use value, null or sql")
		}
		m.whole = true
		tm, err := compileTemplate(rule.Template, t)
		if err != nil {
			return nil, err
		}
		m.uses = tm.uses
		return tm, nil
	}
	if kind == UUID && t.Kind == StringType && t.MaxLen > 0 && t.MaxLen < 36 {
		return nil, fmt.Errorf("a uuid is 36 characters, longer than %s allows", typeName(t))
	}
	sub := k.derive(canonical(rule))
	p := newPerm(sub[:16])
	switch kind {
	case Email:
		return &textMasker{p: p, mode: modeEmail}, nil
	case Text:
		return &textMasker{p: p, mode: modeText}, nil
	case Digits:
		return &textMasker{p: p, mode: modeDigits}, nil
	case UUID:
		return &uuidMasker{p: p}, nil
	case Int:
		return newIntMasker(p, rule, t), nil
	case Numeric:
		return newNumericMasker(p, rule), nil
	case Date:
		return &dateMasker{p: p, bs: uint64(days(rule)) + 1}, nil
	case Timestamp:
		return &tsMasker{p: p, bs: uint64(days(rule))*86400 + 1}, nil
	case Name, FirstName, LastName:
		return newNameMasker(p, kind, t)
	case Hash:
		return newHashMasker(sub[16:], t), nil
	}
	return nil, errNotImplemented
}

// canonical is a rule's identity for its subkey: the kind and the
// parameters that change its output, never where it is used.
func canonical(r Rule) string {
	switch r.Mask {
	case Int:
		return Int + "/noise=" + strconv.FormatFloat(noise(r), 'g', -1, 64)
	case Numeric:
		return Numeric + "/noise=" + strconv.FormatFloat(noise(r), 'g', -1, 64)
	case Date, Timestamp:
		return r.Mask + "/days=" + strconv.Itoa(days(r))
	}
	return r.Mask
}

func noise(r Rule) float64 {
	if r.Noise != 0 {
		return r.Noise
	}
	if r.Mask == Numeric {
		return DefaultNumericNoise
	}
	return DefaultIntNoise
}

func days(r Rule) int {
	if r.Days != 0 {
		return r.Days
	}
	return DefaultDays
}

func checkParams(r Rule) error {
	if r.Noise < 0 || math.IsNaN(r.Noise) || math.IsInf(r.Noise, 0) {
		return fmt.Errorf("noise must be a positive number")
	}
	if r.Noise != 0 && r.Mask != Int && r.Mask != Numeric {
		return fmt.Errorf("noise is for int and numeric masks")
	}
	if r.Mask == Int && r.Noise != 0 && (r.Noise < 1 || r.Noise != math.Trunc(r.Noise) || r.Noise > 1<<62) {
		return fmt.Errorf("noise of an int mask must be a whole number ≥ 1")
	}
	if r.Days < 0 || r.Days > 1_000_000 {
		return fmt.Errorf("days must be between 1 and 1000000")
	}
	if r.Days != 0 && r.Mask != Date && r.Mask != Timestamp {
		return fmt.Errorf("days is for date and timestamp masks")
	}
	if r.Value != nil && r.Mask != Value {
		return fmt.Errorf("value is for the value mask")
	}
	if r.Template != "" && r.Mask != Template {
		return fmt.Errorf("template is for the template mask")
	}
	return nil
}

// suggest names the one-to-one mask for a unique column of type t.
func suggest(t Type) string {
	switch t.Kind {
	case StringType:
		return "text, email or digits"
	case IntType:
		return Int
	case NumericType:
		return Numeric
	case DateType:
		return Date
	case TimestampType, TimestampTZType:
		return Timestamp
	case UUIDType:
		return UUID
	}
	return "keep or sql"
}

func typeName(t Type) string {
	if t.Name != "" {
		return t.Name
	}
	switch t.Kind {
	case StringType:
		return "text"
	case IntType:
		return "integer"
	case NumericType:
		return "numeric"
	case DateType:
		return "date"
	case TimestampType:
		return "timestamp"
	case TimestampTZType:
		return "timestamptz"
	case UUIDType:
		return "uuid"
	case JSONType:
		return "json"
	case JSONBType:
		return "jsonb"
	}
	return "this type"
}

// fitValue checks a value mask's constant against t and returns it as the
// column receives it (blank-padded for char(n)).
func fitValue(v string, t Type) ([]byte, error) {
	if t.Array {
		if err := checkArray([]byte(v)); err != nil {
			return nil, fmt.Errorf("value is not an array: %v", err)
		}
		return []byte(v), nil
	}
	bad := func(what string) error { return fmt.Errorf("value %q is not %s", v, what) }
	switch t.Kind {
	case StringType:
		if n := utf8.RuneCountInString(v); t.MaxLen > 0 && n > t.MaxLen {
			return nil, fmt.Errorf("value is %d characters, longer than %s allows", n, typeName(t))
		}
		return pad([]byte(v), t), nil
	case IntType:
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || (t.IntMin != 0 || t.IntMax != 0) && (x < t.IntMin || x > t.IntMax) {
			return nil, bad("a " + typeName(t))
		}
	case NumericType:
		var n numText
		if !isSpecialNumber([]byte(v)) && !n.parse([]byte(v)) {
			return nil, bad("a number")
		}
		if !isSpecialNumber([]byte(v)) && t.Precision > 0 && (n.intDigits() > t.Precision-t.Scale || n.fracDigits() > t.Scale) {
			return nil, bad("a " + typeName(t))
		}
	case DateType:
		if _, ok := parseDate([]byte(v)); !ok && !passDate([]byte(v)) {
			return nil, bad("a date (YYYY-MM-DD)")
		}
	case TimestampType, TimestampTZType:
		var ts tsText
		if !ts.parse([]byte(v)) && !passDate([]byte(v)) {
			return nil, bad("a timestamp (YYYY-MM-DD HH:MM:SS)")
		}
	case UUIDType:
		var u [16]byte
		if !parseUUID([]byte(v), &u) {
			return nil, bad("a uuid")
		}
	case JSONType, JSONBType:
		if !jsonValid([]byte(v)) {
			return nil, fmt.Errorf("value is not valid JSON")
		}
	}
	return []byte(v), nil
}

// pad blank-pads v to a char(n) column's length.
func pad(v []byte, t Type) []byte {
	if !t.Fixed || t.MaxLen == 0 {
		return v
	}
	for n := utf8.RuneCount(v); n < t.MaxLen; n++ {
		v = append(v, ' ')
	}
	return v
}

type keepMasker struct{}

func (keepMasker) mask(dst, v []byte, _ Row) ([]byte, error) { return append(dst, v...), nil }
