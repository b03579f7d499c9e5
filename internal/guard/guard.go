// Package guard holds the checks that keep pgtwin from writing where it
// must not: one run at a time on a target, never into the source, never
// into a read-only target or one holding someone else's tables. A check
// that stops a run before anything is written returns a *Refused.
package guard

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/load"
)

// Refused is returned when a guard stops a run before anything is
// written; the user must change the command, the config or the endpoint.
type Refused struct {
	Reason string
	// Doc is the section of docs/troubleshooting.md that explains it.
	Doc string
}

func (r *Refused) Error() string { return r.Reason }

// IsRefused reports whether err is a guard's refusal.
func IsRefused(err error) bool {
	var r *Refused
	return errors.As(err, &r)
}

// TargetLockKey is the key of the session-level advisory lock
// (pg_advisory_lock(bigint)) a run holds on its target database from the
// target checks to its end, so runs on one target cannot interleave
// ("pgtwin" in ASCII). Whoever holds it keeps pgtwin runs out.
const TargetLockKey int64 = 0x706774776e

// Options say what the target checks allow.
type Options struct {
	// Schemas are the schemas the run replaces, for messages.
	Schemas []string
	// Overwrite lets a run replace a target that holds tables but no
	// pgtwin marker (--overwrite-non-twin).
	Overwrite bool
	// Wait makes the check wait for another run's lock instead of failing;
	// Waiting, when set, is told once (what the run waits for) before the
	// wait starts.
	Wait    bool
	Waiting func(what string)
}

// Target runs the checks that must pass before anything is written to the
// target tgt (named target in messages): one run at a time (it takes
// TargetLockKey, held until tgt closes), not the source (asked in the
// source's snapshot transaction src), a target that may be written, not
// someone else's data. ctx ends a wait for the lock.
func Target(ctx context.Context, src pgx.Tx, tgt *pgx.Conn, target string, opts Options) error {
	return checkTarget(ctx, tgt, target, opts, func() error {
		same, err := sameDatabase(ctx, src, tgt)
		if err != nil {
			return err
		}
		if same {
			return &Refused{Reason: fmt.Sprintf("the target %s is the source database itself (the source server sees the target's session): refusing to write; check the target URL", target)}
		}
		return nil
	})
}

// TargetOfFile runs Target's checks for a twin file made from the database
// source identifies: the target may not be that database.
func TargetOfFile(ctx context.Context, source Identity, tgt *pgx.Conn, target string, opts Options) error {
	return checkTarget(ctx, tgt, target, opts, func() error {
		id, err := ReadIdentity(ctx, tgt)
		if err != nil {
			return err
		}
		if id.Same(source) {
			return &Refused{Reason: fmt.Sprintf("the target %s is the database the twin file was made from (same server system identifier %s, database %q, OID %d): refusing to write; check the target URL",
				target, id.SystemIdentifier, id.Database, id.DatabaseOID)}
		}
		return nil
	})
}

// checkTarget takes the lock, runs notSource, then the checks every target gets.
func checkTarget(ctx context.Context, tgt *pgx.Conn, target string, opts Options, notSource func() error) error {
	if err := lock(ctx, tgt, target, opts); err != nil {
		return err
	}
	if err := notSource(); err != nil {
		return err
	}
	if err := writable(ctx, tgt, target); err != nil {
		return err
	}
	marker, err := load.ReadMarker(ctx, tgt)
	if err != nil {
		return err
	}
	if marker != nil || opts.Overwrite {
		return nil
	}
	contents, err := load.ReadContents(ctx, tgt)
	if err != nil {
		return err
	}
	if contents.Tables > 0 {
		return &Refused{Reason: fmt.Sprintf("the target %s holds %s and was not made by pgtwin; pass --overwrite-non-twin to replace schema %s there",
			target, contents, strings.Join(opts.Schemas, ", ")), Doc: "the-target-was-not-made-by-pgtwin"}
	}
	return nil
}

