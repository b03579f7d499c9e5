package cli_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/guard"
	"github.com/pgtwin/pgtwin/internal/pglocal"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestOneRunAtATime: a run on a target another run is loading (someone
// holds the advisory lock guard.TargetLockKey) fails at once with one line,
// or with --wait says it waits, waits, and goes on once the other run ends;
// a waiting run stops on Ctrl-C. The target is unchanged by every run that
// does not get the lock.
func TestOneRunAtATime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real pgtwin processes")
	}
	ctx := context.Background()
	srcDB := pgtest.NewDB(t)
	createShop(t, pgtest.DSN(srcDB))
	src := pgtest.DSN(srcDB)
	cfg := shopConfig(t)
	tgtDB := pgtest.NewDB(t)
	tgt := pgtest.DSN(tgtDB)
	cloneOK(t, src, tgt, cfg)
	name := regexp.QuoteMeta("@socket ") + `.+/` + tgtDB

	// hold takes the run lock from a connection of the test's own.
	hold := func(t *testing.T) (release func()) {
		conn := pgtest.Connect(t, tgtDB)
		if _, err := conn.Exec(ctx, "SELECT pg_catalog.pg_advisory_lock($1)", guard.TargetLockKey); err != nil {
			t.Fatal(err)
		}
		return func() {
			if _, err := conn.Exec(ctx, "SELECT pg_catalog.pg_advisory_unlock($1)", guard.TargetLockKey); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("fails at once", func(t *testing.T) {
		defer hold(t)()
		before := stateOf(t, tgt)
		start := time.Now()
		r := runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", src, "--target", tgt)
		if r.code != cli.ExitFailure {
			t.Errorf("exit code %d, want %d\n%s", r.code, cli.ExitFailure, r.stderr)
		}
		r.oneLine(t, `^pgtwin: another pgtwin run is loading postgres`+name+`; wait for it to finish, or pass --wait to wait for it$`)
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("took %v to fail", d)
		}
		assertUnchanged(t, tgt, before)
	})

	t.Run("--wait waits, then runs", func(t *testing.T) {
		release := hold(t)
		before := stateOf(t, tgt)
		r := startPlain(t, "clone", "--quiet", "--wait", "--config", cfg, "--source", src, "--target", tgt)
		r.waitFor(t, "pgtwin: waiting for another pgtwin run on postgres@socket ")
		r.lastLine(t, `^pgtwin: waiting for another pgtwin run on postgres`+name+`…$`)
		select {
		case <-r.eof:
			t.Fatalf("pgtwin exited while the lock was held:\n%s", r.stderr())
		case <-time.After(time.Second):
		}
		assertUnchanged(t, tgt, before)
		release()
		if code := r.wait(t); code != cli.ExitOK {
			t.Fatalf("exit code %d, want 0\n%s", code, r.stderr())
		}
		if n := strings.Count(r.stderr(), "\n"); n != 1 {
			t.Errorf("stderr has %d lines, want the waiting line only:\n%s", n, r.stderr())
		}
		if marker(t, tgt) == before.Tables["pgtwin.runs"] {
			t.Error("the waiting run wrote no marker")
		}
	})

	t.Run("--wait behind a held pgtwin run", func(t *testing.T) {
		// A reader of the twin holds the first run in pre-data, with the
		// run lock.
		letGo := lockTable(t, tgtDB, "public.orders", "ACCESS SHARE")
		first := startPlain(t, "clone", "--quiet", "--config", cfg, "--source", src, "--target", tgt)
		waitForLock(t, first, tgtDB, "the first run waits to replace the twin")
		second := startPlain(t, "clone", "--quiet", "--wait", "--config", cfg, "--source", src, "--target", tgt)
		second.waitFor(t, "pgtwin: waiting for another pgtwin run on ")
		letGo()
		if code := first.wait(t); code != cli.ExitOK {
			t.Fatalf("first run: exit code %d\n%s", code, first.stderr())
		}
		if code := second.wait(t); code != cli.ExitOK {
			t.Fatalf("second run: exit code %d\n%s", code, second.stderr())
		}
		var runs int
		if err := pgtest.Connect(t, tgtDB).QueryRow(ctx, "SELECT count(*) FROM pgtwin.runs").Scan(&runs); err != nil || runs < 3 {
			t.Errorf("pgtwin.runs has %d rows (%v), want both runs' markers", runs, err)
		}
	})

	t.Run("Ctrl-C while waiting", func(t *testing.T) {
		defer hold(t)()
		before := stateOf(t, tgt)
		r := startPlain(t, "clone", "--quiet", "--wait", "--config", cfg, "--source", src, "--target", tgt)
		r.waitFor(t, "pgtwin: waiting for another pgtwin run on ")
		signal(t, r, os.Interrupt)
		if code := r.wait(t); code != cli.ExitInterrupted {
			t.Errorf("exit code %d, want %d\n%s", code, cli.ExitInterrupted, r.stderr())
		}
		r.lastLine(t, `^pgtwin: interrupted: the run was rolled back, the target is as it was$`)
		assertUnchanged(t, tgt, before)
		// The abandoned wait was cancelled on the server too: nothing of
		// the run is left waiting for the lock.
		waitUntil(t, "the run's target session ends", func() bool {
			return len(sessions(t, pgtest.DSN("postgres"), tgtDB, "")) == 0
		})
	})
}

// marker returns the checksum of the target's pgtwin.runs.
func marker(t *testing.T, dsn string) string { return stateOf(t, dsn).Tables["pgtwin.runs"] }

