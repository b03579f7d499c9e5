// Package clone runs a whole twin: the source snapshot, the plan, pg_dump's
// DDL, the subset's rows and the target's one transaction, with the guards
// that keep pgtwin from writing where it must not.
package clone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/pii"
	"github.com/pgtwin/pgtwin/internal/plan"
)

// Source is an open, read-only, repeatable-read transaction on the source
// database; every read of a run happens in it (or in its exported snapshot).
type Source struct {
	Endpoint   dbconn.Endpoint
	Conn       *pgx.Conn
	Tx         pgx.Tx
	Snapshot   string // exported snapshot id; "" unless asked for
	SnapshotAt time.Time
	Catalog    *catalog.Catalog
	// Warnings about the source session, such as a role that could write.
	Warnings []string
}

// OpenSource connects to the source, begins the read-only transaction,
// exports its snapshot when export is set, and reads the catalog.
func OpenSource(ctx context.Context, ep dbconn.Endpoint, export bool) (*Source, error) {
	conn, err := ep.Connect(ctx)
	if err != nil {
		return nil, err
	}
	s := &Source{Endpoint: ep, Conn: conn}
	// Should pgtwin die, the server ends a long query of its own within a
	// second instead of when the query ends (see the same in Run).
	_, _ = conn.Exec(ctx, "SET client_connection_check_interval = 1000")
	s.Tx, err = conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		s.Close(ctx)
		if p := poolerError(ep, err); p != nil {
			return nil, p
		}
		return nil, fmt.Errorf("begin a read-only transaction on the source: %w", err)
	}
	// The transaction idles while pg_dump runs and while the target builds
	// indexes, for as long as those take; a source whose
	// idle_in_transaction_session_timeout is shorter would end the session
	// (and the run). pg_dump lifts it for its own session the same way.
	if _, err := s.Tx.Exec(ctx, "SET idle_in_transaction_session_timeout = 0"); err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("lift idle_in_transaction_session_timeout on the source: %w", err)
	}
	if err := s.Tx.QueryRow(ctx, "SELECT now()").Scan(&s.SnapshotAt); err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("read the source's clock: %w", err)
	}
	if export {
		if err := s.Tx.QueryRow(ctx, "SELECT pg_catalog.pg_export_snapshot()").Scan(&s.Snapshot); err != nil {
			s.Close(ctx)
			return nil, fmt.Errorf("export the source snapshot: %w", err)
		}
		if err := s.checkSnapshotShared(ctx); err != nil {
			s.Close(ctx)
			return nil, err
		}
	}
	s.Catalog, err = catalog.ReadTx(ctx, s.Tx)
	if err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("read the source catalog: %w", err)
	}
	var canWrite bool
	if err := s.Tx.QueryRow(ctx, canWriteQuery).Scan(&canWrite); err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("read the source role's privileges: %w", err)
	}
	if canWrite {
		s.Warnings = append(s.Warnings, "the source role could write (it is a superuser or may change a table); pgtwin only reads, so a role with SELECT alone is safer")
	}
	return s, nil
}

