// Package load is the target side of a twin: one connection, one
// transaction. It replaces the included schemas, runs pg_dump's pre-data
// DDL, takes the rows in with COPY, cuts keys, runs the post-data DDL (so
// every index and constraint is built and validated after the data), sets
// sequences, refreshes materialized views and records the marker. Nothing
// is visible to anyone until Commit; any error before it leaves the target
// as it was.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// Loader holds the target transaction.
type Loader struct {
	conn   *pgx.Conn
	tx     pgx.Tx
	freeze map[catalog.Name]bool
}

// Begin opens the load transaction on conn. It keeps the server's
// maintenance_work_mem and max_parallel_maintenance_workers: raising the
// first to 256 MB made the index builds of a 10M-row twin 10% slower on
// two cores (a sort's runs that fit the CPU caches beat one big sort), and
// the foreign-key checks that used its memory for hashing now mostly
// merge indexes (see IndexedForeignKeysSQL). A user who wants other
// values sets them for pgtwin's role or in the target URL's options.
func Begin(ctx context.Context, conn *pgx.Conn) (*Loader, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite})
	if err != nil {
		return nil, fmt.Errorf("begin the target transaction: %w", err)
	}
	return &Loader{conn: conn, tx: tx}, nil
}

// ReplaceSchemasSQL drops the named schemas (with everything in them) and
// runs create, the SQL that creates those pg_dump's pre-data will not.
func ReplaceSchemasSQL(schemas []string, create string) string {
	var b strings.Builder
	for _, s := range schemas {
		fmt.Fprintf(&b, "DROP SCHEMA IF EXISTS %s CASCADE;\n", pgx.Identifier{s}.Sanitize())
	}
	b.WriteString(create)
	return b.String()
}

// ReplaceSchemas runs ReplaceSchemasSQL.
func (l *Loader) ReplaceSchemas(ctx context.Context, schemas []string, create string) error {
	if err := l.Exec(ctx, ReplaceSchemasSQL(schemas, create)); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.InsufficientPrivilege {
			return fmt.Errorf("replace schemas: %w: the target role must own the target database (and the schemas pgtwin replaces) or be able to create schemas there", err)
		}
		return fmt.Errorf("replace schemas: %w", err)
	}
	return nil
}

// Exec runs a script of SQL statements (simple protocol) in the transaction.
func (l *Loader) Exec(ctx context.Context, sql string) error {
	return l.conn.PgConn().Exec(ctx, sql).Close()
}

// Freeze makes Copy load these tables WITH (FREEZE): they were created in
// this transaction, so their rows can be written frozen and all-visible,
// which spares the index builds, ANALYZE and the first VACUUM from setting
// hint bits on every page. Partitioned tables cannot take FREEZE.
func (l *Loader) Freeze(tables []catalog.Name) {
	l.freeze = map[catalog.Name]bool{}
	for _, t := range tables {
		l.freeze[t] = true
	}
}

// Copy loads COPY text rows from r into table; it is a subset.Sink.
func (l *Loader) Copy(ctx context.Context, table catalog.Name, columns []string, r io.Reader) error {
	return l.copy(ctx, table, columns, r, false)
}

// CopyBinary loads a binary COPY stream from r into table; it is a
// subset.Sink for whole tables passed through untouched.
func (l *Loader) CopyBinary(ctx context.Context, table catalog.Name, columns []string, r io.Reader) error {
	return l.copy(ctx, table, columns, r, true)
}

func (l *Loader) copy(ctx context.Context, table catalog.Name, columns []string, r io.Reader, binary bool) error {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN", table.String(), strings.Join(cols, ", "))
	var with []string
	if binary {
		with = append(with, "FORMAT binary")
	}
	if l.freeze[table] {
		with = append(with, "FREEZE")
	}
	if len(with) > 0 {
		sql += " WITH (" + strings.Join(with, ", ") + ")"
	}
	if _, err := l.conn.PgConn().CopyFrom(ctx, r, sql); err != nil {
		return fmt.Errorf("copy into %s: %w", table.Display(), err)
	}
	return nil
}

// IndexedForeignKeysSQL runs pg_dump's script of foreign keys whose child
// columns lead an index (schema.DDL.IndexedForeignKeys) with hash joins
// off. Adding a key runs one query that looks for child rows without a
// parent; with neither table analyzed yet, the planner picks a hash join,
// which on big tables takes two to four times as long as merging the two
// indexes, read in key order (index-only: rows copied WITH (FREEZE) are
// all-visible). The unique index of the parent always exists; the child's
// is why only these keys run so. The setting is the session's default again
// afterwards.
func IndexedForeignKeysSQL(script string) string {
	return "SET enable_hashjoin = off;\n" + script + "RESET enable_hashjoin;\n"
}

