package cli_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// These fault tests stop a real pgtwin process where it hurts most, found
// from outside as an operator would see it (the target's pg_stat_activity,
// pg_stat_progress_copy and pg_locks), with no hook in pgtwin: in the
// middle of a COPY that has already sent rows, after the target
// transaction has begun replacing the previous twin, and in the middle of
// an index build. Each time the target holds a previous twin, and
// afterwards it is byte for byte what it was (stateOf).

// slowCopySource is a source whose table takes the target about 50 s to
// load: a CHECK constraint (created with the table, before the rows) calls
// a function that sleeps 50 ms a row. The source's own rows went in while
// the function was still quick.
const slowCopySource = `
CREATE FUNCTION slow_ok(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE TABLE readings (id int PRIMARY KEY, v text NOT NULL, CONSTRAINT readings_slow CHECK (public.slow_ok(id)));
INSERT INTO readings SELECT i, 'reading ' || i FROM generate_series(1, 1000) i;
CREATE OR REPLACE FUNCTION slow_ok(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(0.05); RETURN true; END $$;`

// slowCopy makes the slow source and a target holding a previous twin of
// it (its first 20 rows), and returns them with the config of the run to
// fault (every row) and the target's state.
func slowCopy(t *testing.T) (src, tgtDB, tgt, cfg string, before dbState) {
	t.Helper()
	src = pgtest.DSN(pgtest.NewDB(t, slowCopySource))
	tgtDB = pgtest.NewDB(t)
	tgt = pgtest.DSN(tgtDB)
	cloneOK(t, src, tgt, writeFile(t, "base.yaml", "version: 1\nroots:\n  - table: readings\n    where: id <= 20\n"))
	before = stateOf(t, tgt)
	if !strings.HasPrefix(before.Tables["public.readings"], "20:") {
		t.Fatalf("the previous twin is not 20 readings: %s", before)
	}
	return src, tgtDB, tgt, writeFile(t, "all.yaml", "version: 1\ntables:\n  - table: readings\n    copy: all\n"), before
}

// startPlain starts the built pgtwin with args, as a user would: no test
// hook in its environment.
func startPlain(t *testing.T, args ...string) *pgtwinRun {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PGTWIN_TEST_") {
			env = append(env, kv)
		}
	}
	return startPgtwinEnv(t, env, args...)
}

// queryInt runs a query that returns one integer (or none: -1) on the
// test server's postgres database.
func queryInt(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n *int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil && err != pgx.ErrNoRows {
		t.Fatalf("%v\n%s", err, sql)
	}
	if n == nil {
		return -1
	}
	return *n
}

// copyingMidStream waits until pgtwin's target session on database db is
// in the middle of a COPY into it that has taken some rows already (5 of
// 1,000), and returns how many.
func copyingMidStream(t *testing.T, r *pgtwinRun, db string) int64 {
	t.Helper()
	var n int64
	waitUntil(t, "pgtwin's COPY into the target has taken rows", func() bool {
		select {
		case <-r.eof:
			t.Fatalf("pgtwin exited before its COPY got going:\n%s", r.stderr())
		default:
		}
		n = queryInt(t, `SELECT max(p.tuples_processed) FROM pg_catalog.pg_stat_progress_copy p
JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
WHERE a.datname = $1 AND a.application_name = 'pgtwin' AND p.command = 'COPY FROM'`, db)
		return n >= 5
	})
	return n
}

// sessionsEnd waits until pgtwin has no session left on database db, and
// fails when that took longer than within: what the run was doing would
// have gone on longer.
func sessionsEnd(t *testing.T, db string, start time.Time, within time.Duration, what string) {
	t.Helper()
	waitUntil(t, what+" ends", func() bool {
		return len(sessions(t, pgtest.DSN("postgres"), db, "")) == 0
	})
	if d := time.Since(start); d > within {
		t.Errorf("%s lived on for %v after the run was stopped", what, d)
	}
}

// buildingIndex waits until pgtwin's target session on database db builds
// an index.
func buildingIndex(t *testing.T, r *pgtwinRun, db string) {
	t.Helper()
	waitUntil(t, "the target builds the slow index", func() bool {
		r.exited(t, "before the index build")
		return queryInt(t, `SELECT count(*) FROM pg_catalog.pg_stat_progress_create_index p
JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
WHERE a.datname = $1 AND a.application_name = 'pgtwin' AND p.phase LIKE 'building index%'`, db) > 0
	})
}

// TestKillMidCopy: SIGKILL while the target takes rows. The COPY (about
// 50 s of rows) is cut short when the server sees the client gone, and the
// previous twin stays.
func TestKillMidCopy(t *testing.T) {
	src, tgtDB, tgt, cfg, before := slowCopy(t)
	r := startPlain(t, "clone", "--quiet", "--config", cfg, "--source", src, "--target", tgt)
	n := copyingMidStream(t, r, tgtDB)
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if code := r.wait(t); code != -1 {
		t.Fatalf("exit code %d, want killed (-1)", code)
	}
	t.Logf("killed after the target had taken %d rows", n)
	sessionsEnd(t, tgtDB, start, 30*time.Second, "the killed run's target session")
	assertUnchanged(t, tgt, before)
}

