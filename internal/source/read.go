package source

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/load"
)

// CopyTo runs a COPY … TO STDOUT in the snapshot (it makes a Session a
// subset.Source). Its errors say they came from the source (the target's
// say "copy into …"): a bare "canceling statement due to statement
// timeout" does not say which server timed out.
func (s *Session) CopyTo(ctx context.Context, w io.Writer, sql string) (pgconn.CommandTag, error) {
	tag, err := s.Conn.PgConn().CopyTo(ctx, w, sql)
	if err == nil || ctx.Err() != nil {
		return tag, err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.QueryCanceled && s.statementTimeout != "0" {
		// Not pgtwin's own cancel (ctx is live): the source's timeout (or
		// someone's pg_cancel_backend, while a timeout is set).
		return tag, fmt.Errorf("read the source: %w; lift the source's statement_timeout for pgtwin (ALTER ROLE … SET statement_timeout = 0, or options=-c statement_timeout=0 in the source URL)", err)
	}
	return tag, fmt.Errorf("read the source: %w", err)
}

const sequencesQuery = `
SELECT schemaname, sequencename, last_value
FROM pg_catalog.pg_sequences
WHERE schemaname = ANY($1) AND last_value IS NOT NULL
ORDER BY 1, 2`

// SequenceValues reads the included schemas' sequences. last_value is NULL
// for a sequence never used (nothing to set) or one the role may not read.
func (s *Session) SequenceValues(ctx context.Context, schemas []string) ([]load.SequenceValue, error) {
	rows, err := s.Tx.Query(ctx, sequencesQuery, schemas)
	if err != nil {
		return nil, fmt.Errorf("read the source's sequences: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (load.SequenceValue, error) {
		v := load.SequenceValue{IsCalled: true}
		return v, r.Scan(&v.Name.Schema, &v.Name.Name, &v.Value)
	})
}