// TestNeverTheSource: whatever URL the target is given — the Unix socket,
// TCP to 127.0.0.1 or to localhost, a keyword/value string or a URL, its
// parameters in any order, with extra parameters — a target that is the
// source database is refused before anything is written (exit 2, one
// line), and the source (which is the target) is unchanged. Another
// database of the same server is a fine target; so is a primary whose hot
// standby is the source (the two servers share a system identifier, but
// they are different databases); a hot standby is not a target (read-only).
func TestNeverTheSource(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real pgtwin processes and servers")
	}
	ctx := context.Background()
	cl, err := pglocal.Start(ctx, pglocal.Options{TCP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Stop() })
	exec1(t, cl.DSN("postgres"), "CREATE DATABASE shop")
	createShop(t, cl.DSN("shop"))
	cfg := shopConfig(t)
	socket := cl.DSN("shop")
	before := stateOf(t, socket)

	sock := url.QueryEscape(cl.Socket)
	forms := map[string]string{
		"socket keyword/value":      socket,
		"socket URL":                fmt.Sprintf("postgres:///shop?host=%s&port=%d&user=postgres&sslmode=disable", sock, cl.Port),
		"socket URL, other order":   fmt.Sprintf("postgresql://postgres@/shop?sslmode=disable&port=%d&host=%s&application_name=other", cl.Port, sock),
		"TCP 127.0.0.1 URL":         cl.URL("postgres", "shop"),
		"TCP localhost URL":         fmt.Sprintf("postgres://postgres@localhost:%d/shop?sslmode=disable", cl.Port),
		"TCP keyword/value":         fmt.Sprintf("host=127.0.0.1 port=%d dbname=shop user=postgres sslmode=disable", cl.Port),
		"TCP keyword/value, spaced": fmt.Sprintf("dbname = 'shop'  sslmode=disable user=postgres host=localhost port = %d connect_timeout=5", cl.Port),
		"TCP URL, options":          fmt.Sprintf("postgres://postgres@127.0.0.1:%d/shop?options=-c%%20statement_timeout%%3D0&sslmode=disable&connect_timeout=10", cl.Port),
	}
	// Each form as the target of a run from the socket, and the socket as
	// the target of a run from each form.
	for name, form := range forms {
		for _, dir := range []struct{ name, src, tgt string }{{"target", socket, form}, {"source", form, socket}} {
			if dir.src == dir.tgt {
				continue
			}
			t.Run(name+" as the "+dir.name, func(t *testing.T) {
				r := runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", dir.src, "--target", dir.tgt)
				if r.code != cli.ExitUsage {
					t.Errorf("exit code %d, want %d\n%s", r.code, cli.ExitUsage, r.stderr)
				}
				r.oneLine(t, `^pgtwin: the target postgres@.+:\d+/shop is the source database itself \(the source server sees the target's session\): refusing to write; check the target URL$`)
				assertUnchanged(t, socket, before)
			})
		}
	}

	t.Run("another database of the same server", func(t *testing.T) {
		exec1(t, cl.DSN("postgres"), "CREATE DATABASE shop_twin")
		r := runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", cl.URL("postgres", "shop"), "--target", cl.DSN("shop_twin"))
		if r.code != cli.ExitOK {
			t.Fatalf("exit code %d, want 0\n%s", r.code, r.stderr)
		}
		assertUnchanged(t, socket, before)
	})

	standby, err := cl.StartStandby(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Stop() })
	if err := standby.WaitReplay(ctx, cl); err != nil {
		t.Fatal(err)
	}

	t.Run("the target's standby as the source", func(t *testing.T) {
		// The standby's shop_twin is a replica of the target itself.
		// Replay is paused for the run: replaying the target's DROP
		// SCHEMA (its ACCESS EXCLUSIVE locks) would otherwise wait for
		// the source's reads of the same tables, which wait for the
		// target: a standby of the target is a source for tests only.
		exec1(t, standby.DSN("postgres"), "SELECT pg_catalog.pg_wal_replay_pause()")
		defer exec1(t, standby.DSN("postgres"), "SELECT pg_catalog.pg_wal_replay_resume()")
		r := runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", standby.DSN("shop_twin"), "--target", cl.DSN("shop_twin"))
		if r.code != cli.ExitOK {
			t.Fatalf("exit code %d, want 0\n%s", r.code, r.stderr)
		}
		c, err := pgx.Connect(ctx, cl.DSN("shop_twin"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var src string
		if err := c.QueryRow(ctx, "SELECT source FROM pgtwin.runs ORDER BY id DESC LIMIT 1").Scan(&src); err != nil || !strings.Contains(src, standby.Socket) {
			t.Errorf("the marker's source is %q (%v), want the standby", src, err)
		}
	})

	t.Run("a standby as the target", func(t *testing.T) {
		if err := standby.WaitReplay(ctx, cl); err != nil {
			t.Fatal(err)
		}
		tgt := standby.DSN("shop_twin")
		standbyBefore := stateOf(t, tgt)
		r := runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", socket, "--target", tgt)
		if r.code != cli.ExitUsage {
			t.Errorf("exit code %d, want %d\n%s", r.code, cli.ExitUsage, r.stderr)
		}
		r.oneLine(t, `^pgtwin: the target postgres@socket .+/shop_twin is read-only \(a standby\? the server is in recovery\): point the target URL at the primary$`)
		assertUnchanged(t, tgt, standbyBefore)
		assertUnchanged(t, socket, before)
	})
}
