package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Read reads the catalog of the database conn is connected to, in a
// transaction of its own (REPEATABLE READ, READ ONLY), so that every query
// sees the same snapshot.
func Read(ctx context.Context, conn *pgx.Conn) (*Catalog, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin catalog transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	c, err := ReadTx(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit catalog transaction: %w", err)
	}
	return c, nil
}

// ReadTx reads the catalog inside the caller's transaction, which should be
// REPEATABLE READ (or SERIALIZABLE) so that all queries see one snapshot,
// e.g. one that imported a snapshot shared with pg_dump.
//
// Type names and default expressions are rendered with an empty search_path,
// so they come back schema-qualified (public.mood, nextval('public.s'::regclass))
// whatever the session's setting. ReadTx sets search_path with SET LOCAL
// semantics and restores the previous value before it returns.
func ReadTx(ctx context.Context, tx pgx.Tx) (c *Catalog, err error) {
	restore, err := emptySearchPath(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := restore(); rerr != nil && err == nil {
			c, err = nil, rerr
		}
	}()

	c = &Catalog{}
	if err := tx.QueryRow(ctx, serverQuery).Scan(&c.ServerVersion, &c.Database); err != nil {
		return nil, fmt.Errorf("read server version: %w", err)
	}
	schemas, err := readSchemas(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, s := range schemas {
		c.Schemas = append(c.Schemas, s)
	}
	slices.Sort(c.Schemas)

	rels, err := readRelations(ctx, tx)
	if err != nil {
		return nil, err
	}
	tables, err := buildTables(rels, schemas)
	if err != nil {
		return nil, err
	}
	c.Tables = tables.list
	if err := readColumns(ctx, tx, tables); err != nil {
		return nil, err
	}
	if err := readKeys(ctx, tx, tables); err != nil {
		return nil, err
	}
	if err := readUniqueColumns(ctx, tx, tables); err != nil {
		return nil, err
	}
	if c.ForeignKeys, err = readForeignKeys(ctx, tx, tables); err != nil {
		return nil, err
	}
	if c.Sequences, err = readSequences(ctx, tx, schemas, tables); err != nil {
		return nil, err
	}
	if c.IndexedForeignKeys, err = readIndexedForeignKeys(ctx, tx); err != nil {
		return nil, err
	}
	c.index()
	return c, nil
}

const (
	searchPathQuery    = `SELECT current_setting('search_path')`
	setSearchPathQuery = `SELECT set_config('search_path', $1, true)`
)

// emptySearchPath sets search_path to ” for the rest of the transaction and
// returns a function that sets it back.
func emptySearchPath(ctx context.Context, tx pgx.Tx) (func() error, error) {
	var old string
	if err := tx.QueryRow(ctx, searchPathQuery).Scan(&old); err != nil {
		return nil, fmt.Errorf("read search_path: %w", err)
	}
	if _, err := tx.Exec(ctx, setSearchPathQuery, ""); err != nil {
		return nil, fmt.Errorf("set search_path: %w", err)
	}
	return func() error {
		if _, err := tx.Exec(ctx, setSearchPathQuery, old); err != nil {
			return fmt.Errorf("restore search_path: %w", err)
		}
		return nil
	}, nil
}

const serverQuery = `SELECT current_setting('server_version_num')::int, current_database()`

// schemasQuery lists the user schemas: no system schemas (the pg_ prefix is
// reserved, which covers pg_catalog, pg_toast* and pg_temp_*), no
// information_schema, and none that belongs to an extension.
const schemasQuery = `
SELECT n.oid, n.nspname
FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT LIKE 'pg\_%'
  AND n.nspname <> 'information_schema'
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
      AND d.objid = n.oid
      AND d.deptype = 'e'
  )
ORDER BY n.nspname`

// readSchemas returns the user schemas by OID.
func readSchemas(ctx context.Context, tx pgx.Tx) (map[uint32]string, error) {
	rows, err := tx.Query(ctx, schemasQuery)
	if err != nil {
		return nil, fmt.Errorf("read schemas: %w", err)
	}
	schemas := make(map[uint32]string)
	var (
		oid  uint32
		name string
	)
	if _, err := pgx.ForEachRow(rows, []any{&oid, &name}, func() error {
		schemas[oid] = name
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read schemas: %w", err)
	}
	return schemas, nil
}

// relationsQuery lists ordinary and partitioned tables, partitions included,
// and foreign tables that are partitions, outside the system schemas. Which
// of them are listed as tables is decided in buildTables. parents are the
// pg_inherits parents in declaration order: the parent of a partition, or
// the parents of an inheritance child.
const relationsQuery = `
SELECT c.oid, c.relnamespace, n.nspname, c.relname, c.relkind::text, c.relispartition,
       c.reltuples::float8,
       COALESCE(pg_catalog.pg_table_size(c.oid), 0),
       ARRAY(
         SELECT i.inhparent FROM pg_catalog.pg_inherits i
         WHERE i.inhrelid = c.oid
         ORDER BY i.inhseqno
       )::oid[] AS parents,
       EXISTS (
         SELECT 1 FROM pg_catalog.pg_depend d
         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.objid = c.oid
           AND d.deptype = 'e'
       ) AS extension_member
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE (c.relkind IN ('r', 'p') OR (c.relkind = 'f' AND c.relispartition))
  AND n.nspname NOT LIKE 'pg\_%'
  AND n.nspname <> 'information_schema'
ORDER BY c.oid`

type relation struct {
	oid         uint32
	namespace   uint32
	name        Name
	kind        string // pg_class.relkind: "r", "p", or "f" for a partition
	isPartition bool
	reltuples   float64
	bytes       int64
	parents     []uint32
	extension   bool
}

func readRelations(ctx context.Context, tx pgx.Tx) (map[uint32]*relation, error) {
	rows, err := tx.Query(ctx, relationsQuery)
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	rels := make(map[uint32]*relation)
	var r relation
	if _, err := pgx.ForEachRow(rows, []any{
		&r.oid, &r.namespace, &r.name.Schema, &r.name.Name, &r.kind, &r.isPartition,
		&r.reltuples, &r.bytes, &r.parents, &r.extension,
	}, func() error {
		rr := r
		rels[r.oid] = &rr
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	return rels, nil
}

// tableSet holds the listed tables and how to find the logical table of any
// relation read, partitions included.
type tableSet struct {
	list    []*Table
	byOID   map[uint32]*Table
	logical map[uint32]*Table // relation OID (table or partition) → listed table
}

// buildTables turns relations into the listed tables: ordinary and
// partitioned tables in user schemas that no extension owns. Partitions are
// folded into their root partitioned table.
func buildTables(rels map[uint32]*relation, schemas map[uint32]string) (*tableSet, error) {
	ts := &tableSet{byOID: make(map[uint32]*Table), logical: make(map[uint32]*Table)}
	for _, r := range rels {
		if r.isPartition {
			continue
		}
		if _, ok := schemas[r.namespace]; !ok || r.extension {
			continue
		}
		t := &Table{Name: r.name, OID: r.oid, Kind: Ordinary, EstimatedRows: estimate(r.reltuples), Bytes: r.bytes}
		if r.kind == "p" {
			t.Kind = Partitioned
		}
		for _, p := range r.parents {
			pr, ok := rels[p]
			if !ok {
				return nil, fmt.Errorf("read tables: parent %d of %s not found", p, r.name.Display())
			}
			t.InheritsFrom = append(t.InheritsFrom, pr.name)
		}
		ts.list = append(ts.list, t)
		ts.byOID[r.oid] = t
		ts.logical[r.oid] = t
	}

	// Fold leaf partitions, at any depth, into their root.
	type sum struct {
		rows, bytes int64
		known       bool
	}
	sums := make(map[*Table]*sum)
	for _, r := range rels {
		if !r.isPartition {
			continue
		}
		root, err := partitionRoot(rels, r)
		if err != nil {
			return nil, err
		}
		t := ts.byOID[root.oid]
		if t == nil {
			continue // the root is not listed (extension table)
		}
		ts.logical[r.oid] = t
		if r.kind == "f" {
			t.ForeignPartitions = true
			continue
		}
		if r.kind != "r" {
			continue // an intermediate partitioned table holds no rows
		}
		t.Partitions = append(t.Partitions, r.name)
		s := sums[t]
		if s == nil {
			s = &sum{}
			sums[t] = s
		}
		s.bytes += r.bytes
		if r.reltuples >= 0 {
			s.rows += int64(r.reltuples)
			s.known = true
		}
	}
	for t, s := range sums {
		t.Bytes = s.bytes
		// Leaves never analyzed count as empty as long as one leaf was
		// analyzed; otherwise keep the root's own estimate (usually -1).
		if s.known {
			t.EstimatedRows = s.rows
		}
	}
	for _, t := range ts.list {
		slices.SortFunc(t.Partitions, compareNames)
	}
	slices.SortFunc(ts.list, func(a, b *Table) int { return compareNames(a.Name, b.Name) })
	return ts, nil
}

// partitionRoot follows a partition up to its root partitioned table.
func partitionRoot(rels map[uint32]*relation, r *relation) (*relation, error) {
	for depth := 0; r.isPartition; depth++ {
		if len(r.parents) != 1 || depth > len(rels) {
			return nil, fmt.Errorf("read tables: cannot find the partitioned table of %s", r.name.Display())
		}
		p, ok := rels[r.parents[0]]
		if !ok {
			return nil, fmt.Errorf("read tables: parent %d of partition %s not found", r.parents[0], r.name.Display())
		}
		r = p
	}
	return r, nil
}

// estimate converts pg_class.reltuples: -1 (since PostgreSQL 14) means the
// table was never vacuumed or analyzed.
func estimate(reltuples float64) int64 {
	if reltuples < 0 {
		return -1
	}
	return int64(reltuples)
}

// columnsQuery lists the live columns of the given tables. The default of a
// generated column is its generation expression, which is not a default, so
// it is left out.
//
// The base type (b) follows the column's type through domains (a domain's
// typmod applies when the column has none: varchar(20) for a domain over
// varchar(20)) and arrays (to the element type; an array column's typmod is
// its element's), until it reaches a type that is neither.
//
// n_distinct and null_frac come from pg_stats (the columns the role may
// read; a partitioned table's are its inherited ones), NULL where the
// column has no statistics.
const columnsQuery = `
SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.atttypid, a.attnotnull, a.attgenerated = 's', a.attidentity::text,
       CASE WHEN a.attgenerated = '' THEN COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') ELSE '' END,
       COALESCE(pg_catalog.col_description(a.attrelid, a.attnum), ''),
       b.base, b.arr,
       st.n_distinct::float8, st.null_frac::float8
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
CROSS JOIN LATERAL (
  WITH RECURSIVE r(typ, mod, arr, depth) AS (
    SELECT a.atttypid, a.atttypmod, false, 0
    UNION ALL
    SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END,
           CASE WHEN t.typtype = 'd' AND r.mod = -1 THEN t.typtypmod ELSE r.mod END,
           r.arr OR t.typtype <> 'd',
           r.depth + 1
    FROM r
    JOIN pg_catalog.pg_type t ON t.oid = r.typ
    WHERE (t.typtype = 'd' OR (t.typcategory = 'A' AND t.typelem <> 0))
      AND r.depth < 32
  )
  SELECT pg_catalog.format_type(r.typ, r.mod) AS base, r.arr
  FROM r
  ORDER BY r.depth DESC
  LIMIT 1
) b
LEFT JOIN LATERAL (
  SELECT s.n_distinct, s.null_frac FROM pg_catalog.pg_stats s
  WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
  ORDER BY s.inherited = (c.relkind = 'p') DESC
  LIMIT 1
) st ON true
WHERE a.attrelid = ANY ($1::oid[])
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`

func readColumns(ctx context.Context, tx pgx.Tx, ts *tableSet) error {
	rows, err := tx.Query(ctx, columnsQuery, ts.oids())
	if err != nil {
		return fmt.Errorf("read columns: %w", err)
	}
	var (
		rel                 uint32
		col                 Column
		identity            string
		nDistinct, nullFrac *float64
	)
	if _, err := pgx.ForEachRow(rows, []any{
		&rel, &col.Num, &col.Name, &col.Type, &col.TypeOID, &col.NotNull, &col.Generated, &identity, &col.Default,
		&col.Comment, &col.Base, &col.Array,
		&nDistinct, &nullFrac,
	}, func() error {
		t := ts.byOID[rel]
		if t == nil {
			return fmt.Errorf("column %s of unknown table %d", col.Name, rel)
		}
		c := col
		c.Stats = nDistinct != nil && nullFrac != nil
		if c.Stats {
			c.NDistinct, c.NullFrac = *nDistinct, *nullFrac
		}
		switch identity {
		case "a":
			c.Identity = "always"
		case "d":
			c.Identity = "by default"
		}
		t.Columns = append(t.Columns, &c)
		return nil
	}); err != nil {
		return fmt.Errorf("read columns: %w", err)
	}
	return nil
}

// uniqueColumnsQuery lists, by name, the columns that a valid unique index
// (every primary key and UNIQUE constraint has one) depends on: its key
// columns (not INCLUDE ones), and every column its expressions or its
// predicate read, found as the Var nodes of pg_index.indexprs and indpred.
// A whole-row Var (varattno 0) reads every column. Indexes of partitions
// are read too: a unique index on one partition constrains the column of
// the partitioned table.
const uniqueColumnsQuery = `
SELECT i.indrelid, a.attname
FROM pg_catalog.pg_index i
CROSS JOIN LATERAL (
  SELECT ARRAY(
    SELECT m[1]::int
    FROM pg_catalog.regexp_matches(
      COALESCE(i.indexprs::text, '') || ' ' || COALESCE(i.indpred::text, ''),
      ':varattno (\d+)', 'g') AS m
  ) AS attnos
) v
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum > 0 AND NOT a.attisdropped
WHERE i.indrelid = ANY ($1::oid[])
  AND i.indisunique
  AND i.indisvalid
  AND (a.attnum = ANY (i.indkey[0:i.indnkeyatts - 1])
       OR a.attnum = ANY (v.attnos)
       OR 0 = ANY (v.attnos))`

func readUniqueColumns(ctx context.Context, tx pgx.Tx, ts *tableSet) error {
	oids := make([]uint32, 0, len(ts.logical))
	for oid := range ts.logical {
		oids = append(oids, oid)
	}
	rows, err := tx.Query(ctx, uniqueColumnsQuery, oids)
	if err != nil {
		return fmt.Errorf("read unique columns: %w", err)
	}
	var (
		rel  uint32
		name string
	)
	if _, err := pgx.ForEachRow(rows, []any{&rel, &name}, func() error {
		t := ts.logical[rel]
		if t == nil {
			return fmt.Errorf("unique index of unknown table %d", rel)
		}
		if c := t.Column(name); c != nil {
			c.Unique = true
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read unique columns: %w", err)
	}
	return nil
}

// keysQuery lists the primary key and the unique keys of the given tables:
// valid, non-partial unique indexes on plain columns (every unique or
// primary key constraint has one). Only key columns count, not INCLUDE ones.
const keysQuery = `
SELECT i.indrelid, i.indisprimary,
       ARRAY(
         SELECT a.attname
         FROM pg_catalog.unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         ORDER BY k.ord
       )::text[]
FROM pg_catalog.pg_index i
WHERE i.indrelid = ANY ($1::oid[])
  AND i.indisunique
  AND i.indisvalid
  AND i.indpred IS NULL
  AND i.indexprs IS NULL
  AND 0 < ALL (i.indkey)`

func readKeys(ctx context.Context, tx pgx.Tx, ts *tableSet) error {
	rows, err := tx.Query(ctx, keysQuery, ts.oids())
	if err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	var (
		rel     uint32
		primary bool
		cols    []string
	)
	if _, err := pgx.ForEachRow(rows, []any{&rel, &primary, &cols}, func() error {
		t := ts.byOID[rel]
		if t == nil {
			return fmt.Errorf("key of unknown table %d", rel)
		}
		if primary {
			t.PrimaryKey = slices.Clone(cols)
		} else {
			t.UniqueKeys = append(t.UniqueKeys, slices.Clone(cols))
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	// Unique keys: PK excluded, duplicates dropped, sorted by column names.
	for _, t := range ts.list {
		t.UniqueKeys = slices.DeleteFunc(t.UniqueKeys, func(k []string) bool { return slices.Equal(k, t.PrimaryKey) })
		slices.SortFunc(t.UniqueKeys, slices.Compare)
		t.UniqueKeys = slices.CompactFunc(t.UniqueKeys, slices.Equal)
		if len(t.UniqueKeys) == 0 {
			t.UniqueKeys = nil
		}
	}
	return nil
}

// foreignKeysQuery lists the top-level foreign keys. PostgreSQL clones a
// foreign key declared on a partitioned table onto each partition, and one
// that references a partitioned table once per referenced partition; the
// clones have conparentid set and are left out. Column names are read from
// the constrained relations themselves, since attnums of a partition may
// differ from its root's while names do not.
const foreignKeysQuery = `
SELECT c.conname, c.conrelid, c.confrelid,
       ARRAY(
         SELECT a.attname
         FROM pg_catalog.unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         ORDER BY k.ord
       )::text[],
       ARRAY(
         SELECT a.attname
         FROM pg_catalog.unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
         ORDER BY k.ord
       )::text[],
       c.confmatchtype::text, c.confdeltype::text, c.confupdtype::text,
       c.condeferrable, c.condeferred, NOT c.convalidated,
       NOT EXISTS (
         SELECT 1 FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) AND a.attnotnull
       )
FROM pg_catalog.pg_constraint c
WHERE c.contype = 'f'
  AND c.conparentid = 0`

func readForeignKeys(ctx context.Context, tx pgx.Tx, ts *tableSet) ([]*ForeignKey, error) {
	rows, err := tx.Query(ctx, foreignKeysQuery)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	var (
		fks                       []*ForeignKey
		fk                        ForeignKey
		child, parent             uint32
		match, onDelete, onUpdate string
	)
	if _, err := pgx.ForEachRow(rows, []any{
		&fk.Name, &child, &parent, &fk.ChildColumns, &fk.ParentColumns,
		&match, &onDelete, &onUpdate, &fk.Deferrable, &fk.Deferred, &fk.NotValid, &fk.Nullable,
	}, func() error {
		// A foreign key declared on a single partition (not cloned from its
		// parent, so conparentid = 0) constrains rows of the logical table,
		// so its child is the partition's root; likewise a foreign key that
		// references one partition has that partition's root as parent.
		ct, pt := ts.logical[child], ts.logical[parent]
		if ct == nil || pt == nil {
			return nil // a table that is not listed, e.g. an extension's
		}
		f := fk
		f.Child, f.Parent = ct.Name, pt.Name
		f.ChildColumns, f.ParentColumns = slices.Clone(fk.ChildColumns), slices.Clone(fk.ParentColumns)
		if len(f.ChildColumns) != len(f.ParentColumns) || len(f.ChildColumns) == 0 {
			return fmt.Errorf("foreign key %s on %s: cannot resolve its columns", f.Name, f.Child.Display())
		}
		f.Match = MatchSimple
		if match == "f" {
			f.Match = MatchFull // "p" (MATCH PARTIAL) is not implemented by PostgreSQL
		}
		var aerr error
		if f.OnDelete, aerr = fkAction(onDelete); aerr != nil {
			return fmt.Errorf("foreign key %s on %s: %w", f.Name, f.Child.Display(), aerr)
		}
		if f.OnUpdate, aerr = fkAction(onUpdate); aerr != nil {
			return fmt.Errorf("foreign key %s on %s: %w", f.Name, f.Child.Display(), aerr)
		}
		fks = append(fks, &f)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	slices.SortFunc(fks, func(a, b *ForeignKey) int {
		return cmp.Or(
			compareNames(a.Child, b.Child),
			strings.Compare(a.Name, b.Name),
			compareNames(a.Parent, b.Parent),
			slices.Compare(a.ChildColumns, b.ChildColumns),
		)
	})
	return dedupe(fks), nil
}

// dedupe keeps one of several foreign keys that join the same columns of
// the same logical tables with the same match type: the copies a schema
// declares on each partition instead of on the partitioned table (Pagila's
// payment_p2022_* tables) mean one relationship, and following it once is
// enough. The first by name is kept.
func dedupe(fks []*ForeignKey) []*ForeignKey {
	type edge struct {
		child, parent Name
		cols, refs    string
		match         FKMatch
	}
	seen := map[edge]bool{}
	out := fks[:0]
	for _, f := range fks {
		e := edge{f.Child, f.Parent, strings.Join(f.ChildColumns, "\x00"), strings.Join(f.ParentColumns, "\x00"), f.Match}
		if seen[e] {
			continue
		}
		seen[e] = true
		out = append(out, f)
	}
	return out
}

func fkAction(code string) (string, error) {
	switch code {
	case "a":
		return "no action", nil
	case "r":
		return "restrict", nil
	case "c":
		return "cascade", nil
	case "n":
		return "set null", nil
	case "d":
		return "set default", nil
	}
	return "", fmt.Errorf("unknown referential action %q", code)
}

// sequencesQuery lists the sequences outside the system schemas and the
// column that owns each: deptype 'a' for OWNED BY (serial), 'i' for an
// identity column.
const sequencesQuery = `
SELECT c.relnamespace, n.nspname, c.relname,
       EXISTS (
         SELECT 1 FROM pg_catalog.pg_depend d
         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.objid = c.oid
           AND d.deptype = 'e'
       ) AS extension_member,
       o.refobjid, o.nspname, o.relname, o.attname::text, COALESCE(o.deptype = 'i', false)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT d.refobjid, tn.nspname, t.relname, a.attname, d.deptype
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
    AND d.objid = c.oid
    AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
    AND d.refobjsubid > 0
    AND d.deptype IN ('a', 'i')
  ORDER BY d.deptype DESC, d.refobjid, d.refobjsubid
  LIMIT 1
) o ON true
WHERE c.relkind = 'S'
  AND n.nspname NOT LIKE 'pg\_%'
  AND n.nspname <> 'information_schema'`

func readSequences(ctx context.Context, tx pgx.Tx, schemas map[uint32]string, ts *tableSet) ([]*Sequence, error) {
	rows, err := tx.Query(ctx, sequencesQuery)
	if err != nil {
		return nil, fmt.Errorf("read sequences: %w", err)
	}
	var (
		seqs      []*Sequence
		namespace uint32
		name      Name
		extension bool
		owner     *uint32
		ownerName struct{ schema, name *string }
		column    *string
		identity  bool
	)
	if _, err := pgx.ForEachRow(rows, []any{
		&namespace, &name.Schema, &name.Name, &extension, &owner, &ownerName.schema, &ownerName.name, &column, &identity,
	}, func() error {
		if _, ok := schemas[namespace]; !ok || extension {
			return nil
		}
		s := &Sequence{Name: name, Identity: identity}
		if owner != nil && column != nil && ownerName.schema != nil && ownerName.name != nil {
			n := Name{Schema: *ownerName.schema, Name: *ownerName.name}
			// A sequence owned by a partition's column is reported as owned
			// by the partitioned table: partitions share their root's
			// columns. An owner that is not listed (a foreign table, say)
			// keeps its own name.
			if t := ts.logical[*owner]; t != nil {
				n = t.Name
			}
			s.OwnedBy, s.Column = &n, *column
		}
		seqs = append(seqs, s)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read sequences: %w", err)
	}
	slices.SortFunc(seqs, func(a, b *Sequence) int { return compareNames(a.Name, b.Name) })
	return seqs, nil
}

func (ts *tableSet) oids() []uint32 {
	oids := make([]uint32, 0, len(ts.list))
	for _, t := range ts.list {
		oids = append(oids, t.OID)
	}
	return oids
}

func compareNames(a, b Name) int {
	return cmp.Or(strings.Compare(a.Schema, b.Schema), strings.Compare(a.Name, b.Name))
}
