package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/guard"
)

// checkSnapshotShared imports the exported snapshot in a second source
// session, exactly as pg_dump --snapshot will (BEGIN ISOLATION LEVEL
// REPEATABLE READ; SET TRANSACTION SNAPSHOT). It fails when the two
// sessions do not reach the same server while the export is open: a pooler
// or load balancer that hands a new connection to another server (SQLSTATE
// 22023, invalid snapshot identifier), one that allows no transaction
// blocks (statement mode), or one with no server connection to spare.
func (s *Session) checkSnapshotShared(ctx context.Context) error {
	conn, err := s.Endpoint.Connect(ctx)
	if err != nil {
		if p := poolerError(s.Endpoint, err, false); p != nil {
			return p
		}
		return fmt.Errorf("open a second source session (for pg_dump's snapshot): %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// The simple protocol, as pg_dump uses: no prepared statements for a
	// pooler to lose.
	sql := "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT " + catalog.QuoteLiteral(s.Snapshot) + "; ROLLBACK"
	if err := conn.PgConn().Exec(ctx, sql).Close(); err != nil {
		if ctx.Err() != nil {
			return err
		}
		if p := poolerError(s.Endpoint, err, true); p != nil {
			return p
		}
		return fmt.Errorf("import the source snapshot in a second session, as pg_dump will: %w", err)
	}
	return nil
}

// poolerError explains err when it says that the source is reached through
// a pooler that cannot share a snapshot between sessions; nil otherwise.
// importing says err came from importing the snapshot, where an invalid
// parameter value can only be the snapshot's identifier. PgBouncer reports
// its own errors (statement mode, query_wait_timeout) as protocol
// violations, which a PostgreSQL server does not send to a well-behaved
// client; a pooler that drops a prepared statement makes the server say it
// does not exist.
func poolerError(ep dbconn.Endpoint, err error, importing bool) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return nil
	}
	detail := pgErr.Error()
	switch pgErr.Code {
	case pgerrcode.InvalidParameterValue:
		if !importing {
			return nil
		}
		detail = "a second session cannot import the snapshot of the first: " + pgErr.Message
	case pgerrcode.ProtocolViolation, pgerrcode.InvalidSQLStatementName, pgerrcode.DuplicatePreparedStatement:
	default:
		return nil
	}
	cfg, _ := ep.Config()
	where := "the source"
	if cfg != nil {
		where = "the source " + dbconn.Describe(&cfg.Config)
	}
	return &guard.Refused{Reason: fmt.Sprintf("the source connection goes through a transaction-mode pooler or a load balancer (%s from %s: %s): exported snapshots cannot be shared; use a direct (session) endpoint — e.g. Neon's host without -pooler, or PgBouncer in session mode",
		where, ep.From, dbconn.Redact(detail, ep.DSN)), Doc: "poolers-pgbouncer-neon-pooler-rds-proxy"}
}
