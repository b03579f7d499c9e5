package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/demo"
	"github.com/pgtwin/pgtwin/internal/pglocal"
	"github.com/pgtwin/pgtwin/internal/pgtest"
	"github.com/pgtwin/pgtwin/internal/schema"
)

// TestFaults checks "all or nothing" the way it can fail in real life: the
// pgtwin process killed or interrupted, a server restarted, a connection
// terminated, a statement timeout, the target refusing the DDL, pg_dump
// missing, too old or failing. Every fault must leave the target exactly as
// it was (a twin made before, measured by stateOf) and, unless the process
// was killed, say in one line what happened.
//
// The runs use the built pgtwin (this test binary under the name pgtwin,
// see TestMain) as a user would, with no test hook: a run is held where a
// fault should hit it with PostgreSQL's own locks, taken by sessions of the
// test, and found waiting from outside (pg_stat_activity, pg_locks).
// "Mid-load" faults hold the run's copy of the source's orders table (see
// midLoad): by then the target transaction holds the new schema and the
// rows of the tables read before orders.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault tests run real pgtwin processes")
	}
	f := &faults{dir: t.TempDir(), srcDB: pgtest.NewDB(t)}
	createShop(t, pgtest.DSN(f.srcDB))
	f.src = pgtest.DSN(f.srcDB)
	f.cfg = f.write(t, "twin.yaml", string(demo.Config))
	// The twin the targets hold before each fault has fewer rows than the
	// faulted run would make, so a leak of any of them would show.
	f.baseCfg = f.write(t, "base.yaml", strings.Replace(string(demo.Config), "limit: 50", "limit: 20", 1))
	t.Cleanup(func() {
		if f.cluster != nil {
			f.cluster.Stop()
		}
	})

	t.Run("kill", f.kill)
	t.Run("interrupt", f.interrupt)
	t.Run("kill mid-statement", f.killMidStatement)
	t.Run("interrupt mid-statement", f.interruptMidStatement)
	t.Run("interrupt twice", f.interruptTwice)
	t.Run("target terminated", f.targetTerminated)
	t.Run("source terminated", f.sourceTerminated)
	t.Run("source statement timeout", f.sourceTimeout)
	t.Run("source idle timeout", f.sourceIdleTimeout)
	t.Run("post-data fails", f.postDataFails)
	t.Run("pg_dump", f.pgDump)
	// The tests that need a target server of their own come last.
	t.Run("target restarted", f.targetRestarted)
	t.Run("keep-owners without the role", f.keepOwnersMissingRole)
}

type faults struct {
	dir          string
	srcDB, src   string // the demo shop on the shared server
	cfg, baseCfg string // config files: the faulted runs', the baseline twin's

	clusterOnce sync.Once
	cluster     *pglocal.Cluster // a target server of its own, to restart
	clusterErr  error
}

func (f *faults) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// target returns a fresh database on the shared server holding the baseline
// twin, and its state.
func (f *faults) target(t *testing.T) (string, string, dbState) {
	t.Helper()
	db := pgtest.NewDB(t)
	dsn := pgtest.DSN(db)
	cloneOK(t, f.src, dsn, f.baseCfg)
	return db, dsn, stateOf(t, dsn)
}

// ownCluster starts (once) a target server of its own.
func (f *faults) ownCluster(t *testing.T) *pglocal.Cluster {
	t.Helper()
	if pgtest.Cluster() == nil {
		t.Skip("needs a throwaway server of its own (PGTWIN_TEST_DSN is set)")
	}
	f.clusterOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		f.cluster, f.clusterErr = pglocal.Start(ctx, pglocal.Options{})
	})
	if f.clusterErr != nil {
		t.Fatal(f.clusterErr)
	}
	return f.cluster
}

