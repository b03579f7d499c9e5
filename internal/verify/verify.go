package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/load"
)

// MaxExamples is how many example keys a violated foreign key lists.
const MaxExamples = 3

// Report is what Run found. Slices are never nil, so the JSON form always
// has its arrays.
type Report struct {
	// Marker is the newest row of pgtwin.runs, nil when there is none (the
	// database is not a pgtwin twin).
	Marker      *Marker         `json:"marker"`
	ForeignKeys ForeignKeyCheck `json:"foreign_keys"`
	Sequences   SequenceCheck   `json:"sequences"`
	// Masking compares the masked columns with the source (when one is
	// given: see Options.Source).
	Masking MaskingCheck `json:"masking"`
}

// OK reports whether everything holds: the marker is present, no foreign
// key has orphans, no sequence is behind its column and no masked column
// holds a source value.
func (r *Report) OK() bool {
	return r.Marker != nil && len(r.ForeignKeys.Failures) == 0 && len(r.Sequences.Failures) == 0 &&
		len(r.Masking.Leaks()) == 0
}

// Marker is the newest pgtwin run recorded in the twin.
type Marker struct {
	load.Marker
	// TotalRows is the sum of the rows the run copied, over all tables.
	TotalRows int64 `json:"total_rows"`
}

// ForeignKeyCheck is the outcome of checking every foreign key.
type ForeignKeyCheck struct {
	Checked  int       `json:"checked"`   // top-level FOREIGN KEY constraints checked
	NotValid int       `json:"not_valid"` // how many of them are NOT VALID
	Failures []Orphans `json:"failures"`  // the violated ones, by table, then constraint name
}

// Orphans is a foreign key that rows of its table violate.
type Orphans struct {
	Constraint        string          `json:"constraint"`
	Table             catalog.Name    `json:"table"`
	Columns           []string        `json:"columns"`
	References        catalog.Name    `json:"references"`
	ReferencedColumns []string        `json:"referenced_columns"`
	Match             catalog.FKMatch `json:"match"`
	NotValid          bool            `json:"not_valid"`
	// Rows is the number of rows without a parent (for MATCH FULL, partly
	// NULL keys count too).
	Rows int64 `json:"orphan_rows"`
	// Keys is the number of distinct orphan keys.
	Keys int64 `json:"orphan_keys"`
	// Examples are up to MaxExamples distinct orphan keys, in key order.
	Examples []Key `json:"examples"`
}

// Key is the value of a foreign key's columns in one row, as text; nil is
// NULL.
type Key []*string