// TestInterruptMidCopy: SIGINT while the target takes rows rolls back at
// once (not when the COPY would have ended), exits 130 and says so.
func TestInterruptMidCopy(t *testing.T) {
	src, tgtDB, tgt, cfg, before := slowCopy(t)
	r := startPlain(t, "clone", "--quiet", "--config", cfg, "--source", src, "--target", tgt)
	n := copyingMidStream(t, r, tgtDB)
	signal(t, r, os.Interrupt)
	start := time.Now()
	if code := r.wait(t); code != cli.ExitInterrupted {
		t.Errorf("exit code %d, want %d\n%s", code, cli.ExitInterrupted, r.stderr())
	}
	t.Logf("interrupted after the target had taken %d rows", n)
	r.stderrHas(t, "pgtwin: interrupted, rolling back (press Ctrl-C again to exit at once)")
	r.lastLine(t, `^pgtwin: interrupted: the run was rolled back, the target is as it was$`)
	sessionsEnd(t, tgtDB, start, 30*time.Second, "the interrupted run's target session")
	assertUnchanged(t, tgt, before)
}

// TestKillDuringPreData: SIGKILL after the target transaction has begun
// replacing the previous twin. The twin has two schemas; a reader of the
// second (a developer's open transaction) makes the run wait after it has
// dropped the first, and the run is killed there. Once the reader is gone
// the previous twin is all there, both schemas.
func TestKillDuringPreData(t *testing.T) {
	ctx := context.Background()
	src := pgtest.DSN(pgtest.NewDB(t, `
CREATE SCHEMA a; CREATE SCHEMA b;
CREATE TABLE a.users (id int PRIMARY KEY);
CREATE TABLE b.orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES a.users);
INSERT INTO a.users SELECT generate_series(1, 10);
INSERT INTO b.orders SELECT i, 1 + i % 10 FROM generate_series(1, 30) i;`))
	tgtDB := pgtest.NewDB(t)
	tgt := pgtest.DSN(tgtDB)
	cloneOK(t, src, tgt, writeFile(t, "base.yaml", "version: 1\nroots:\n  - table: a.users\n    where: id <= 2\n"))
	before := stateOf(t, tgt)

	reader := pgtest.Connect(t, tgtDB)
	tx, err := reader.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM b.orders"); err != nil {
		t.Fatal(err)
	}

	r := startPlain(t, "clone", "--quiet", "--config", writeFile(t, "all.yaml", "version: 1\nroots:\n  - table: a.users\n    all: true\n"),
		"--source", src, "--target", tgt)
	var pid int64
	waitUntil(t, "the run waits for the reader's lock on b.orders", func() bool {
		select {
		case <-r.eof:
			t.Fatalf("pgtwin exited before it waited for the lock:\n%s", r.stderr())
		default:
		}
		pid = queryInt(t, `SELECT l.pid FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE NOT l.granted AND a.datname = $1 AND a.application_name = 'pgtwin'`, tgtDB)
		return pid > 0
	})
	// By now the run's transaction has dropped schema a: it holds a.users
	// exclusively (the previous twin's table, still there for everyone
	// else).
	if n := queryInt(t, `SELECT count(*) FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_database d ON d.oid = l.database
WHERE d.datname = $1 AND l.pid = $2 AND l.granted AND l.mode = 'AccessExclusiveLock' AND l.locktype = 'relation'`, tgtDB, pid); n == 0 {
		t.Fatalf("the run holds no exclusive lock on the previous twin's tables: it has not begun to replace them")
	}
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != -1 {
		t.Fatalf("exit code %d, want killed (-1)", code)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	sessionsEnd(t, tgtDB, time.Now(), 30*time.Second, "the killed run's target session")
	assertUnchanged(t, tgt, before)
	// And a new run is not locked out.
	cloneOK(t, src, tgt, writeFile(t, "again.yaml", "version: 1\nroots:\n  - table: a.users\n    all: true\n"))
}

// TestKillMidIndexBuildOverTwin: SIGKILL while the target builds a slow
// index (100 s) over a target that holds a previous twin with that index.
func TestKillMidIndexBuildOverTwin(t *testing.T) {
	f := &faults{dir: t.TempDir()}
	src, all := f.slowIndexSource(t)
	tgtDB := pgtest.NewDB(t)
	tgt := pgtest.DSN(tgtDB)
	// The previous twin: three products, three seconds of index build.
	cloneOK(t, src, tgt, writeFile(t, "three.yaml", "version: 1\nroots:\n  - table: products\n    where: id <= 3\n"))
	before := stateOf(t, tgt)
	if !strings.HasPrefix(before.Tables["public.products"], "3:") {
		t.Fatalf("the previous twin is not 3 products: %s", before)
	}
	r := startPlain(t, "clone", "--quiet", "--config", all, "--source", src, "--target", tgt)
	buildingIndex(t, r, tgtDB)
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if code := r.wait(t); code != -1 {
		t.Fatalf("exit code %d, want killed (-1)", code)
	}
	sessionsEnd(t, tgtDB, start, 60*time.Second, "the killed run's target session (the index build takes 100 s)")
	assertUnchanged(t, tgt, before)
}
