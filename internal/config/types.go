// Package config loads and checks pgtwin's YAML config (version 1). It only
// parses: it knows neither the database catalog nor the server.
//
// Loading is strict: an unknown key, a wrong version, or a value of the wrong
// shape is an error naming the file and line. Matching the config against
// the source lives in package plan: plan.Check resolves table and column
// names against a source catalog, and plan.CheckSQL has the source server
// check every user-written SQL fragment in a read-only transaction.
package config

// Config is the whole config file. Table names may be written as
// schema.table or as a bare table name found in exactly one included schema;
// quoted identifiers ("My Schema"."Order") are accepted.
type Config struct {
	// Version of the config format; must be 1.
	Version int `yaml:"version" json:"version" jsonschema:"enum=1"`
	// Source says where the production database URL comes from.
	Source Endpoint `yaml:"source,omitempty" json:"source,omitempty"`
	// Target says where the development database URL comes from.
	Target Endpoint `yaml:"target,omitempty" json:"target,omitempty"`
	// Schemas limits which schemas the twin contains (default: every user schema).
	Schemas Schemas `yaml:"schemas,omitempty" json:"schemas,omitempty"`
	// Tables overrides how single tables are copied: whole, or schema only.
	Tables []TableRule `yaml:"tables,omitempty" json:"tables,omitempty"`
	// Roots pick the rows the twin starts from.
	Roots []Root `yaml:"roots,omitempty" json:"roots,omitempty"`
	// ForeignKeys adjusts how single foreign keys are followed.
	ForeignKeys []FKRule `yaml:"foreign_keys,omitempty" json:"foreign_keys,omitempty"`
	// VirtualForeignKeys declares relationships the schema does not.
	VirtualForeignKeys []VirtualFK `yaml:"virtual_foreign_keys,omitempty" json:"virtual_foreign_keys,omitempty"`
	// Budgets stop a twin that would grow too big or take too long: clone
	// refuses before writing when the plan's estimate exceeds them, and rolls
	// back when the run crosses them. The --max-rows, --max-bytes and
	// --max-duration flags win over them.
	Budgets Budgets `yaml:"budgets,omitempty" json:"budgets,omitempty"`
	// Masking replaces personal data with masked values on its way into
	// the twin.
	Masking *Masking `yaml:"masking,omitempty" json:"masking,omitempty"`

	// File is the path the config was read from, for messages.
	File string `yaml:"-" json:"-"`

	// lines maps field paths (roots[1].where) to the line of their key, as
	// Parse found them; nil for a Config built in code.
	lines map[string]int
}

// Endpoint names the environment variable holding a connection URL.
type Endpoint struct {
	// URLEnv is the environment variable holding a libpq URL or
	// keyword/value string (defaults: PROD_DATABASE_URL for the source,
	// DEV_DATABASE_URL for the target).
	URLEnv string `yaml:"url_env,omitempty" json:"url_env,omitempty"`
	Line   int    `yaml:"-" json:"-"`
}