// kill: SIGKILL in each phase that has an open target transaction, the run
// held there by a lock: in pre-data by a reader of the previous twin, in
// data by a lock on the source's orders (midLoad), in commit by a lock on
// the target's pgtwin.runs, which the run writes its marker into, in its
// transaction, just before the COMMIT. (Killed in indexes and constraints: killMidStatement.)
// Nothing can be printed; the server rolls back when it sees the connection
// close, and a new run is not locked out.
func (f *faults) kill(t *testing.T) {
	tgtDB, tgt, before := f.target(t)
	start := func(t *testing.T) *pgtwinRun {
		return startPlain(t, "clone", "--config", f.cfg, "--source", f.src, "--target", tgt)
	}
	for _, tc := range []struct {
		phase string
		hold  func(t *testing.T) (r *pgtwinRun, letGo func())
	}{{
		phase: "pre-data",
		hold: func(t *testing.T) (*pgtwinRun, func()) {
			letGo := lockTable(t, tgtDB, "public.orders", "ACCESS SHARE")
			r := start(t)
			waitForLock(t, r, tgtDB, "the run waits to replace the previous twin")
			return r, letGo
		},
	}, {
		phase: "data",
		hold: func(t *testing.T) (*pgtwinRun, func()) {
			return f.midLoad(t, tgt, f.src)
		},
	}, {
		phase: "commit",
		hold: func(t *testing.T) (*pgtwinRun, func()) {
			// The marker's write (its DDL, then the INSERT), not the
			// target checks' reads.
			isWrite := func(query string) bool { return !strings.HasPrefix(strings.TrimSpace(query), "SELECT") }
			return holdUse(t, tgtDB, "pgtwin.runs", isWrite, func() *pgtwinRun { return start(t) })
		},
	}} {
		t.Run(tc.phase, func(t *testing.T) {
			r, letGo := tc.hold(t)
			if err := r.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if code := r.wait(t); code != -1 {
				t.Fatalf("exit code %d, want killed (-1)", code)
			}
			letGo()
			sessionsEnd(t, tgtDB, time.Now(), 30*time.Second, "the killed run's target session")
			assertUnchanged(t, tgt, before)
			// The killed run's session and advisory lock are gone with it.
			cloneOK(t, f.src, tgt, f.baseCfg)
			before = stateOf(t, tgt)
		})
	}
}

// interrupt: SIGINT mid-load rolls back and exits 130 with one line saying so.
func (f *faults) interrupt(t *testing.T) {
	tgtDB, tgt, before := f.target(t)
	r, letGo := f.midLoad(t, tgt, f.src)
	defer letGo()
	signal(t, r, os.Interrupt)
	if code := r.wait(t); code != cli.ExitInterrupted {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitInterrupted, r.stderr())
	}
	r.stderrHas(t, "pgtwin: interrupted, rolling back (press Ctrl-C again to exit at once)")
	r.lastLine(t, `^pgtwin: interrupted: the run was rolled back, the target is as it was$`)
	assertUnchanged(t, tgt, before)
	if pids := sessions(t, pgtest.DSN("postgres"), tgtDB, ""); len(pids) > 0 {
		t.Errorf("the interrupted run left sessions %v on the target", pids)
	}
}

// slowIndexSource makes a source whose one index takes the target 100 s to
// build (its expression sleeps a second a row), and a config that copies
// it. Tests that stop the build expect it to end within 60 s: a wide margin
// on a loaded machine, and still far from the build's own end.
func (f *faults) slowIndexSource(t *testing.T) (src, cfg string) {
	t.Helper()
	srcDB := pgtest.NewDB(t, `
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO products SELECT i, 'product ' || i FROM generate_series(1, 100) i;
CREATE FUNCTION slow(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1';
CREATE INDEX products_slow ON products (public.slow(id));
CREATE OR REPLACE FUNCTION slow(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_catalog.pg_sleep(1); RETURN $1; END $$;`)
	return pgtest.DSN(srcDB), f.write(t, "slow.yaml", "version: 1\ntables:\n  - table: products\n    copy: all\n")
}

