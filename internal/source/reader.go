package source

import (
	"context"
	"fmt"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// OpenReader opens one more session on the source in the session's exported
// snapshot (read-only, repeatable read, the same settings), as pg_dump -j
// and pgcopydb share one: it sees exactly what s sees. It reads rows only
// (CopyTo); Close ends it.
func (s *Session) OpenReader(ctx context.Context) (*Session, error) {
	conn, err := s.Endpoint.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("open a source reader (--jobs): %w", err)
	}
	_, _ = conn.Exec(ctx, "SET client_connection_check_interval = 1000")
	// The simple protocol, as for pg_dump's session.
	sql := "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT " + catalog.QuoteLiteral(s.Snapshot) + "; " + sessionSettings
	if err := conn.PgConn().Exec(ctx, sql).Close(); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("import the source snapshot in a reader session (--jobs): %w", err)
	}
	return &Session{Endpoint: s.Endpoint, Server: s.Server, Conn: conn, Snapshot: s.Snapshot, SnapshotAt: s.SnapshotAt,
		Catalog: s.Catalog, statementTimeout: s.statementTimeout}, nil
}