// Schemas selects schemas by name. Exclude wins over include.
type Schemas struct {
	// Include lists the schemas to twin; empty means all user schemas.
	Include []string `yaml:"include,omitempty" json:"include,omitempty"`
	// Exclude lists schemas to leave out entirely (no schema, no rows).
	Exclude []string `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	Line    int      `yaml:"-" json:"-"`
}

// Copy modes for a table rule.
const (
	CopyAll    = "all"    // every row of the table
	CopySchema = "schema" // the table's definition, no rows
)

// TableRule copies one table whole, or only its definition.
type TableRule struct {
	// Table is the table's name.
	Table string `yaml:"table" json:"table"`
	// Copy is "all" (every row) or "schema" (definition only, no rows; FKs
	// pointing at it from copied rows must then be cut).
	Copy string `yaml:"copy" json:"copy" jsonschema:"enum=all,enum=schema"`
	Line int    `yaml:"-" json:"-"`
}

// Root selects starting rows of a table. Exactly one of Where, Limit (with
// optional OrderBy and Where), Percent or All is the selector; Where may be
// combined with Limit or Percent.
type Root struct {
	// Table is the table's name.
	Table string `yaml:"table" json:"table"`
	// Where is a SQL boolean expression over the table's columns.
	Where string `yaml:"where,omitempty" json:"where,omitempty"`
	// OrderBy is a SQL ORDER BY list used with Limit (default: primary key).
	OrderBy string `yaml:"order_by,omitempty" json:"order_by,omitempty"`
	// Limit caps the number of root rows.
	Limit *int64 `yaml:"limit,omitempty" json:"limit,omitempty" jsonschema:"minimum=0"`
	// Percent samples this share of the table (0 < percent ≤ 100),
	// repeatably: the same snapshot gives the same rows.
	Percent *float64 `yaml:"percent,omitempty" json:"percent,omitempty" jsonschema:"exclusiveMinimum=0,maximum=100"`
	// All takes every row.
	All  bool `yaml:"all,omitempty" json:"all,omitempty"`
	Line int  `yaml:"-" json:"-"`
}

// FKRule adjusts one foreign key, named by its child table and columns (and
// its parent table when that is ambiguous), or by constraint name.
type FKRule struct {
	// Table is the referencing (child) table.
	Table string `yaml:"table" json:"table"`
	// Columns are the referencing columns.
	Columns []string `yaml:"columns,omitempty" json:"columns,omitempty"`
	// Name is the constraint name, instead of Columns.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// References is the referenced (parent) table, to disambiguate.
	References string `yaml:"references,omitempty" json:"references,omitempty"`
	// FollowChildren switches off (false) pulling in child rows of selected
	// parent rows along this key. Default true.
	FollowChildren *bool `yaml:"follow_children,omitempty" json:"follow_children,omitempty"`
	// ChildrenWhere filters the child rows followed down this key: a SQL
	// boolean expression over the child table's columns.
	ChildrenWhere string `yaml:"children_where,omitempty" json:"children_where,omitempty"`
	// Cut sets this nullable key to NULL in the twin when its parent row is
	// not otherwise selected, instead of pulling the parent in.
	Cut  bool `yaml:"cut,omitempty" json:"cut,omitempty"`
	Line int  `yaml:"-" json:"-"`
}

// VirtualFK declares a foreign key the schema lacks; pgtwin follows it like
// a real one (the target gets no constraint for it).
type VirtualFK struct {
	// Table is the referencing (child) table.
	Table string `yaml:"table" json:"table"`
	// Columns are the referencing columns.
	Columns []string `yaml:"columns" json:"columns"`
	// References is the referenced (parent) table.
	References string `yaml:"references" json:"references"`
	// ReferencedColumns default to the parent's primary key.
	ReferencedColumns []string `yaml:"referenced_columns,omitempty" json:"referenced_columns,omitempty"`
	Line              int      `yaml:"-" json:"-"`
}

// Budgets limit the size and the duration of a clone. Each is off when left
// out.
type Budgets struct {
	// MaxRows is the most rows the twin may hold, over all tables.
	MaxRows *int64 `yaml:"max_rows,omitempty" json:"max_rows,omitempty" jsonschema:"minimum=1"`
	// MaxBytes is the most data the twin may hold, counted as the rows' COPY
	// text: a number of bytes, or a size with a unit (kB, MB, GB, TB: powers
	// of 1024, as PostgreSQL reads them), such as "500MB".
	MaxBytes string `yaml:"max_bytes,omitempty" json:"max_bytes,omitempty" jsonschema:"oneof_type=string;integer"`
	// MaxDuration is the longest a clone may run before it is stopped and
	// rolled back: a Go duration such as "30s", "15m" or "1h30m".
	MaxDuration string `yaml:"max_duration,omitempty" json:"max_duration,omitempty"`
	Line        int    `yaml:"-" json:"-"`
}

// Unlisted policies of a masking section.
const (
	UnlistedRefuse = "refuse" // a personal-looking column without a rule refuses the run
	UnlistedWarn   = "warn"   // it is listed as a warning and copied as it is
)

// DefaultMaskKeyEnv is the environment variable holding the masking key
// when masking.key_env is not set.
const DefaultMaskKeyEnv = "PGTWIN_MASK_KEY"

// Masking says which columns are masked and how. A mask on a column that is
// part of a foreign key applies to every column linked to it.
type Masking struct {
	// KeyEnv is the environment variable holding the secret masking key
	// (default PGTWIN_MASK_KEY). Make one with `openssl rand -hex 32`.
	KeyEnv string `yaml:"key_env,omitempty" json:"key_env,omitempty"`
	// Unlisted says what a run does about columns that look personal and
	// have no rule: "refuse" (the default: the run is refused, listing
	// them) or "warn" (they are listed as warnings and copied as they are).
	Unlisted string `yaml:"unlisted,omitempty" json:"unlisted,omitempty" jsonschema:"enum=refuse,enum=warn"`
	// Columns are the masking rules.
	Columns []MaskRule `yaml:"columns,omitempty" json:"columns,omitempty"`
	Line    int        `yaml:"-" json:"-"`
}

// MaskRule masks one or more columns of a table.
type MaskRule struct {
	// Table is the table's name.
	Table string `yaml:"table" json:"table"`
	// Column is the column to mask (or Columns, for several).
	Column string `yaml:"column,omitempty" json:"column,omitempty"`
	// Columns are columns to mask alike, instead of Column.
	Columns []string `yaml:"columns,omitempty" json:"columns,omitempty"`
	// Mask is the mask: email, name, first_name, last_name, digits, text,
	// hash, uuid, int, numeric, date, timestamp, null, value, template, sql,
	// or keep (reviewed: not personal). Left out when paths are given.
	Mask       string `yaml:"mask,omitempty" json:"mask,omitempty" jsonschema:"enum=email,enum=name,enum=first_name,enum=last_name,enum=digits,enum=text,enum=hash,enum=uuid,enum=int,enum=numeric,enum=date,enum=timestamp,enum=null,enum=value,enum=template,enum=sql,enum=keep"`
	MaskParams `yaml:",inline"`
	// SQL is the expression of a sql mask, evaluated by the source in the
	// extraction query over the row's columns, such as "'user ' || id".
	SQL string `yaml:"sql,omitempty" json:"sql,omitempty"`
	// Paths mask values inside a json or jsonb column, each path with its
	// own mask.
	Paths []MaskPath `yaml:"paths,omitempty" json:"paths,omitempty"`
	Line  int        `yaml:"-" json:"-"`
}

// MaskParams are the settings some masks take.
type MaskParams struct {
	// Noise bounds the change of an int mask (absolute, default 1000) or of
	// a numeric mask (percent, default 10).
	Noise *float64 `yaml:"noise,omitempty" json:"noise,omitempty" jsonschema:"exclusiveMinimum=0"`
	// Days bounds the shift of a date or timestamp mask (default 365).
	Days *int `yaml:"days,omitempty" json:"days,omitempty" jsonschema:"minimum=1"`
	// Value is the constant of a value mask.
	Value *string `yaml:"value,omitempty" json:"value,omitempty"`
	// Template is the text of a template mask: {column} stands for that
	// column's value in the twin, such as "user{id}@example.com".
	Template string `yaml:"template,omitempty" json:"template,omitempty"`
}

// MaskPath masks the values a path selects inside a json or jsonb value.
type MaskPath struct {
	// Path is $-rooted with .key and [*] steps: $.contact.email,
	// $.phones[*].
	Path string `yaml:"path" json:"path"`
	// Mask is the mask for the values the path selects.
	Mask       string `yaml:"mask" json:"mask" jsonschema:"enum=email,enum=name,enum=first_name,enum=last_name,enum=digits,enum=text,enum=hash,enum=uuid,enum=int,enum=numeric,enum=date,enum=timestamp,enum=null,enum=value,enum=template,enum=keep"`
	MaskParams `yaml:",inline"`
	Line       int `yaml:"-" json:"-"`
}
