// Package catalog reads what pgtwin needs to know about a database from
// pg_catalog, in one read-only transaction: schemas, tables, columns, keys,
// foreign keys, sequences and size estimates.
package catalog

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/ident"
)

// Name is a schema-qualified object name.
type Name struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

// String returns the name as SQL, quoted where needed: public.users,
// "My Schema"."Order".
func (n Name) String() string { return pgx.Identifier{n.Schema, n.Name}.Sanitize() }

// Display returns schema.name for people: in SQL syntax, but quoting only
// the parts that need it (public.users, "Sales Dept"."Order Lines").
func (n Name) Display() string { return QuoteIfNeeded(n.Schema) + "." + QuoteIfNeeded(n.Name) }

// QuoteIfNeeded double-quotes an identifier unless PostgreSQL would read it
// unquoted as the same name; see ident.QuoteIfNeeded.
func QuoteIfNeeded(s string) string { return ident.QuoteIfNeeded(s) }

// QuoteLiteral quotes s as an SQL string literal (with
// standard_conforming_strings on, as every supported server has it).
func QuoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Less orders names by schema, then name.
func (n Name) Less(o Name) bool {
	if n.Schema != o.Schema {
		return n.Schema < o.Schema
	}
	return n.Name < o.Name
}

// TableKind says how a table stores its rows.
type TableKind string

const (
	Ordinary    TableKind = "table"
	Partitioned TableKind = "partitioned"
)

// Catalog is everything pgtwin reads from one source database.
type Catalog struct {
	ServerVersion int           `json:"server_version"` // server_version_num, e.g. 150018
	Database      string        `json:"database"`
	Schemas       []string      `json:"schemas"`      // user schemas, sorted
	Tables        []*Table      `json:"tables"`       // sorted by name; partitions are not listed here
	ForeignKeys   []*ForeignKey `json:"foreign_keys"` // sorted by child table, then constraint name
	Sequences     []*Sequence   `json:"sequences"`    // sorted by name
	// IndexedForeignKeys are the foreign keys, by pg_dump's tag, whose
	// child columns lead a btree index of the child table.
	IndexedForeignKeys map[DumpTag]bool `json:"-"`

	byName map[Name]*Table
}

// Table is a logical table: an ordinary table, an inheritance child (a table
// of its own), or a partitioned table with its partitions.
type Table struct {
	Name       Name      `json:"name"`
	OID        uint32    `json:"-"`
	Kind       TableKind `json:"kind"`
	Columns    []*Column `json:"columns"` // in attnum order, dropped columns omitted
	PrimaryKey []string  `json:"primary_key,omitempty"`
	// UniqueKeys are the non-partial unique constraints and unique indexes on
	// plain columns (the keys a foreign key can reference), PK excluded.
	UniqueKeys [][]string `json:"unique_keys,omitempty"`
	// Partitions are the leaf partitions of a partitioned table, sorted:
	// its ordinary tables, which hold its rows. ForeignPartitions says some
	// of its rows live in foreign tables instead, which Partitions omits.
	Partitions        []Name `json:"partitions,omitempty"`
	ForeignPartitions bool   `json:"foreign_partitions,omitempty"`
	// InheritsFrom names the parents of an inheritance child.
	InheritsFrom []Name `json:"inherits_from,omitempty"`
	// EstimatedRows and Bytes come from pg_class (summed over partitions);
	// EstimatedRows is -1 when the table was never analyzed or vacuumed.
	EstimatedRows int64 `json:"estimated_rows"`
	Bytes         int64 `json:"bytes"`
}