// CutKeySQL sets the key fk to NULL in the child rows whose parent row is
// not in the twin. It runs before the constraints exist, so no trigger
// fires.
func CutKeySQL(fk *catalog.ForeignKey) string {
	var set, notNull, match []string
	for i, c := range fk.ChildColumns {
		cc := "c." + pgx.Identifier{c}.Sanitize()
		set = append(set, pgx.Identifier{c}.Sanitize()+" = NULL")
		notNull = append(notNull, cc+" IS NOT NULL")
		match = append(match, "p."+pgx.Identifier{fk.ParentColumns[i]}.Sanitize()+" = "+cc)
	}
	return fmt.Sprintf("UPDATE %s AS c SET %s WHERE %s AND NOT EXISTS (SELECT 1 FROM %s AS p WHERE %s)",
		fk.Child.String(), strings.Join(set, ", "), strings.Join(notNull, " AND "), fk.Parent.String(), strings.Join(match, " AND "))
}

// CutKey runs CutKeySQL and returns how many rows it changed.
func (l *Loader) CutKey(ctx context.Context, fk *catalog.ForeignKey) (int64, error) {
	n, err := l.ExecCount(ctx, CutKeySQL(fk))
	if err != nil {
		return 0, fmt.Errorf("cut %s: %w", fk.String(), err)
	}
	return n, nil
}

// ExecCount runs one statement and returns the rows it affected.
func (l *Loader) ExecCount(ctx context.Context, sql string) (int64, error) {
	tag, err := l.tx.Exec(ctx, sql)
	return tag.RowsAffected(), err
}

// SequenceValue is a sequence's state on the source.
type SequenceValue struct {
	Name     catalog.Name
	Value    int64
	IsCalled bool
}

// SequencesSQL sets each sequence to the source's value.
func SequencesSQL(seqs []SequenceValue) string {
	var b strings.Builder
	for _, s := range seqs {
		fmt.Fprintf(&b, "SELECT pg_catalog.setval(%s::regclass, %d, %t);\n", catalog.QuoteLiteral(s.Name.String()), s.Value, s.IsCalled)
	}
	return b.String()
}

// SetSequences runs SequencesSQL.
func (l *Loader) SetSequences(ctx context.Context, seqs []SequenceValue) error {
	if err := l.Exec(ctx, SequencesSQL(seqs)); err != nil {
		return fmt.Errorf("set sequences: %w", err)
	}
	return nil
}

// matviewsQuery lists the materialized views of the given schemas, in
// dependency-safe order (views over views come later: by OID is creation
// order, which pg_dump's order respects).
const matviewsQuery = `
SELECT n.nspname, c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'm' AND n.nspname = ANY($1)
ORDER BY c.oid`

// Querier runs a query: a pgx.Tx or a *pgx.Conn.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// RefreshMatviewsSQL fills the materialized views of schemas, which
// pg_dump creates empty, from the twin's rows. q is the target or the
// source (the same views: the twin's schema is the source's).
func RefreshMatviewsSQL(ctx context.Context, q Querier, schemas []string) (string, error) {
	rows, err := q.Query(ctx, matviewsQuery, schemas)
	if err != nil {
		return "", fmt.Errorf("list materialized views: %w", err)
	}
	names, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Name, error) {
		var n catalog.Name
		return n, r.Scan(&n.Schema, &n.Name)
	})
	if err != nil {
		return "", fmt.Errorf("list materialized views: %w", err)
	}
	var b strings.Builder
	for _, n := range names {
		b.WriteString("REFRESH MATERIALIZED VIEW " + n.String() + ";\n")
	}
	return b.String(), nil
}

// RefreshMatviews runs RefreshMatviewsSQL on the target.
func (l *Loader) RefreshMatviews(ctx context.Context, schemas []string) error {
	sql, err := RefreshMatviewsSQL(ctx, l.tx, schemas)
	if err != nil {
		return err
	}
	if err := l.Exec(ctx, sql); err != nil {
		return fmt.Errorf("refresh materialized views: %w", err)
	}
	return nil
}

// Commit makes the twin visible.
func (l *Loader) Commit(ctx context.Context) error {
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit the twin: %w", err)
	}
	return nil
}

// Rollback abandons the load; the target is as it was. It is safe to call
// after Commit.
func (l *Loader) Rollback(ctx context.Context) {
	if err := l.tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		// The connection is gone or broken; the server rolls back on its own.
		l.conn.PgConn().Close(ctx)
	}
}
