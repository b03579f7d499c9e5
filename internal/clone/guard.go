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

// TargetLockKey is the key of the session-level advisory lock
// (pg_advisory_lock(bigint)) a run holds on its target database from the
// target checks to its end. Whoever holds it keeps pgtwin runs out.
const TargetLockKey = targetLock

// guard runs the checks that must pass before anything is written to the
// target: one run at a time, not the source, a target that may be written,
// not someone else's data. With wait, it waits for the lock (telling
// waiting first) instead of failing; ctx ends the wait.
func guard(ctx context.Context, src *Source, tgt *pgx.Conn, target string, schemas []string, overwrite, wait bool, waiting func()) error {
	var locked bool
	if err := tgt.QueryRow(ctx, "SELECT pg_catalog.pg_try_advisory_lock($1)", targetLock).Scan(&locked); err != nil {
		return fmt.Errorf("lock the target: %w", err)
	}
	if !locked && !wait {
		return fmt.Errorf("another pgtwin run is loading %s; wait for it to finish, or pass --wait to wait for it", target)
	}
	if !locked {
		if waiting != nil {
			waiting()
		}
		// pgx cancels the query on the server when ctx ends (Ctrl-C, a
		// time limit), so an abandoned wait does not take the lock later.
		if _, err := tgt.Exec(ctx, "SELECT pg_catalog.pg_advisory_lock($1)", targetLock); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("wait for another pgtwin run on %s: %w", target, context.Cause(ctx))
			}
			return fmt.Errorf("wait for another pgtwin run on %s: %w", target, err)
		}
	}
	same, err := sameDatabase(ctx, src, tgt)
	if err != nil {
		return err
	}
	if same {
		return &Refused{Reason: fmt.Sprintf("the target %s is the source database itself (the source server sees the target's session): refusing to write; check the target URL", target)}
	}
	if err := writable(ctx, tgt, target); err != nil {
		return err
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
			target, contents, strings.Join(schemas, ", ")), Doc: "the-target-was-not-made-by-pgtwin"}
	}
	return nil
}

// writable refuses a target that cannot or should not be written: a hot
// standby (its transactions are read-only whatever pgtwin asks), or a
// database or role whose sessions start read-only. pgtwin's transaction
// asks for READ WRITE, which would override default_transaction_read_only;
// that setting on a target says someone wants it left alone.
func writable(ctx context.Context, tgt *pgx.Conn, target string) error {
	var recovering bool
	var readOnly string
	if err := tgt.QueryRow(ctx, "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('default_transaction_read_only')").Scan(&recovering, &readOnly); err != nil {
		return fmt.Errorf("check that the target can be written: %w", err)
	}
	switch {
	case recovering:
		return &Refused{Reason: fmt.Sprintf("the target %s is read-only (a standby? the server is in recovery): point the target URL at the primary", target), Doc: "connections"}
	case readOnly == "on":
		return &Refused{Reason: fmt.Sprintf("the target %s is read-only (default_transaction_read_only is on): refusing to override it; check the target URL, or turn the setting off for that database or role if it is meant to be a twin", target)}
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
