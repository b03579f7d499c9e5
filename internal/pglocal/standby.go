package pglocal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// StartStandby makes a hot standby of c: a streaming replica cloned with
// `pg_basebackup -R -X stream` over c's Unix socket, started in a new
// temporary directory on a socket of its own (and a free loopback port when
// c listens on TCP). It returns once the standby accepts connections and
// reports pg_is_in_recovery(). The caller must call Stop on it (before or
// after stopping c).
//
// The primary needs what the default initdb cluster has: wal_level replica
// or higher, a free WAL sender (max_wal_senders), and a pg_hba.conf that
// lets the superuser connect for replication over the socket (initdb -A
// trust writes `local replication all trust`). The standby runs with the
// throwaway settings of Start; settings that a hot standby needs at least as
// high as its primary (max_connections and friends) are therefore the same
// as a default throwaway primary's.
func (c *Cluster) StartStandby(ctx context.Context) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "pgtwin-pg-standby-")
	if err != nil {
		return nil, fmt.Errorf("create standby directory: %w", err)
	}
	s := &Cluster{BinDir: c.BinDir, Dir: dir, DataDir: filepath.Join(dir, "data"), Socket: dir, Port: 5432, TCP: c.TCP, cred: c.cred}
	fail := func(err error) (*Cluster, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if s.cred != nil {
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return fail(fmt.Errorf("hand standby directory to the postgres user: %w", err))
		}
	}
	if s.TCP {
		if s.Port, err = freePort(); err != nil {
			return fail(err)
		}
	}
	// -R writes standby.signal and primary_conninfo (the socket, port and
	// user given here); -X stream copies the WAL needed to reach a
	// consistent state; --checkpoint=fast starts the backup at once.
	if err := s.run(ctx, "pg_basebackup", "-D", s.DataDir, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
		"-h", c.Socket, "-p", fmt.Sprint(c.Port), "-U", "postgres"); err != nil {
		return fail(err)
	}
	if err := s.start(ctx, nil); err != nil {
		return fail(fmt.Errorf("%w\n%s", err, s.Log()))
	}
	if err := s.waitRecovering(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitRecovering waits until the standby accepts connections and says it
// is in recovery.
func (c *Cluster) waitRecovering(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err == nil {
			var recovering bool
			err = conn.QueryRow(ctx, "SELECT pg_catalog.pg_is_in_recovery()").Scan(&recovering)
			conn.Close(ctx)
			if err == nil && recovering {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("the server is not in recovery")
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the standby did not become a hot standby: %v\n%s", last, c.Log())
}

// WaitReplay waits until standby c has replayed everything primary had
// committed when WaitReplay was called: pg_last_wal_replay_lsn() on c
// reaches pg_current_wal_insert_lsn() on primary. (Not pg_current_wal_lsn(),
// the write position: throwaway clusters commit asynchronously, so the last
// commits may sit in WAL buffers, unsent, until the WAL writer's next round.)
func (c *Cluster) WaitReplay(ctx context.Context, primary *Cluster) error {
	p, err := pgx.Connect(ctx, primary.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the primary: %w", err)
	}
	var target string
	err = p.QueryRow(ctx, "SELECT pg_catalog.pg_current_wal_insert_lsn()::text").Scan(&target)
	p.Close(ctx)
	if err != nil {
		return fmt.Errorf("read the primary's WAL position: %w", err)
	}
	s, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the standby: %w", err)
	}
	defer s.Close(ctx)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var done bool
		var replayed *string
		err := s.QueryRow(ctx, "SELECT pg_catalog.pg_last_wal_replay_lsn()::text, coalesce(pg_catalog.pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", target).Scan(&replayed, &done)
		if err != nil {
			return fmt.Errorf("read the standby's replay position: %w", err)
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			at := "nothing"
			if replayed != nil {
				at = *replayed
			}
			return fmt.Errorf("the standby replayed %s, not yet the primary's %s, after 60s", at, target)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