// killMidStatement: SIGKILL while the target builds a slow index. The
// server notices the dead client within a second (pgtwin sets
// client_connection_check_interval) rather than when the build is done, so
// the run's lock does not keep the next run out for long.
func (f *faults) killMidStatement(t *testing.T) {
	r, tgtDB, tgt, before := f.startSlowIndexBuild(t, "")
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if code := r.wait(t); code != -1 {
		t.Fatalf("exit code %d, want killed (-1)", code)
	}
	// The index build alone takes 100 s: well before that means the
	// server stopped it when the client died.
	f.sessionEndsSoon(t, tgtDB, start, "the killed run's target session")
	assertUnchanged(t, tgt, before)
}

// interruptMidStatement: SIGINT while the target builds the slow index
// cancels that statement on the server too, so the run's session ends with
// the run instead of working on (and holding the run's lock) until the
// statement is done.
func (f *faults) interruptMidStatement(t *testing.T) {
	r, tgtDB, tgt, before := f.startSlowIndexBuild(t, "CREATE TABLE precious (id int PRIMARY KEY); INSERT INTO precious VALUES (1)")
	signal(t, r, os.Interrupt)
	start := time.Now()
	if code := r.wait(t); code != cli.ExitInterrupted {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitInterrupted, r.stderr())
	}
	r.lastLine(t, `^pgtwin: interrupted: the run was rolled back, the target is as it was$`)
	f.sessionEndsSoon(t, tgtDB, start, "the interrupted run's target session")
	assertUnchanged(t, tgt, before)
}

// startSlowIndexBuild starts a clone of the slow-index source into a new
// target database (made with setup, and overwritten if that leaves tables)
// and returns once the target is building the slow index.
func (f *faults) startSlowIndexBuild(t *testing.T, setup string) (r *pgtwinRun, tgtDB, tgt string, before dbState) {
	t.Helper()
	src, cfg := f.slowIndexSource(t)
	if setup == "" {
		tgtDB = pgtest.NewDB(t)
	} else {
		tgtDB = pgtest.NewDB(t, setup)
	}
	tgt = pgtest.DSN(tgtDB)
	before = stateOf(t, tgt)
	r = startPlain(t, "clone", "--config", cfg, "--source", src, "--target", tgt, "--overwrite-non-twin")
	buildingIndex(t, r, tgtDB)
	return r, tgtDB, tgt, before
}

// sessionEndsSoon checks that the run's target session ends well before
// the 100 s index build would have: the server stopped the statement.
func (f *faults) sessionEndsSoon(t *testing.T, tgtDB string, start time.Time, what string) {
	t.Helper()
	waitUntil(t, what+" ends", func() bool {
		return len(sessions(t, pgtest.DSN("postgres"), tgtDB, "")) == 0
	})
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("%s lived on for %v: the index build (100 s) was not stopped", what, d)
	}
}

// interruptTwice: when the rollback hangs (the target backend is stopped
// with SIGSTOP), a second SIGINT exits at once; the server rolls back once
// it runs again and sees the connection closed.
func (f *faults) interruptTwice(t *testing.T) {
	if pgtest.Cluster() == nil {
		t.Skip("stops a backend process of the server: needs the throwaway server")
	}
	tgtDB, tgt, before := f.target(t)
	r, letGo := f.midLoad(t, tgt, f.src)
	defer letGo()
	pids := sessions(t, pgtest.DSN("postgres"), tgtDB, "")
	if len(pids) != 1 {
		t.Fatalf("want one pgtwin session on the target, got %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGSTOP); err != nil {
		t.Fatalf("stop the target backend: %v", err)
	}
	cont := sync.OnceFunc(func() { syscall.Kill(pids[0], syscall.SIGCONT) })
	t.Cleanup(cont)
	signal(t, r, os.Interrupt)
	r.waitFor(t, "pgtwin: interrupted, rolling back")
	time.Sleep(200 * time.Millisecond) // it is now waiting for the ROLLBACK's answer
	start := time.Now()
	signal(t, r, os.Interrupt)
	if code := r.wait(t); code != cli.ExitInterrupted {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitInterrupted, r.stderr())
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the second SIGINT took %v to exit", d)
	}
	r.lastLine(t, `^pgtwin: exiting at once$`)
	cont()
	assertUnchanged(t, tgt, before)
}