// checkSnapshotShared imports the exported snapshot in a second source
// session, exactly as pg_dump --snapshot will (BEGIN ISOLATION LEVEL
// REPEATABLE READ; SET TRANSACTION SNAPSHOT). It fails when the two
// sessions do not reach the same server while the export is open: a pooler
// or load balancer that hands a new connection to another server (SQLSTATE
// 22023, invalid snapshot identifier), one that allows no transaction
// blocks (statement mode), or one with no server connection to spare.
func (s *Source) checkSnapshotShared(ctx context.Context) error {
	conn, err := s.Endpoint.Connect(ctx)
	if err != nil {
		if p := poolerError(s.Endpoint, err); p != nil {
			return p
		}
		return fmt.Errorf("open a second source session (for pg_dump's snapshot): %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// The simple protocol, as pg_dump uses: no prepared statements for a
	// pooler to lose.
	sql := "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT " + quoteLiteral(s.Snapshot) + "; ROLLBACK"
	if err := conn.PgConn().Exec(ctx, sql).Close(); err != nil {
		if ctx.Err() != nil {
			return err
		}
		if p := poolerError(s.Endpoint, err); p != nil {
			return p
		}
		return fmt.Errorf("import the source snapshot in a second session, as pg_dump will: %w", err)
	}
	return nil
}

// inSnapshot runs fn in a read-only transaction that sees the source
// snapshot. With an exported snapshot, that is a second, short session
// importing it, so that the locks fn takes end with it instead of staying
// with the run's own transaction until the data phase.
func (s *Source) inSnapshot(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.Snapshot == "" {
		return fn(s.Tx)
	}
	conn, err := s.Endpoint.Connect(ctx)
	if err != nil {
		return fmt.Errorf("open a second source session: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin a read-only transaction on the source: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(s.Snapshot)); err != nil {
		return fmt.Errorf("import the source snapshot: %w", err)
	}
	return fn(tx)
}

// poolerError explains err when it says that the source is reached through
// a pooler that cannot share a snapshot between sessions; nil otherwise.
func poolerError(ep dbconn.Endpoint, err error) error {
	var pgErr *pgconn.PgError
	detail := ""
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "22023" && strings.Contains(pgErr.Message, "snapshot"):
		detail = "a second session cannot import the snapshot of the first: " + pgErr.Message
	case strings.Contains(err.Error(), "pooling mode"), strings.Contains(err.Error(), "query_wait_timeout"),
		strings.Contains(err.Error(), "prepared statement"):
		detail = unwrapAll(err)
	default:
		return nil
	}
	cfg, _ := ep.Config()
	where := "the source"
	if cfg != nil {
		where = "the source " + dbconn.Describe(&cfg.Config)
	}
	return &Refused{Reason: fmt.Sprintf("the source connection goes through a transaction-mode pooler or a load balancer (%s from %s: %s): exported snapshots cannot be shared; use a direct (session) endpoint — e.g. Neon's host without -pooler, or PgBouncer in session mode",
		where, ep.From, dbconn.Redact(detail, ep.DSN)), Doc: "poolers-pgbouncer-neon-pooler-rds-proxy"}
}

// unwrapAll returns the innermost error's message.
func unwrapAll(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// canWriteQuery tells whether the session's role is a superuser or may
// insert, update, delete or truncate any user table.
const canWriteQuery = `
SELECT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) OR EXISTS (
  SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
    AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))`

// Plan checks cfg against the source (names, then every SQL fragment on
// the server) and builds the plan. Config mistakes come back as
// *config.Error values (see config.Problems).
func (s *Source) Plan(ctx context.Context, cfg *config.Config) (*config.Resolved, *plan.Plan, error) {
	res, err := config.Check(cfg, s.Catalog)
	if err != nil {
		return nil, nil, err
	}
	if err := config.CheckSQL(ctx, s.Tx, res); err != nil {
		return nil, nil, err
	}
	estimates, err := plan.EstimateRoots(ctx, s.Tx, res)
	if err != nil {
		return nil, nil, err
	}
	p := plan.Build(s.Catalog, res, estimates)
	p.Warnings = append(p.Warnings, s.Warnings...)
	personal, warnings, err := s.personal(ctx, res)
	if err != nil {
		return nil, nil, err
	}
	p.Warnings = append(p.Warnings, warnings...)
	p.CheckPersonal(personal, res)
	return res, p, nil
}

// personal finds the twin's columns that look personal: by their
// definition, and by a small sample of their values read in the snapshot.
// A table the sample cannot read becomes a warning of the plan.
func (s *Source) personal(ctx context.Context, res *config.Resolved) ([]plan.PersonalColumn, []string, error) {
	included := func(n catalog.Name) bool {
		return res.Included(n) && res.Copy[n] != config.CopySchema
	}
	found := pii.FromCatalog(s.Catalog, included)
	var sampled []pii.Finding
	var warnings []string
	err := s.inSnapshot(ctx, func(tx pgx.Tx) (err error) {
		sampled, warnings, err = pii.Sample(ctx, tx, s.Catalog, included, found)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sample the source for personal data: %w", err)
	}
	var out []plan.PersonalColumn
	for _, f := range pii.Merge(s.Catalog, found, sampled) {
		out = append(out, plan.PersonalColumn{Table: f.Table.Display(), Column: f.Column, Reasons: f.Reasons, Suggest: f.Suggest})
	}
	return out, warnings, nil
}

// Close ends the transaction and the connection.
func (s *Source) Close(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if s.Tx != nil {
		s.Tx.Rollback(ctx)
	}
	s.Conn.Close(ctx)
}

const sequencesQuery = `
SELECT schemaname, sequencename, last_value
FROM pg_catalog.pg_sequences
WHERE schemaname = ANY($1) AND last_value IS NOT NULL
ORDER BY 1, 2`

// sequenceValues reads the included schemas' sequences. last_value is
// NULL for a sequence never used (nothing to set) or one the role may not
// read.
func (s *Source) sequenceValues(ctx context.Context, schemas []string) ([]load.SequenceValue, error) {
	rows, err := s.Tx.Query(ctx, sequencesQuery, schemas)
	if err != nil {
		return nil, fmt.Errorf("read the source's sequences: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (load.SequenceValue, error) {
		v := load.SequenceValue{IsCalled: true}
		return v, r.Scan(&v.Name.Schema, &v.Name.Name, &v.Value)
	})
}
