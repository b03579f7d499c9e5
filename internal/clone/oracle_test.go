package clone_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// The oracle and the checks in this file share no code with pgtwin: they
// read the config with a YAML decoder of their own, the source's tables,
// keys and foreign keys with SQL of their own from pg_catalog, and select
// roots from the documented definition of each selector (docs/config.md).
// A bug in pgtwin's catalog reader, config checks or root queries cannot
// be repeated here by construction.

// oconfig is the part of a config (docs/config.md) that decides the rows.
type oconfig struct {
	Schemas struct {
		Include []string `yaml:"include"`
		Exclude []string `yaml:"exclude"`
	} `yaml:"schemas"`
	Roots []struct {
		Table   string   `yaml:"table"`
		Where   string   `yaml:"where"`
		OrderBy string   `yaml:"order_by"`
		Limit   *int64   `yaml:"limit"`
		Percent *float64 `yaml:"percent"`
		All     bool     `yaml:"all"`
	} `yaml:"roots"`
	Tables []struct {
		Table string `yaml:"table"`
		Copy  string `yaml:"copy"`
	} `yaml:"tables"`
	ForeignKeys []struct {
		Table          string   `yaml:"table"`
		Columns        []string `yaml:"columns"`
		Name           string   `yaml:"name"`
		References     string   `yaml:"references"`
		FollowChildren *bool    `yaml:"follow_children"`
		ChildrenWhere  string   `yaml:"children_where"`
		Cut            bool     `yaml:"cut"`
	} `yaml:"foreign_keys"`
	Masking struct {
		Columns []struct {
			Table  string `yaml:"table"`
			Column string `yaml:"column"`
			Mask   string `yaml:"mask"`
		} `yaml:"columns"`
	} `yaml:"masking"`
	VirtualForeignKeys []struct {
		Table             string   `yaml:"table"`
		Columns           []string `yaml:"columns"`
		References        string   `yaml:"references"`
		ReferencedColumns []string `yaml:"referenced_columns"`
	} `yaml:"virtual_foreign_keys"`
}

func parseOConfig(t *testing.T, text string) *oconfig {
	t.Helper()
	var c oconfig
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("oracle: config: %v", err)
	}
	return &c
}

// otable is a table as the oracle sees it: a table or partitioned table
// (partitions are rows of their root), not a partition itself.
type otable struct {
	oid          uint32
	schema, name string
	key          string // schema.table as format('%I.%I') writes it
	partitioned  bool
	columns      []string
	primaryKey   []string
}

// sql is the table's name for SQL; from reads its own rows (a partitioned
// table's rows are its partitions'; an inheritance parent's are not its
// children's).
func (tb *otable) sql() string { return pgx.Identifier{tb.schema, tb.name}.Sanitize() }
func (tb *otable) from() string {
	if tb.partitioned {
		return tb.sql()
	}
	return "ONLY " + tb.sql()
}

// identity is the SQL text of a row's identity: ROW(primary key)::text, or
// ROW(every column)::text without a primary key.
func (tb *otable) identity() string {
	cols := tb.primaryKey
	if len(cols) == 0 {
		cols = tb.columns
	}
	return "ROW(" + quoteAll(cols) + ")::text"
}

// ofk is a foreign key, declared or virtual, between two otables.
type ofk struct {
	name                string // "" for a virtual key
	child, parent       *otable
	childCols, parCols  []string
	down, cut           bool
	childrenWhere       string
	virtual             bool
	childKey, parentKey string
}

// ocatalog is the part of a source's catalog the oracle needs, read with
// its own SQL.
type ocatalog struct {
	schemas []string // included, sorted
	tables  []*otable
	byOID   map[uint32]*otable
	fks     []*ofk
}