// targetTerminated: the target session is terminated (pg_terminate_backend)
// in the middle of the data phase.
func (f *faults) targetTerminated(t *testing.T) {
	tgtDB, tgt, before := f.target(t)
	r, letGo := f.midLoad(t, tgt, f.src)
	pid := f.loadingSession(t, pgtest.DSN("postgres"), tgtDB)
	terminate(t, pgtest.DSN("postgres"), pid)
	letGo()
	if code := r.wait(t); code != cli.ExitFailure {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitFailure, r.stderr())
	}
	r.lastLine(t, `^pgtwin: lost the connection to the target [^,]+, nothing was committed and the target is as it was: copy rows: children of public\.\w+ via orders_\w+_fkey: copy into public\.orders: .+$`)
	assertUnchanged(t, tgt, before)
}

// targetRestarted: the target server restarts (fast shutdown) in the
// middle of the data phase; afterwards a run works again.
func (f *faults) targetRestarted(t *testing.T) {
	cl := f.ownCluster(t)
	ctx := context.Background()
	db := fmt.Sprintf("restarted_%d", time.Now().UnixNano())
	exec1(t, cl.DSN("postgres"), "CREATE DATABASE "+db)
	tgt := cl.DSN(db)
	cloneOK(t, f.src, tgt, f.baseCfg)
	before := stateOf(t, tgt)

	r, letGo := f.midLoad(t, tgt, f.src)
	f.loadingSession(t, cl.DSN("postgres"), db)
	if err := cl.Restart(ctx); err != nil {
		t.Fatalf("restart the target server: %v\n%s", err, cl.Log())
	}
	letGo()
	if code := r.wait(t); code != cli.ExitFailure {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitFailure, r.stderr())
	}
	// The write that finds the connection gone fails first: "broken pipe".
	r.lastLine(t, `^pgtwin: lost the connection to the target [^,]+, nothing was committed and the target is as it was: copy rows: children of public\.\w+ via orders_\w+_fkey: copy into public\.orders: .+$`)
	assertUnchanged(t, tgt, before)
	cloneOK(t, f.src, tgt, f.cfg)
}

// sourceTerminated: the source session is terminated while it reads.
func (f *faults) sourceTerminated(t *testing.T) {
	_, tgt, before := f.target(t)
	r, letGo := f.midLoad(t, tgt, f.src)
	defer letGo()
	pids := sessions(t, pgtest.DSN("postgres"), f.srcDB, "wait_event_type = 'Lock'")
	terminate(t, pgtest.DSN("postgres"), pids[0])
	if code := r.wait(t); code != cli.ExitFailure {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitFailure, r.stderr())
	}
	r.lastLine(t, `^pgtwin: lost the connection to the source [^,]+, nothing was committed and the target is as it was: copy rows: children of public\.\w+ via orders_\w+_fkey: read the source: FATAL: terminating connection due to administrator command \(SQLSTATE 57P01\)$`)
	assertUnchanged(t, tgt, before)
}

// sourceTimeout: a source query runs into the source's statement_timeout
// (here: waiting for a lock longer than it allows).
func (f *faults) sourceTimeout(t *testing.T) {
	_, tgt, before := f.target(t)
	src := f.src + " options='-c statement_timeout=1500'"
	r, letGo := f.midLoad(t, tgt, src)
	defer letGo()
	if code := r.wait(t); code != cli.ExitFailure {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitFailure, r.stderr())
	}
	r.lastLine(t, `^pgtwin: copy rows: children of public\.\w+ via orders_\w+_fkey: read the source: ERROR: canceling statement due to statement timeout \(SQLSTATE 57014\); lift the source's statement_timeout for pgtwin \(ALTER ROLE … SET statement_timeout = 0, or options=-c statement_timeout=0 in the source URL\)$`)
	assertUnchanged(t, tgt, before)
}

