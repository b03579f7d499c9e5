package clone

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/load"
)

// targetLock is the advisory lock a run holds on the target database, so
// runs on one target cannot interleave ("pgtwin" in ASCII).
const targetLock int64 = 0x706774776e

// guard runs the checks that must pass before anything is written to the
// target: one run at a time, not the source, not someone else's data.
func guard(ctx context.Context, src *Source, tgt *pgx.Conn, target string, schemas []string, overwrite bool) error {
	var locked bool
	if err := tgt.QueryRow(ctx, "SELECT pg_catalog.pg_try_advisory_lock($1)", targetLock).Scan(&locked); err != nil {
		return fmt.Errorf("lock the target: %w", err)
	}
	if !locked {
		return fmt.Errorf("another pgtwin run is loading %s; wait for it to finish", target)
	}
	same, err := sameDatabase(ctx, src, tgt)
	if err != nil {
		return err
	}
	if same {
		return &Refused{Reason: fmt.Sprintf("the target %s is the source database itself (the source server sees the target's session): refusing to write; check the target URL", target)}
	}
	marker, err := load.ReadMarker(ctx, tgt)
	if err != nil {
		return err
	}
	if marker != nil || overwrite {
		return nil
	}
	contents, err := load.ReadContents(ctx, tgt)
	if err != nil {
		return err
	}
	if contents.Tables > 0 {
		return &Refused{Reason: fmt.Sprintf("the target %s holds %s and was not made by pgtwin; pass --overwrite-non-twin to replace schema %s there",
			target, contents, strings.Join(schemas, ", "))}
	}
	return nil
}

// sameDatabase asks the source whether it can see the target's session
// holding the run's advisory lock in its own database. Only the same
// database on the same server can, whatever host name, port, socket or
// pooler each URL goes through; a replica or a cloned branch cannot.
func sameDatabase(ctx context.Context, src *Source, tgt *pgx.Conn) (bool, error) {
	var pid uint32
	if err := tgt.QueryRow(ctx, "SELECT pg_catalog.pg_backend_pid()").Scan(&pid); err != nil {
		return false, fmt.Errorf("identify the target session: %w", err)
	}
	var same bool
	err := src.Tx.QueryRow(ctx, `SELECT EXISTS (
  SELECT 1 FROM pg_catalog.pg_locks
  WHERE locktype = 'advisory' AND pid = $1 AND classid = $2 AND objid = $3 AND objsubid = 1
    AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))`,
		pid, uint32(targetLock>>32), uint32(targetLock&0xffffffff)).Scan(&same)
	if err != nil {
		return false, fmt.Errorf("compare the source and target: %w", err)
	}
	return same, nil
}