// String formats the key for people: (42), (7, NULL).
func (k Key) String() string {
	parts := make([]string, len(k))
	for i, v := range k {
		if v == nil {
			parts[i] = "NULL"
		} else {
			parts[i] = *v
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// SequenceCheck is the outcome of checking every sequence owned by a
// column.
type SequenceCheck struct {
	Checked  int              `json:"checked"`  // owned sequences of integer or numeric columns
	Failures []SequenceBehind `json:"failures"` // the ones behind the data, by sequence name
}

// SequenceBehind is a sequence whose next value is already in its column.
type SequenceBehind struct {
	Sequence  catalog.Name `json:"sequence"`
	Table     catalog.Name `json:"table"`
	Column    string       `json:"column"`
	Identity  bool         `json:"identity"`
	Increment int64        `json:"increment"`
	// DataMax is max(column), or min(column) for a descending sequence.
	DataMax   string `json:"data_max"`
	LastValue int64  `json:"last_value"`
	IsCalled  bool   `json:"is_called"`
	// Fix is the SQL that puts the sequence ahead of the data again.
	Fix string `json:"fix"`
}

// Run checks the twin conn is connected to, in one READ ONLY REPEATABLE
// READ transaction. An error means a check could not run (a lost
// connection, a missing privilege); findings are in the Report.
func Run(ctx context.Context, conn *pgx.Conn) (*Report, error) {
	return RunWith(ctx, conn, Options{})
}

// RunWith is Run with options: with opts.Source, the masked columns the
// marker lists are compared with the source too. It returns
// ErrSourceIsTwin when the source is the twin's own database.
func RunWith(ctx context.Context, conn *pgx.Conn, opts Options) (*Report, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin a read-only transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Every name below is qualified; an empty search_path makes sure no
	// user object shadows a built-in one.
	if _, err := tx.Exec(ctx, emptySearchPathQuery); err != nil {
		return nil, fmt.Errorf("set search_path: %w", err)
	}
	rep := &Report{
		ForeignKeys: ForeignKeyCheck{Failures: []Orphans{}},
		Sequences:   SequenceCheck{Failures: []SequenceBehind{}},
	}
	if rep.Marker, err = readMarker(ctx, tx); err != nil {
		return nil, err
	}
	if err := checkForeignKeys(ctx, tx, &rep.ForeignKeys); err != nil {
		return nil, err
	}
	if err := checkSequences(ctx, tx, &rep.Sequences); err != nil {
		return nil, err
	}
	if err := checkMasking(ctx, tx, rep.Marker, opts, &rep.Masking); err != nil {
		return nil, err
	}
	return rep, nil
}

const emptySearchPathQuery = `SELECT pg_catalog.set_config('search_path', '', true)`

func readMarker(ctx context.Context, tx pgx.Tx) (*Marker, error) {
	m, err := load.ReadMarker(ctx, tx.Conn())
	if err != nil || m == nil {
		return nil, err
	}
	out := &Marker{Marker: *m}
	for _, n := range m.Rows {
		out.TotalRows += n
	}
	return out, nil
}

// foreignKeysQuery lists the top-level FOREIGN KEY constraints outside the
// system schemas (and other sessions' temporary schemas). PostgreSQL clones
// a constraint of a partitioned table onto each partition, and one that
// references a partitioned table once per referenced partition; the clones
// have conparentid set and are left out, since the top-level constraint
// covers their rows. Column names are read from each constraint's own
// relations; the equality operators are the ones the constraint uses
// (conpfeqop, PK = FK), with their schemas.
const foreignKeysQuery = `
SELECT c.conname::text,
       cn.nspname::text, cr.relname::text, cr.relkind = 'p',
       pn.nspname::text, pr.relname::text, pr.relkind = 'p',
       ARRAY(
         SELECT a.attname
         FROM pg_catalog.unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         ORDER BY k.ord
       )::pg_catalog.text[],
       ARRAY(
         SELECT a.attname
         FROM pg_catalog.unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
         ORDER BY k.ord
       )::pg_catalog.text[],
       ARRAY(
         SELECT opn.nspname
         FROM pg_catalog.unnest(c.conpfeqop) WITH ORDINALITY AS e(opr, ord)
         JOIN pg_catalog.pg_operator o ON o.oid = e.opr
         JOIN pg_catalog.pg_namespace opn ON opn.oid = o.oprnamespace
         ORDER BY e.ord
       )::pg_catalog.text[],
       ARRAY(
         SELECT o.oprname
         FROM pg_catalog.unnest(c.conpfeqop) WITH ORDINALITY AS e(opr, ord)
         JOIN pg_catalog.pg_operator o ON o.oid = e.opr
         ORDER BY e.ord
       )::pg_catalog.text[],
       c.confmatchtype::pg_catalog.text,
       NOT c.convalidated
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_class cr ON cr.oid = c.conrelid
JOIN pg_catalog.pg_namespace cn ON cn.oid = cr.relnamespace
JOIN pg_catalog.pg_class pr ON pr.oid = c.confrelid
JOIN pg_catalog.pg_namespace pn ON pn.oid = pr.relnamespace
WHERE c.contype = 'f'
  AND c.conparentid = 0
  AND cn.nspname NOT LIKE 'pg\_%'
  AND cn.nspname <> 'information_schema'
ORDER BY cn.nspname, cr.relname, c.conname`

// foreignKey is one constraint to check.
type foreignKey struct {
	Orphans
	childPartitioned, parentPartitioned bool
	opSchemas, opNames                  []string
}

func checkForeignKeys(ctx context.Context, tx pgx.Tx, out *ForeignKeyCheck) error {
	rows, err := tx.Query(ctx, foreignKeysQuery)
	if err != nil {
		return fmt.Errorf("read foreign keys: %w", err)
	}
	var (
		fks   []foreignKey
		fk    foreignKey
		match string
	)
	if _, err := pgx.ForEachRow(rows, []any{
		&fk.Constraint, &fk.Table.Schema, &fk.Table.Name, &fk.childPartitioned,
		&fk.References.Schema, &fk.References.Name, &fk.parentPartitioned,
		&fk.Columns, &fk.ReferencedColumns, &fk.opSchemas, &fk.opNames, &match, &fk.NotValid,
	}, func() error {
		n := len(fk.Columns)
		if n == 0 || len(fk.ReferencedColumns) != n || len(fk.opSchemas) != n || len(fk.opNames) != n {
			return fmt.Errorf("foreign key %s on %s: cannot resolve its columns", catalog.QuoteIfNeeded(fk.Constraint), fk.Table.Display())
		}
		fk.Match = catalog.MatchSimple
		if match == "f" {
			fk.Match = catalog.MatchFull // "p" (MATCH PARTIAL) is not implemented by PostgreSQL
		}
		fks = append(fks, fk)
		fk = foreignKey{} // the slices are scanned anew for each row
		return nil
	}); err != nil {
		return fmt.Errorf("read foreign keys: %w", err)
	}
	for _, fk := range fks {
		out.Checked++
		if fk.NotValid {
			out.NotValid++
		}
		o, err := fk.orphans(ctx, tx)
		if err != nil {
			return fmt.Errorf("check foreign key %s on %s: %w", catalog.QuoteIfNeeded(fk.Constraint), fk.Table.Display(), err)
		}
		if o.Rows > 0 {
			out.Failures = append(out.Failures, o)
		}
	}
	return nil
}

// orphans counts the rows of fk's table that lack a parent, with a few
// example keys.
func (fk *foreignKey) orphans(ctx context.Context, tx pgx.Tx) (Orphans, error) {
	o := fk.Orphans
	o.Examples = []Key{}
	rows, err := tx.Query(ctx, fk.orphanQuery())
	if err != nil {
		return o, err
	}
	var (
		key         Key
		total, keys int64
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &total, &keys}, func() error {
		o.Examples = append(o.Examples, key)
		o.Rows, o.Keys = total, keys
		key = nil
		return nil
	})
	return o, err
}

// orphanQuery is the anti-join that finds the rows of the constrained table
// without a parent, as PostgreSQL's own validation does: under MATCH SIMPLE
// a key with any NULL column needs no parent; under MATCH FULL only an
// all-NULL key needs none, and a partly NULL one never finds a parent (NULL
// equals nothing). It returns the first MaxExamples distinct orphan keys,
// each with the total numbers of orphan rows and distinct orphan keys (the
// windows run before the LIMIT); no rows when there are no orphans. A partitioned table is read
// whole; any other table without its inheritance children, which a
// foreign key does not cover.
func (fk *foreignKey) orphanQuery() string {
	var keys, texts, notNull, equal []string
	for i, col := range fk.Columns {
		c := "c." + pgx.Identifier{col}.Sanitize()
		p := "p." + pgx.Identifier{fk.ReferencedColumns[i]}.Sanitize()
		keys = append(keys, c)
		texts = append(texts, c+"::pg_catalog.text")
		notNull = append(notNull, c+" IS NOT NULL")
		equal = append(equal, fmt.Sprintf("%s OPERATOR(%s.%s) %s", p, pgx.Identifier{fk.opSchemas[i]}.Sanitize(), fk.opNames[i], c))
	}
	cond := strings.Join(notNull, " AND ")
	if fk.Match == catalog.MatchFull {
		cond = "(" + strings.Join(notNull, " OR ") + ")"
	}
	return fmt.Sprintf(`SELECT ARRAY[%s]::pg_catalog.text[], pg_catalog.sum(pg_catalog.count(*)) OVER ()::pg_catalog.int8, pg_catalog.count(*) OVER ()
FROM %s c
WHERE %s
  AND NOT EXISTS (SELECT FROM %s p WHERE %s)
GROUP BY %s
ORDER BY %s
LIMIT %d`,
		strings.Join(texts, ", "),
		from(fk.Table, fk.childPartitioned),
		cond,
		from(fk.References, fk.parentPartitioned), strings.Join(equal, " AND "),
		strings.Join(keys, ", "),
		strings.Join(keys, ", "),
		MaxExamples)
}

func from(n catalog.Name, partitioned bool) string {
	if partitioned {
		return n.String()
	}
	return "ONLY " + n.String()
}

// sequencesQuery lists the sequences owned by a column (deptype 'a' for
// OWNED BY, as serial makes; 'i' for an identity column) of an integer or
// numeric type (or a domain over one), outside the system schemas.
const sequencesQuery = `
SELECT sn.nspname::text, s.relname::text, tn.nspname::text, t.relname::text, a.attname::text,
       q.seqincrement, d.deptype = 'i'
FROM pg_catalog.pg_class s
JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid
JOIN pg_catalog.pg_depend d
  ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
 AND d.objid = s.oid
 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
 AND d.refobjsubid > 0
 AND d.deptype IN ('a', 'i')
JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid AND NOT a.attisdropped
JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
WHERE s.relkind = 'S'
  AND t.relkind IN ('r', 'p')
  AND sn.nspname NOT LIKE 'pg\_%'
  AND sn.nspname <> 'information_schema'
  AND CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END IN (
        'pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
        'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.numeric'::pg_catalog.regtype)
ORDER BY sn.nspname, s.relname, tn.nspname, t.relname, a.attname`

// ownedSequence is one sequence to check.
type ownedSequence struct {
	seq, table catalog.Name
	column     string
	increment  int64
	identity   bool
}

func checkSequences(ctx context.Context, tx pgx.Tx, out *SequenceCheck) error {
	rows, err := tx.Query(ctx, sequencesQuery)
	if err != nil {
		return fmt.Errorf("read sequences: %w", err)
	}
	var seqs []ownedSequence
	var s ownedSequence
	if _, err := pgx.ForEachRow(rows, []any{
		&s.seq.Schema, &s.seq.Name, &s.table.Schema, &s.table.Name, &s.column, &s.increment, &s.identity,
	}, func() error {
		seqs = append(seqs, s)
		return nil
	}); err != nil {
		return fmt.Errorf("read sequences: %w", err)
	}
	for _, s := range seqs {
		out.Checked++
		b, ok, err := s.check(ctx, tx)
		if err != nil {
			return fmt.Errorf("check sequence %s of %s.%s: %w", s.seq.Display(), s.table.Display(), catalog.QuoteIfNeeded(s.column), err)
		}
		if !ok {
			out.Failures = append(out.Failures, b)
		}
	}
	return nil
}

// check compares the sequence with its column. The next value of an
// ascending sequence is last_value + increment once is_called, else
// last_value itself; it must be above every value in the column (below,
// for a descending sequence). The table is read with its partitions and
// inheritance children, which share the column's default.
func (s *ownedSequence) check(ctx context.Context, tx pgx.Tx) (SequenceBehind, bool, error) {
	agg, op := "max", ">"
	if s.increment < 0 {
		agg, op = "min", "<"
	}
	query := fmt.Sprintf(`SELECT d.v::pg_catalog.text, s.last_value, s.is_called,
       d.v IS NULL OR CASE WHEN s.is_called THEN s.last_value %[1]s= d.v ELSE s.last_value %[1]s d.v END
FROM (SELECT pg_catalog.%[2]s(%[3]s) AS v FROM %[4]s) d, %[5]s s`,
		op, agg, pgx.Identifier{s.column}.Sanitize(), s.table.String(), s.seq.String())
	b := SequenceBehind{Sequence: s.seq, Table: s.table, Column: s.column, Identity: s.identity, Increment: s.increment}
	var (
		v  *string
		ok bool
	)
	if err := tx.QueryRow(ctx, query).Scan(&v, &b.LastValue, &b.IsCalled, &ok); err != nil {
		return b, false, err
	}
	if v != nil {
		b.DataMax = *v
		b.Fix = fmt.Sprintf("SELECT pg_catalog.setval(%s, %s);", catalog.QuoteLiteral(s.seq.Display()), *v)
	}
	return b, ok, nil
}
