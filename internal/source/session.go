// Package source is pgtwin's side of the source database: one read-only,
// repeatable-read transaction (its snapshot exported for pg_dump and
// checked to be shareable through whatever pooler is in between), the
// catalog read in it, the config checked and the plan built against it,
// the rows read by COPY and the sequences' values. Nothing here writes.
package source

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/dbconn"
)

// Session is an open, read-only, repeatable-read transaction on the source
// database; every read of a run happens in it (or in its exported snapshot).
type Session struct {
	Endpoint dbconn.Endpoint
	// Server names the source without secrets (user@host:port/db).
	Server     string
	Conn       *pgx.Conn
	Tx         pgx.Tx
	Snapshot   string // exported snapshot id; "" unless asked for
	SnapshotAt time.Time
	Catalog    *catalog.Catalog
	// Warnings about the source session, such as a role that could write.
	Warnings []string
	// statementTimeout is the session's statement_timeout ("0": none).
	statementTimeout string
}

// sessionSettings are set in the snapshot's transaction, as pg_dump sets
// them for its own session:
//   - COPY text goes from this session straight into the target's, so
//     dates, intervals and floats are written in formats any session
//     reads back as the same value (a German or SQL DateStyle writes
//     01.03.2024, which an MDY session reads as January 3rd; a low
//     extra_float_digits rounds floats);
//   - row_security = off makes the server refuse a read that a row-level
//     security policy would filter, instead of returning fewer rows (see
//     RowSecurityError);
//   - idle_in_transaction_session_timeout = 0: the transaction idles while
//     pg_dump runs and while the target builds indexes, for as long as
//     those take; a shorter timeout would end the session (and the run).
const sessionSettings = `SET LOCAL datestyle = ISO; SET LOCAL intervalstyle = postgres; SET LOCAL extra_float_digits = 3;
SET LOCAL row_security = off; SET LOCAL idle_in_transaction_session_timeout = 0`

// TargetSettings are the formats the target's load transaction must read
// the source's COPY text in (see sessionSettings); run them in it.
const TargetSettings = `SET LOCAL datestyle = ISO; SET LOCAL intervalstyle = postgres; SET LOCAL extra_float_digits = 3`

// Open connects to the source, begins the read-only transaction, exports
// its snapshot when export is set, and reads the catalog.
func Open(ctx context.Context, ep dbconn.Endpoint, export bool) (*Session, error) {
	cfg, err := ep.Config()
	if err != nil {
		return nil, err
	}
	conn, err := ep.Connect(ctx)
	if err != nil {
		return nil, err
	}
	s := &Session{Endpoint: ep, Server: dbconn.Describe(&cfg.Config), Conn: conn}
	if err := s.begin(ctx, export); err != nil {
		s.Close(ctx)
		return nil, err
	}
	s.Catalog, err = catalog.ReadTx(ctx, s.Tx)
	if err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("read the source catalog: %w", err)
	}
	if err := s.checkRole(ctx); err != nil {
		s.Close(ctx)
		return nil, err
	}
	return s, nil
}

// begin starts the snapshot's transaction with its settings, reads the
// source's clock, and exports the snapshot when export is set.
func (s *Session) begin(ctx context.Context, export bool) error {
	// Should pgtwin die, the server ends a long query of its own within a
	// second instead of when the query ends (the target's session does
	// the same, see package clone).
	_, _ = s.Conn.Exec(ctx, "SET client_connection_check_interval = 1000")
	var err error
	s.Tx, err = s.Conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		if p := poolerError(s.Endpoint, err, false); p != nil {
			return p
		}
		return fmt.Errorf("begin a read-only transaction on the source: %w", err)
	}
	if _, err := s.Tx.Exec(ctx, sessionSettings); err != nil {
		return fmt.Errorf("set the source session's formats and row_security: %w", err)
	}
	if err := s.Tx.QueryRow(ctx, "SELECT now(), pg_catalog.current_setting('statement_timeout')").Scan(&s.SnapshotAt, &s.statementTimeout); err != nil {
		return fmt.Errorf("read the source's clock: %w", err)
	}
	if !export {
		return nil
	}
	if err := s.Tx.QueryRow(ctx, "SELECT pg_catalog.pg_export_snapshot()").Scan(&s.Snapshot); err != nil {
		return fmt.Errorf("export the source snapshot: %w", err)
	}
	return s.checkSnapshotShared(ctx)
}

// canWriteQuery tells whether the session's role is a superuser or may
// insert, update, delete or truncate any user table.
const canWriteQuery = `
SELECT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) OR EXISTS (
  SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
    AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))`

// checkRole warns when the source role could write.
func (s *Session) checkRole(ctx context.Context) error {
	var canWrite bool
	if err := s.Tx.QueryRow(ctx, canWriteQuery).Scan(&canWrite); err != nil {
		return fmt.Errorf("read the source role's privileges: %w", err)
	}
	if canWrite {
		s.Warnings = append(s.Warnings, "the source role could write (it is a superuser or may change a table); pgtwin only reads, so a role with SELECT alone is safer")
	}
	return nil
}

// Close ends the transaction and the connection.
func (s *Session) Close(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if s.Tx != nil {
		s.Tx.Rollback(ctx)
	}
	s.Conn.Close(ctx)
}