// Column is one live column of a table.
type Column struct {
	Name      string `json:"name"`
	Num       int16  `json:"num"`
	Type      string `json:"type"` // format_type(), e.g. "character varying(20)", "public.mood[]"
	TypeOID   uint32 `json:"-"`
	NotNull   bool   `json:"not_null"`
	Generated bool   `json:"generated,omitempty"` // GENERATED ALWAYS AS (…) STORED
	Identity  string `json:"identity,omitempty"`  // "", "always" or "by default"
	Default   string `json:"default,omitempty"`
	// Comment is the column's comment (COMMENT ON COLUMN), "" when none.
	Comment string `json:"comment,omitempty"`
	// Base is the type the column's values are made of, with its typmod, as
	// format_type() prints it: a domain's base type (through domains over
	// domains, with the domain's typmod), an array's element type (itself
	// resolved through domains). "character varying(20)" for varchar(20),
	// for varchar(20)[], and for an array of a domain over varchar(20).
	Base string `json:"base,omitempty"`
	// Array is set when the column (or the domain it is declared with) is
	// an array.
	Array bool `json:"array,omitempty"`
	// Unique is set when a valid unique index depends on the column: the
	// primary key, a UNIQUE constraint, or any unique index, partial and
	// expression ones included (a column that an index expression or
	// predicate reads counts), of the table or of one of its partitions.
	// INCLUDE columns do not count.
	Unique bool `json:"unique,omitempty"`
	// Stats says the source has statistics for the column (pg_stats):
	// NDistinct is its n_distinct (below 0: minus a share of the rows),
	// NullFrac the share of NULLs.
	Stats     bool    `json:"-"`
	NDistinct float64 `json:"-"`
	NullFrac  float64 `json:"-"`
}

// Distinct estimates the column's distinct values from its statistics
// and the table's rows; 0 when unknown.
func (c *Column) Distinct(tableRows int64) float64 {
	switch {
	case !c.Stats:
		return 0
	case c.NDistinct < 0:
		return -c.NDistinct * float64(max(tableRows, 0))
	}
	return c.NDistinct
}

// DistinctKeys estimates the distinct values of cols together: the
// largest n_distinct of the columns (a lower bound for their combinations);
// 0 when a column has no statistics.
func (t *Table) DistinctKeys(cols []string) float64 {
	var nd float64
	for _, c := range cols {
		col := t.Column(c)
		if col == nil || !col.Stats {
			return 0
		}
		nd = max(nd, col.Distinct(t.EstimatedRows))
	}
	return nd
}

// FKMatch is a foreign key's MATCH type.
type FKMatch string

const (
	MatchSimple FKMatch = "simple"
	MatchFull   FKMatch = "full"
)

// ForeignKey is an edge from a child table's columns to a parent table's
// primary or unique key. Virtual foreign keys come from the config.
type ForeignKey struct {
	Name          string   `json:"name"`
	Child         Name     `json:"child"`
	ChildColumns  []string `json:"child_columns"`
	Parent        Name     `json:"parent"`
	ParentColumns []string `json:"parent_columns"`
	Match         FKMatch  `json:"match"`
	OnDelete      string   `json:"on_delete"` // "no action", "restrict", "cascade", "set null", "set default"
	OnUpdate      string   `json:"on_update"`
	Deferrable    bool     `json:"deferrable,omitempty"`
	Deferred      bool     `json:"initially_deferred,omitempty"`
	NotValid      bool     `json:"not_valid,omitempty"`
	// Nullable is true when every child column may be NULL, so the edge can
	// be cut by setting it to NULL.
	Nullable bool `json:"nullable"`
	Virtual  bool `json:"virtual,omitempty"`
}

// String names the edge for messages: child(cols) -> parent(cols).
func (fk *ForeignKey) String() string {
	return fmt.Sprintf("%s(%s) -> %s(%s)", fk.Child.Display(), join(fk.ChildColumns), fk.Parent.Display(), join(fk.ParentColumns))
}

// Sequence is a sequence and the column that owns it, if any.
type Sequence struct {
	Name     Name   `json:"name"`
	OwnedBy  *Name  `json:"owned_by,omitempty"` // table owning the sequence
	Column   string `json:"column,omitempty"`   // owning column
	Identity bool   `json:"identity,omitempty"`
}

// Table returns the table called n, or nil.
func (c *Catalog) Table(n Name) *Table {
	if c.byName == nil {
		c.index()
	}
	return c.byName[n]
}

func (c *Catalog) index() {
	c.byName = make(map[Name]*Table, len(c.Tables))
	for _, t := range c.Tables {
		c.byName[t.Name] = t
	}
}

// Column returns the column called name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func join(cols []string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += QuoteIfNeeded(c)
	}
	return s
}