// sourceIdleTimeout: the source's transaction idles while the target works
// (pg_dump runs, indexes are built; here: the target waits for a reader of
// the previous twin); a source with idle_in_transaction_session_timeout
// must not end the run.
func (f *faults) sourceIdleTimeout(t *testing.T) {
	tgtDB, tgt, _ := f.target(t)
	src := f.src + " options='-c idle_in_transaction_session_timeout=500'"
	letGo := lockTable(t, tgtDB, "public.orders", "ACCESS SHARE")
	r := startPlain(t, "clone", "--config", f.cfg, "--source", src, "--target", tgt)
	waitForLock(t, r, tgtDB, "the run waits to replace the previous twin")
	waitUntil(t, "the run's source transaction has idled for a second", func() bool {
		if len(sessions(t, pgtest.DSN("postgres"), f.srcDB, "")) == 0 {
			t.Fatalf("the run's source session is gone:\n%s", r.stderr())
		}
		return len(sessions(t, pgtest.DSN("postgres"), f.srcDB, "state = 'idle in transaction' AND state_change < now() - interval '1 second'")) == 1
	})
	letGo()
	if code := r.wait(t); code != cli.ExitOK {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitOK, r.stderr())
	}
}

// postDataFails: the target cannot build an index the source has. The
// index calls a function that names a table without its schema; pg_dump's
// scripts run with an empty search_path (as pg_restore would), so the
// function fails there. Everything loaded before is rolled back.
func (f *faults) postDataFails(t *testing.T) {
	srcDB := pgtest.NewDB(t, `
CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (id int PRIMARY KEY, category_id int NOT NULL REFERENCES categories, name text NOT NULL);
INSERT INTO categories SELECT i, 'category ' || i FROM generate_series(1, 10) i;
INSERT INTO products SELECT i, 1 + i % 10, 'product ' || i FROM generate_series(1, 100) i;
CREATE FUNCTION category_name(int) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT name FROM categories WHERE id = $1';`)
	src := pgtest.DSN(srcDB)
	cfg := f.write(t, "products.yaml", "version: 1\nroots:\n  - table: products\n    where: id <= 20\n")
	tgt := pgtest.DSN(pgtest.NewDB(t))
	cloneOK(t, src, tgt, cfg)
	before := stateOf(t, tgt)

	exec1(t, src, "CREATE INDEX products_category_name ON products (category_name(category_id))")
	r := startPlain(t, "clone", "--config", cfg, "--source", src, "--target", tgt)
	if code := r.wait(t); code != cli.ExitFailure {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitFailure, r.stderr())
	}
	r.lastLine(t, `^pgtwin: build indexes and constraints on the target \(pg_dump's post-data\): ERROR: relation "categories" does not exist \(SQLSTATE 42P01\)$`)
	assertUnchanged(t, tgt, before)
}

// keepOwnersMissingRole: --keep-owners with a source role the target server
// does not have.
func (f *faults) keepOwnersMissingRole(t *testing.T) {
	cl := f.ownCluster(t)
	role := fmt.Sprintf("pgtwin_owner_%d", os.Getpid())
	admin := pgtest.DSN("postgres")
	exec1(t, admin, "CREATE ROLE "+role)
	srcDB := pgtest.NewDB(t, "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'hello'); ALTER TABLE notes OWNER TO "+role)
	t.Cleanup(func() {
		pgtest.DropDB(srcDB)
		exec1(t, admin, "DROP ROLE "+role)
	})
	src := pgtest.DSN(srcDB)
	cfg := f.write(t, "notes.yaml", "version: 1\ntables:\n  - table: notes\n    copy: all\n")
	db := fmt.Sprintf("owners_%d", time.Now().UnixNano())
	exec1(t, cl.DSN("postgres"), "CREATE DATABASE "+db)
	tgt := cl.DSN(db)
	cloneOK(t, src, tgt, cfg)
	before := stateOf(t, tgt)

	r := startPlain(t, "clone", "--config", cfg, "--source", src, "--target", tgt, "--keep-owners")
	if code := r.wait(t); code != cli.ExitFailure {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitFailure, r.stderr())
	}
	r.lastLine(t, `^pgtwin: run pg_dump's pre-data DDL on the target: ERROR: role "`+role+`" does not exist \(SQLSTATE 42704\): create the role on the target or leave out --keep-owners$`)
	assertUnchanged(t, tgt, before)
}