// querier is a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readOCatalog reads the included schemas' tables, columns, primary keys
// and foreign keys of the database q is connected to.
func readOCatalog(t *testing.T, q querier, cfg *oconfig) *ocatalog {
	t.Helper()
	ctx := context.Background()
	c := &ocatalog{byOID: map[uint32]*otable{}}
	var include, exclude []string
	for _, s := range cfg.Schemas.Include {
		include = append(include, parseIdent(t, q, s)[0])
	}
	for _, s := range cfg.Schemas.Exclude {
		exclude = append(exclude, parseIdent(t, q, s)[0])
	}
	all := pgtest.Strings(t, q, `
SELECT n.nspname FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname NOT IN ('information_schema', 'pgtwin')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY 1`)
	for _, s := range all {
		if (len(include) == 0 || slices.Contains(include, s)) && !slices.Contains(exclude, s) {
			c.schemas = append(c.schemas, s)
		}
	}

	rows, err := q.Query(ctx, `
SELECT c.oid, n.nspname, c.relname, pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind = 'p',
  ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
  ARRAY(SELECT a.attname::text FROM pg_catalog.pg_constraint k
        CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(num, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.num
        WHERE k.conrelid = c.oid AND k.contype = 'p' ORDER BY u.ord)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY ($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 4`, c.schemas)
	if err != nil {
		t.Fatal(err)
	}
	c.tables, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*otable, error) {
		tb := &otable{}
		return tb, r.Scan(&tb.oid, &tb.schema, &tb.name, &tb.key, &tb.partitioned, &tb.columns, &tb.primaryKey)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range c.tables {
		c.byOID[tb.oid] = tb
	}

	// Every foreign key, on a table or a partition, pointing at a table or
	// a partition: a partition's rows are its root's. The copies
	// PostgreSQL makes on partitions mean the same rows, and following the
	// same key twice selects nothing new.
	rows, err = q.Query(ctx, `
SELECT k.conname::text,
  coalesce(pg_catalog.pg_partition_root(k.conrelid), k.conrelid)::oid,
  coalesce(pg_catalog.pg_partition_root(k.confrelid), k.confrelid)::oid,
  ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(num, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.ord),
  ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(num, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.ord)
FROM pg_catalog.pg_constraint k WHERE k.contype = 'f'`)
	if err != nil {
		t.Fatal(err)
	}
	var (
		name                  string
		childOID, parentOID   uint32
		childCols, parentCols []string
	)
	if _, err := pgx.ForEachRow(rows, []any{&name, &childOID, &parentOID, &childCols, &parentCols}, func() error {
		child, parent := c.byOID[childOID], c.byOID[parentOID]
		if child != nil && parent != nil {
			c.fks = append(c.fks, &ofk{name: name, child: child, parent: parent,
				childCols: slices.Clone(childCols), parCols: slices.Clone(parentCols), down: true})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, v := range cfg.VirtualForeignKeys {
		fk := &ofk{child: c.table(t, q, v.Table), parent: c.table(t, q, v.References), childCols: v.Columns,
			parCols: v.ReferencedColumns, down: true, virtual: true}
		if len(fk.parCols) == 0 {
			fk.parCols = fk.parent.primaryKey
		}
		c.fks = append(c.fks, fk)
	}
	for _, r := range cfg.ForeignKeys {
		child := c.table(t, q, r.Table)
		var parent *otable
		if r.References != "" {
			parent = c.table(t, q, r.References)
		}
		n := 0
		for _, fk := range c.fks {
			if fk.child != child || parent != nil && fk.parent != parent ||
				r.Name != "" && fk.name != r.Name || len(r.Columns) > 0 && !slices.Equal(fk.childCols, r.Columns) {
				continue
			}
			n++
			if r.FollowChildren != nil {
				fk.down = *r.FollowChildren
			}
			fk.childrenWhere, fk.cut = r.ChildrenWhere, r.Cut
		}
		if n == 0 {
			t.Fatalf("oracle: foreign_keys rule on %s %v%s matches no foreign key", r.Table, r.Columns, r.Name)
		}
	}
	return c
}

// parseIdent splits a possibly qualified SQL name the way the server does.
func parseIdent(t *testing.T, q querier, name string) []string {
	t.Helper()
	var parts []string
	if err := q.QueryRow(context.Background(), "SELECT pg_catalog.parse_ident($1)", name).Scan(&parts); err != nil {
		t.Fatalf("oracle: name %q: %v", name, err)
	}
	return parts
}

// table resolves a table name of the config: schema.table, or a bare name
// that exactly one included schema has (docs/config.md, "Table names").
func (c *ocatalog) table(t *testing.T, q querier, name string) *otable {
	t.Helper()
	parts := parseIdent(t, q, name)
	var found []*otable
	for _, tb := range c.tables {
		if len(parts) == 2 && tb.schema == parts[0] && tb.name == parts[1] || len(parts) == 1 && tb.name == parts[0] {
			found = append(found, tb)
		}
	}
	if len(found) != 1 {
		t.Fatalf("oracle: table %q names %d tables", name, len(found))
	}
	return found[0]
}

func quoteAll(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// fragment embeds a user's SQL fragment as its own parenthesised lines, so
// that a fragment ending in a -- comment ends there.
func fragment(sql string) string { return "(\n" + sql + "\n)" }

// oracle computes the rows a twin of database src must hold, as each row's
// identity by table. A percent root below 100 has no definition beyond
// "a repeatable sample", so the oracle cannot choose its rows: use
// oracleWith and pin them.
func oracle(t *testing.T, src, yaml string) map[string][]string {
	t.Helper()
	return oracleWith(t, src, yaml, nil)
}

// oracleWith is oracle with the root rows of percent roots given: pinned
// maps a table (schema.table) to the identities of its sampled rows,
// with times in UTC.
//
// It works set-based inside a transaction on the source that it rolls
// back: it adds two marks to every included table (selected; reached down
// from a root), marks the roots, then applies the rules with UPDATE …
// WHERE EXISTS until nothing changes, and reads the marked identities.
func oracleWith(t *testing.T, src, yaml string, pinned map[string][]string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	cfg := parseOConfig(t, yaml)
	conn := pgtest.Connect(t, src)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	cat := readOCatalog(t, tx, cfg)
	exec := func(sql string, args ...any) int64 {
		t.Helper()
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			t.Fatalf("oracle: %v\n%s", err, sql)
		}
		return tag.RowsAffected()
	}
	exec("SET LOCAL session_replication_role = replica")
	for _, tb := range cat.tables {
		exec("ALTER TABLE " + tb.sql() + " ADD COLUMN IF NOT EXISTS _o_sel bool NOT NULL DEFAULT false, ADD COLUMN IF NOT EXISTS _o_down bool NOT NULL DEFAULT false")
	}

	schemaOnly := map[*otable]bool{}
	for _, r := range cfg.Tables {
		tb := cat.table(t, tx, r.Table)
		switch r.Copy {
		case "all":
			exec("UPDATE " + tb.from() + " SET _o_sel = true")
		case "schema":
			schemaOnly[tb] = true
		default:
			t.Fatalf("oracle: tables[].copy %q", r.Copy)
		}
	}

	// Roots, by docs/config.md: where selects the rows that match; limit
	// keeps the first rows by order_by (default: the primary key) of
	// those; percent samples them; all takes every row.
	for _, r := range cfg.Roots {
		tb := cat.table(t, tx, r.Table)
		where := "true"
		if r.Where != "" {
			where = fragment(r.Where)
		}
		mark := func(cond string, args ...any) {
			exec("UPDATE "+tb.from()+" SET _o_sel = true, _o_down = true WHERE "+cond, args...)
		}
		switch {
		case r.All:
			mark("true")
		case r.Limit != nil:
			order := r.OrderBy
			if order == "" {
				if len(tb.primaryKey) == 0 {
					t.Fatalf("oracle: %s: a limit without order_by needs a primary key", tb.key)
				}
				order = quoteAll(tb.primaryKey)
			}
			mark(fmt.Sprintf("(tableoid, ctid) IN (SELECT tableoid, ctid FROM %s WHERE %s ORDER BY %s\nLIMIT %d)",
				tb.from(), where, order, *r.Limit))
		case r.Percent != nil && *r.Percent == 100:
			mark(where)
		case r.Percent != nil:
			ids, ok := pinned[tb.key]
			if !ok {
				t.Fatalf("oracle: %s: a percent root below 100 needs its sampled rows pinned", tb.key)
			}
			// Pinned identities are written in UTC.
			exec("SET LOCAL TimeZone = 'UTC'")
			mark(where+" AND "+tb.identity()+" = ANY ($1::text[])", ids)
			exec("SET LOCAL TimeZone TO DEFAULT")
		default:
			mark(where)
		}
	}

	// Up, always (but not along a cut key, nor into a table copied as
	// schema only); down from rows reached down, along keys that follow
	// children, to the children that match children_where.
	for {
		changed := int64(0)
		for _, fk := range cat.fks {
			var match []string
			for i := range fk.childCols {
				match = append(match, "p."+pgx.Identifier{fk.parCols[i]}.Sanitize()+" = c."+pgx.Identifier{fk.childCols[i]}.Sanitize())
			}
			on := strings.Join(match, " AND ")
			if fk.down && !schemaOnly[fk.child] {
				where := "true"
				if fk.childrenWhere != "" {
					where = fragment(fk.childrenWhere)
				}
				changed += exec(fmt.Sprintf("UPDATE %s AS c SET _o_sel = true, _o_down = true WHERE NOT c._o_down AND %s AND EXISTS (SELECT 1 FROM %s AS p WHERE p._o_down AND %s)",
					fk.child.from(), where, fk.parent.from(), on))
			}
			if !fk.cut && !schemaOnly[fk.parent] {
				changed += exec(fmt.Sprintf("UPDATE %s AS p SET _o_sel = true WHERE NOT p._o_sel AND EXISTS (SELECT 1 FROM %s AS c WHERE c._o_sel AND %s)",
					fk.parent.from(), fk.child.from(), on))
			}
		}
		if changed == 0 {
			break
		}
	}
	out := map[string][]string{}
	for _, tb := range cat.tables {
		out[tb.key] = append([]string{}, pgtest.Strings(t, tx, fmt.Sprintf("SELECT %s FROM %s WHERE _o_sel ORDER BY 1", tb.identity(), tb.from()))...)
	}
	return out
}

// runInfo is what the test saw of a run into a target database.
type runInfo struct {
	srcDB    string
	from, to time.Time
}

// runs holds, by target database, the last run made by runClone.
var runs sync.Map

// hashes maps each config hash seen in a marker to its config's text.
var (
	hashesMu sync.Mutex
	hashes   = map[string]string{}
)

// verifyTwin checks what every twin guarantees: the same definitions
// (constraints, indexes, triggers, policies, sequence options); every row
// equal to its source row (cut keys and masked columns aside); sequences
// ahead of their
// columns; the marker saying what the twin is.
func verifyTwin(t *testing.T, src, tgt, yaml string) {
	t.Helper()
	ctx := context.Background()
	cfg := parseOConfig(t, yaml)
	cat := readOCatalog(t, pgtest.Connect(t, src), cfg)
	pgtest.SameDefinitions(t, pgtest.DSN(src), pgtest.DSN(tgt), cat.schemas)

	// Columns compared as NULL: cut keys (NULL in the twin when the parent
	// is not there) and masked columns (masking has tests of its own).
	cut := map[*otable]map[string]bool{}
	blank := func(tb *otable, col string) {
		if cut[tb] == nil {
			cut[tb] = map[string]bool{}
		}
		cut[tb][col] = true
	}
	for _, fk := range cat.fks {
		if fk.cut {
			for _, c := range fk.childCols {
				blank(fk.child, c)
			}
		}
	}
	for _, m := range cfg.Masking.Columns {
		if m.Mask != "keep" {
			blank(cat.table(t, pgtest.Connect(t, src), m.Table), m.Column)
		}
	}
	for _, tb := range cat.tables {
		var cols []string
		for _, c := range tb.columns {
			if cut[tb][c] {
				cols = append(cols, "NULL")
			} else {
				cols = append(cols, pgx.Identifier{c}.Sanitize())
			}
		}
		q := fmt.Sprintf("SELECT ROW(%s)::text FROM %s", strings.Join(cols, ", "), tb.from())
		have := map[string]int{}
		for _, r := range column(t, src, q) {
			have[r]++
		}
		for _, r := range column(t, tgt, q) {
			if have[r] == 0 {
				t.Errorf("%s: twin row %s is not a source row", tb.key, r)
			}
			have[r]--
		}
	}

	// Sequences owned by a column (serial, identity) are past its values.
	tconn := pgtest.Connect(t, tgt)
	rows, err := tconn.Query(ctx, `
SELECT pg_catalog.format('%I.%I', sn.nspname, s.relname), pg_catalog.format('%I.%I', tn.nspname, tc.relname), a.attname::text
FROM pg_catalog.pg_class s JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.oid
  AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = tc.oid AND a.attnum = d.refobjsubid
WHERE s.relkind = 'S' AND sn.nspname = ANY ($1::text[])`, cat.schemas)
	if err != nil {
		t.Fatal(err)
	}
	type owned struct{ Seq, Table, Col string }
	seqs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[owned])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seqs {
		var ok bool
		q := fmt.Sprintf("SELECT coalesce((SELECT max(%s) FROM %s), 0) <= (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s)",
			pgx.Identifier{s.Col}.Sanitize(), s.Table, s.Seq)
		if err := tconn.QueryRow(ctx, q).Scan(&ok); err != nil {
			t.Fatalf("sequence %s: %v", s.Seq, err)
		}
		if !ok {
			t.Errorf("sequence %s is behind the data in %s.%s", s.Seq, s.Table, s.Col)
		}
	}

	want := pgtest.Marker{SourceDB: src, Version: "test", Schemas: cat.schemas}
	if v, ok := runs.Load(tgt); ok {
		r := v.(runInfo)
		want.SourceDB, want.SnapshotFrom, want.SnapshotTo = r.srcDB, r.from, r.to
	}
	hash := pgtest.CheckMarker(t, pgtest.DSN(tgt), want)
	hashesMu.Lock()
	defer hashesMu.Unlock()
	if other, ok := hashes[hash]; ok && other != yaml && !parseOConfigEqual(other, yaml) {
		t.Errorf("marker: two different configs have one hash %s:\n%s\n---\n%s", hash, other, yaml)
	}
	hashes[hash] = yaml
}

// parseOConfigEqual says whether two config texts mean the same (as far
// as the oracle reads them): the same hash is then fine.
func parseOConfigEqual(a, b string) bool {
	var x, y any
	if yaml.Unmarshal([]byte(a), &x) != nil || yaml.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return cmp.Equal(x, y)
}

// column runs a one-column query and returns its values.
func column(t *testing.T, db, sql string, args ...any) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	// One connection a query, closed at once: parallel tests run many.
	defer conn.Close(ctx)
	return pgtest.Strings(t, conn, sql, args...)
}
