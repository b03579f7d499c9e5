// Package mask turns production values into masked ones for a twin.
//
// Every mask is a function of a secret key, the rule and the input value:
// the same key, rule and value give the same output in every run, table and
// target, so foreign keys and joins on masked columns still match. Masks
// are type- and length-correct for the column they write, never return
// their input unchanged, and the masks allowed on a column that must stay
// unique (email, digits, text, int, numeric, date, timestamp, uuid) are
// one-to-one by construction: keyed format-preserving permutations, not
// hash and hope.
//
// Each rule gets its own subkey, HMAC-SHA-256(key, "pgtwin/mask/v1/" and
// the rule's kind and parameters), never the table or column. The
// one-to-one masks permute the value's domain with σ(x) = π⁻¹(π(x)+1),
// π a keyed permutation (an AES-based Feistel network over the value's
// letters and digits, an AES-based Feistel over an integer range with
// cycle walking, or AES itself for uuids): σ is one cycle through the whole
// domain, so it never returns its input when the domain holds two values
// or more. The exceptions, each documented with its mask: a text value with
// no ASCII letter or digit (non-ASCII characters are kept in place, so
// that the mask stays one-to-one and length-preserving), NaN, infinity,
// dates BC, and the zeros numeric cannot move.
//
// Values are PostgreSQL's text output (what COPY … TO STDOUT sends, after
// COPY's own escaping is undone), with DateStyle ISO. Errors never quote a
// value; a Masker's errors name its column.
//
// The files: key.go (the key), perm.go (the permutations), text.go (text,
// email, digits), numbers.go (int, numeric), dates.go, uuid.go (uuid,
// hash), names.go and namelist.go, template.go, array.go, json.go, and
// compile.go (which mask fits which column).
package mask

// Kind is a mask's name as the config writes it.
const (
	Email     = "email"
	Name      = "name"
	FirstName = "first_name"
	LastName  = "last_name"
	Digits    = "digits"
	Text      = "text"
	Hash      = "hash"
	UUID      = "uuid"
	Int       = "int"
	Numeric   = "numeric"
	Date      = "date"
	Timestamp = "timestamp"
	Null      = "null"
	Value     = "value"
	Template  = "template"
	SQL       = "sql"  // evaluated by the source in the extraction query, not here
	Keep      = "keep" // reviewed: not personal, copied as it is
)

// Kinds lists every mask name, for the config's validation and schema.
var Kinds = []string{Email, Name, FirstName, LastName, Digits, Text, Hash, UUID, Int, Numeric, Date, Timestamp, Null, Value, Template, SQL, Keep}

// Injective reports whether mask kind is one-to-one, so that it may mask a
// column under a primary key, UNIQUE constraint or unique index.
func Injective(kind string) bool {
	switch kind {
	case Email, Digits, Text, UUID, Int, Numeric, Date, Timestamp, Keep:
		return true
	}
	return false
}

// TypeKind is the family of a column's type, as far as masks care.
type TypeKind int

const (
	OtherType TypeKind = iota
	StringType
	IntType
	NumericType // numeric/decimal, real, double precision
	DateType
	TimestampType   // timestamp without time zone
	TimestampTZType // timestamp with time zone
	UUIDType
	JSONType
	JSONBType
)

// Type describes the type a mask writes into (a domain's base type).
type Type struct {
	Kind TypeKind
	// Name is the type as format_type() prints it, for messages.
	Name string
	// MaxLen is n of varchar(n) or char(n); 0 when unlimited.
	MaxLen int
	// Fixed is set for char(n): values are blank-padded to n.
	Fixed bool
	// IntMin and IntMax bound an IntType (smallint, integer, bigint).
	IntMin, IntMax int64
	// Precision and Scale of numeric(p,s); 0 when unconstrained.
	Precision, Scale int
	// Array: the column is an array of this type, masked element by element.
	Array bool
}

// Column is the column a mask writes.
type Column struct {
	// Table and Name, for messages.
	Table, Name string
	Type        Type
	NotNull     bool
	// Unique is set when the column is part of a primary key, UNIQUE
	// constraint or unique index, or linked to one by a foreign key.
	Unique bool
}

func (c Column) String() string { return c.Table + "." + c.Name }

// Rule is one configured mask.
type Rule struct {
	Mask string
	// Noise bounds an int mask's change (absolute, default 1000) and a
	// numeric mask's change (percent of the value, default 10).
	Noise float64
	// Days bounds a date or timestamp shift (default 365).
	Days int
	// Value is the constant of a value mask (nil: not set).
	Value *string
	// Template is a template mask's text: {column} is replaced by that
	// column's value in the twin (masked when it is masked).
	Template string
	// Paths mask values inside a json or jsonb column.
	Paths []PathRule
}

// PathRule masks the values a path selects inside a json/jsonb value.
// Path is $-rooted with .key and [*] steps: $.contact.email, $.phones[*].
type PathRule struct {
	Path string
	Rule Rule
}

// Row gives a template the twin's values of the row's other columns.
type Row interface {
	// Value returns the column's value in the twin (masked when it is
	// masked) and whether it is NULL.
	Value(column string) (v []byte, null bool)
}