// pgDump: no pg_dump, one too old, one that fails half-way. The schema is
// dumped before pgtwin even connects to the target.
func (f *faults) pgDump(t *testing.T) {
	_, tgt, before := f.target(t)
	var major int
	if err := pgtest.Connect(t, f.srcDB).QueryRow(context.Background(), "SELECT current_setting('server_version_num')::int / 10000").Scan(&major); err != nil {
		t.Fatal(err)
	}
	real, err := schema.FindTools(major, "", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	dir := func(t *testing.T, pgDump string) string {
		d := t.TempDir()
		if pgDump == "" {
			return d
		}
		if err := os.WriteFile(filepath.Join(d, "pg_dump"), []byte(pgDump), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(real.PgRestore, filepath.Join(d, "pg_restore")); err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		name, pgDump string
		want         func(dir string) string
	}{{
		name: "missing",
		want: func(dir string) string {
			return fmt.Sprintf(`^pgtwin: pg_dump not found in --pg-bin directory %s: point --pg-bin at the bin directory of a PostgreSQL %d \(or newer\) client$`, regexp.QuoteMeta(dir), major)
		},
	}, {
		name:   "too old",
		pgDump: "#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n",
		want: func(dir string) string {
			return fmt.Sprintf(`^pgtwin: pg_dump %d or newer is needed for this PostgreSQL %d server, found: pg_dump 11 \(%s\); install postgresql-client-%d \(.*\) or point --pg-bin at its bin directory$`,
				major, major, regexp.QuoteMeta(filepath.Join(dir, "pg_dump")), major)
		},
	}, {
		name: "fails half-way",
		pgDump: fmt.Sprintf("#!/bin/sh\n[ \"$1\" = --version ] && exec %s --version\nprintf 'PGDMP'\n"+
			"echo 'pg_dump: error: query failed: server closed the connection unexpectedly' >&2\nexit 1\n", real.PgDump),
		want: func(string) string {
			return `^pgtwin: pg_dump \(exit status 1\): pg_dump: error: query failed: server closed the connection unexpectedly$`
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d := dir(t, tc.pgDump)
			r := startPlain(t, "clone", "--config", f.cfg, "--source", f.src, "--target", tgt, "--pg-bin", d)
			if code := r.wait(t); code != cli.ExitFailure {
				t.Errorf("exit code %d, want %d\n%s", code, cli.ExitFailure, r.stderr())
			}
			r.lastLine(t, tc.want(d))
			r.stderrLacks(t, "pgtwin: target checks")
			assertUnchanged(t, tgt, before)
		})
	}
}

// midLoad starts a run from src to tgt (with more args) that stops in the
// middle of the data phase: it holds the run's copy of the source's orders
// table with a lock (holdUse) and returns once the run's source session
// waits for it. letGo releases the lock.
func (f *faults) midLoad(t *testing.T, tgt, src string, args ...string) (r *pgtwinRun, letGo func()) {
	t.Helper()
	return holdUse(t, f.srcDB, "public.orders", isCopy, func() *pgtwinRun {
		return startPlain(t, append([]string{"clone", "--config", f.cfg, "--source", src, "--target", tgt}, args...)...)
	})
}

// lockTable takes a lock of mode on table of database db in a transaction
// of the test's own, and returns its release; the test's end releases it
// too.
func lockTable(t *testing.T, db, table, mode string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := pgtest.Connect(t, db).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '10s'; LOCK TABLE "+table+" IN "+mode+" MODE"); err != nil {
		t.Fatalf("lock %s: %v", table, err)
	}
	release = sync.OnceFunc(func() { tx.Rollback(ctx) })
	t.Cleanup(release)
	return release
}

// lockWaiters returns the queries of the sessions waiting for a lock on
// table of database db.
func lockWaiters(t *testing.T, db, table string) func() []string {
	t.Helper()
	conn := pgtest.Connect(t, db)
	return func() []string {
		t.Helper()
		return pgtest.Strings(t, conn, `SELECT a.query FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.relation = pg_catalog.to_regclass($1) AND NOT l.granted
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())`, table)
	}
}

// holdUse starts a run (start) and holds it, with locks alone, at the use
// of table of database db that held picks by its query: the copy of a
// source table ("COPY …"), the write of the marker into the target's
// pgtwin.runs. The test locks table before the run starts, so that each
// use waits for it. A use that is not the one to hold (the catalog query
// that opens the table, pg_dump's LOCK TABLE, the target checks' SELECT)
// is let through: the test queues a second lock behind it and lets the
// first go, so the use goes on and, once it has ended, the second lock
// holds the table against the next. holdUse returns once the use to hold
// waits; letGo releases the lock. A use the run's own transaction keeps
// its lock for (a root's EXPLAIN) would stop the test here.
func holdUse(t *testing.T, db, table string, held func(query string) bool, start func() *pgtwinRun) (r *pgtwinRun, letGo func()) {
	t.Helper()
	ctx := context.Background()
	waiters := lockWaiters(t, db, table)
	letGo = lockTable(t, db, table, "ACCESS EXCLUSIVE")
	r = start()
	for {
		var use string
		waitUntil(t, "the run's next use of "+table+" waits for the test's lock", func() bool {
			r.exited(t, "before the use of "+table+" to hold")
			q := waiters()
			if len(q) == 1 {
				use = q[0]
			}
			return len(q) == 1
		})
		if held(use) {
			return r, letGo
		}
		tx, err := pgtest.Connect(t, db).Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		locked := make(chan error, 1)
		go func() {
			_, err := tx.Exec(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE")
			locked <- err
		}()
		waitUntil(t, "the test's next lock on "+table+" queues behind the run's use", func() bool { return len(waiters()) == 2 })
		letGo()
		select {
		case err := <-locked:
			if err != nil {
				t.Fatalf("lock %s: %v", table, err)
			}
		case <-time.After(90 * time.Second):
			t.Fatalf("the use of %s (%s) did not end:\n%s", table, use, r.stderr())
		}
		letGo = sync.OnceFunc(func() { tx.Rollback(ctx) })
		t.Cleanup(letGo)
	}
}

// isCopy picks a source table's copy for holdUse.
func isCopy(query string) bool { return strings.HasPrefix(query, "COPY ") }

// waitForLock waits until the run r has a session on database db that
// waits for a lock.
func waitForLock(t *testing.T, r *pgtwinRun, db, what string) {
	t.Helper()
	waitUntil(t, what, func() bool {
		r.exited(t, "before it waited for the lock")
		return len(sessions(t, pgtest.DSN("postgres"), db, "wait_event_type = 'Lock'")) == 1
	})
}

// loadingSession returns the pid of the run's session on database db of the
// server admin is connected to, and checks that it has been loading rows.
func (f *faults) loadingSession(t *testing.T, admin, db string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pid int
	var state, query string
	err = conn.QueryRow(ctx, `SELECT pid, state, query FROM pg_catalog.pg_stat_activity
WHERE datname = $1 AND application_name = 'pgtwin'`, db).Scan(&pid, &state, &query)
	if err != nil {
		t.Fatalf("find the run's target session: %v", err)
	}
	if state != "idle in transaction" || !strings.HasPrefix(query, "COPY ") {
		t.Fatalf("the run's target session is %q after %q, want idle in transaction after a COPY", state, query)
	}
	return pid
}

// sessions lists the pids of pgtwin's sessions on database db of the server
// admin is connected to, that match the SQL condition cond (if any).
func sessions(t *testing.T, admin, db, cond string) []int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	q := "SELECT pid FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND application_name = 'pgtwin'"
	if cond != "" {
		q += " AND " + cond
	}
	rows, err := conn.Query(ctx, q, db)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

func terminate(t *testing.T, admin string, pid int) {
	t.Helper()
	exec1(t, admin, fmt.Sprintf("SELECT pg_catalog.pg_terminate_backend(%d)", pid))
}

// exec1 runs SQL on database dsn.
func exec1(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.PgConn().Exec(ctx, sql).Close(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// cloneOK runs pgtwin clone in-process and fails the test unless it works.
func cloneOK(t *testing.T, src, tgt, cfg string, args ...string) {
	t.Helper()
	var out bytes.Buffer
	env := cli.Env{Stdout: &out, Stderr: &out, Getenv: os.Getenv}
	args = append([]string{"clone", "--quiet", "--config", cfg, "--source", src, "--target", tgt}, args...)
	if code := cli.Run(context.Background(), args, env); code != cli.ExitOK {
		t.Fatalf("pgtwin %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second) // generous: the machine may be loaded
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func signal(t *testing.T, r *pgtwinRun, sig os.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// pgtwinRun is a pgtwin process: this test binary run under the name
// pgtwin, which TestMain turns into cli.Main.
type pgtwinRun struct {
	cmd *exec.Cmd
	// stdin is the run's standard input (restore --input -).
	stdin io.WriteCloser
	mu    sync.Mutex
	err   bytes.Buffer
	eof   chan struct{}
	code  int
	done  bool
}

// startPgtwinEnv starts pgtwin with args and environment env, its stderr
// collected as it comes; the test's end kills a run still going.
func startPgtwinEnv(t *testing.T, env []string, args ...string) *pgtwinRun {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := &pgtwinRun{eof: make(chan struct{})}
	r.cmd = &exec.Cmd{Path: exe, Args: append([]string{"pgtwin"}, args...), Stdout: &bytes.Buffer{}, Env: env}
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.eof)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.mu.Lock()
			r.err.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if !r.done {
			r.cmd.Process.Kill()
			<-r.eof
			r.cmd.Wait()
		}
	})
	return r
}

func (r *pgtwinRun) stderr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err.String()
}

// waitFor waits until the process has written line (a prefix) to stderr.
func (r *pgtwinRun) waitFor(t *testing.T, line string) {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		for _, l := range strings.Split(r.stderr(), "\n") {
			if strings.HasPrefix(l, line) {
				return
			}
		}
		select {
		case <-r.eof:
			t.Fatalf("pgtwin exited without saying %q:\n%s", line, r.stderr())
		case <-deadline:
			t.Fatalf("pgtwin did not say %q in time:\n%s", line, r.stderr())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// exited fails the test when the process has exited (when: before what).
func (r *pgtwinRun) exited(t *testing.T, when string) {
	t.Helper()
	select {
	case <-r.eof:
		t.Fatalf("pgtwin exited %s:\n%s", when, r.stderr())
	default:
	}
}

// wait waits for the process to exit and returns its exit code (-1 when a
// signal ended it).
func (r *pgtwinRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.eof:
	case <-time.After(2 * time.Minute):
		r.cmd.Process.Kill()
		t.Fatalf("pgtwin did not exit in time:\n%s", r.stderr())
	}
	err := r.cmd.Wait()
	r.done = true
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.code = 0
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return r.code
}

// lastLine checks the last line pgtwin wrote to stderr against a regexp.
func (r *pgtwinRun) lastLine(t *testing.T, re string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.stderr(), "\n"), "\n")
	last := withoutDocHint(lines[len(lines)-1])
	if !regexp.MustCompile(re).MatchString(last) {
		t.Errorf("last line of stderr:\n  %s\nwant it to match\n  %s\nall of stderr:\n%s", last, re, r.stderr())
	}
}

func (r *pgtwinRun) stderrHas(t *testing.T, line string) {
	t.Helper()
	if !strings.Contains(r.stderr(), line+"\n") {
		t.Errorf("stderr lacks %q:\n%s", line, r.stderr())
	}
}

func (r *pgtwinRun) stderrLacks(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(r.stderr(), s) {
		t.Errorf("stderr has %q:\n%s", s, r.stderr())
	}
}