// lock takes the run's advisory lock on the target, or fails (or, with
// opts.Wait, waits) when another run holds it.
func lock(ctx context.Context, tgt *pgx.Conn, target string, opts Options) error {
	var locked bool
	if err := tgt.QueryRow(ctx, "SELECT pg_catalog.pg_try_advisory_lock($1)", TargetLockKey).Scan(&locked); err != nil {
		return fmt.Errorf("lock the target: %w", err)
	}
	switch {
	case locked:
		return nil
	case !opts.Wait:
		return fmt.Errorf("another pgtwin run is loading %s; wait for it to finish, or pass --wait to wait for it", target)
	}
	if opts.Waiting != nil {
		opts.Waiting("another pgtwin run on " + target)
	}
	// pgx cancels the query on the server when ctx ends (Ctrl-C, a time
	// limit), so an abandoned wait does not take the lock later.
	if _, err := tgt.Exec(ctx, "SELECT pg_catalog.pg_advisory_lock($1)", TargetLockKey); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("wait for another pgtwin run on %s: %w", target, context.Cause(ctx))
		}
		return fmt.Errorf("wait for another pgtwin run on %s: %w", target, err)
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

// Identity identifies a database without any secret: its server's system
// identifier (shared by the server's physical replicas), its OID and name.
type Identity struct {
	SystemIdentifier string `json:"system_identifier,omitempty"`
	DatabaseOID      uint32 `json:"database_oid"`
	Database         string `json:"database"`
}

// Same reports whether two identities name the same database. Without a
// system identifier on both sides (a role that may not read it) it cannot
// tell, and says no.
func (i Identity) Same(o Identity) bool {
	return i.SystemIdentifier != "" && i.SystemIdentifier == o.SystemIdentifier && i.DatabaseOID == o.DatabaseOID && i.Database == o.Database
}

// identityQuery reads the current database's Identity; the system
// identifier only where the role may call pg_control_system() (an error
// would abort the source's snapshot transaction).
const identityQuery = `SELECT
  CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
    THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) ELSE '' END,
  d.oid, d.datname
FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`

// Querier runs a query returning one row: a pgx.Tx or a *pgx.Conn.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ReadIdentity reads the identity of the database q is connected to.
func ReadIdentity(ctx context.Context, q Querier) (Identity, error) {
	var id Identity
	if err := q.QueryRow(ctx, identityQuery).Scan(&id.SystemIdentifier, &id.DatabaseOID, &id.Database); err != nil {
		return id, fmt.Errorf("identify the database: %w", err)
	}
	return id, nil
}

// sameDatabaseQuery tells whether the session $1 holds the run's advisory
// lock ($2, $3) in the current database of the server that runs it.
const sameDatabaseQuery = `SELECT EXISTS (
  SELECT 1 FROM pg_catalog.pg_locks
  WHERE locktype = 'advisory' AND pid = $1 AND classid = $2 AND objid = $3 AND objsubid = 1
    AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))`

// sameDatabase asks the source whether it can see the target's session
// holding the run's advisory lock in its own database. Only the same
// database on the same server can, whatever host name, port, socket or
// pooler each URL goes through; a replica or a cloned branch cannot.
func sameDatabase(ctx context.Context, src pgx.Tx, tgt *pgx.Conn) (bool, error) {
	var pid uint32
	if err := tgt.QueryRow(ctx, "SELECT pg_catalog.pg_backend_pid()").Scan(&pid); err != nil {
		return false, fmt.Errorf("identify the target session: %w", err)
	}
	var same bool
	err := src.QueryRow(ctx, sameDatabaseQuery, pid, uint32(TargetLockKey>>32), uint32(TargetLockKey&0xffffffff)).Scan(&same)
	if err != nil {
		return false, fmt.Errorf("compare the source and target: %w", err)
	}
	return same, nil
}
