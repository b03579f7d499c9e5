package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pglocal"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// pgBouncer is a PgBouncer process in front of the test server.
type pgBouncer struct {
	Port int
	cmd  *exec.Cmd
	log  bytes.Buffer
}

// startPgBouncer starts PgBouncer (the `pgbouncer` on PATH or in
// /usr/sbin) on a free loopback port, in front of the test server's Unix
// socket, with every database pooled in mode ("session", "transaction" or
// "statement") and trust authentication. It runs as the postgres OS user
// when the test runs as root (PgBouncer refuses root). The test is skipped
// when PgBouncer is not installed, unless $CI is set (.ci/run installs it).
func startPgBouncer(t *testing.T, mode string, settings ...string) *pgBouncer {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/pgbouncer"); err2 == nil {
			bin, err = "/usr/sbin/pgbouncer", nil
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pgbouncer is not installed (.ci/run installs it)")
		}
		t.Skip("pgbouncer is not installed")
	}
	srv := pgtest.Cluster()
	if srv == nil {
		t.Skip("needs the throwaway server (PGTWIN_TEST_DSN is set)")
	}
	backend := fmt.Sprintf("host=%s port=%d", srv.Socket, srv.Port)
	var extra []string
	for _, s := range settings {
		if h, ok := strings.CutPrefix(s, "backend="); ok {
			backend = h
			continue
		}
		extra = append(extra, s)
	}
	// Not t.TempDir: its parent is private to this user, and PgBouncer
	// may run as another.
	dir, err := os.MkdirTemp("", "pgtwin-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ini := fmt.Sprintf(`[databases]
* = %s user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = %s
default_pool_size = 4
max_client_conn = 100
ignore_startup_parameters = extra_float_digits,options
query_wait_timeout = 10
%s
`, backend, port, filepath.Join(dir, "users.txt"), mode, strings.Join(extra, "\n"))
	if err := os.WriteFile(filepath.Join(dir, "users.txt"), []byte(`"postgres" ""`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pgbouncer.ini"), []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &pgBouncer{Port: port}
	b.cmd = exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	b.cmd.Stdout = &b.log
	b.cmd.Stderr = &b.log
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres OS user to run pgbouncer as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		b.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() { b.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			b.cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return b
		}
		select {
		case <-exited:
			t.Fatalf("pgbouncer exited:\n%s", b.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer did not listen on port %d:\n%s", port, b.log.String())
		}
	}
}

// DSN is a keyword/value connection string for database db through PgBouncer.
func (b *pgBouncer) DSN(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", b.Port, db)
}

// TestTransactionPooler: a source reached through a pooler that cannot give
// pg_dump a session sharing pgtwin's exported snapshot — PgBouncer in
// statement mode, in transaction mode with no server connection to spare,
// or spreading connections over two servers — is refused before the target
// is touched, with a line that says to use a direct endpoint. pgtwin tries
// the import itself, as pg_dump will (see checkSnapshotShared). PgBouncer
// in session mode, and in transaction mode with connections to spare,
// works: the exporting transaction keeps its server connection, where
// pg_dump's session can import the snapshot.
func TestTransactionPooler(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srcDB := pgtest.NewDB(t)
	createShop(t, pgtest.DSN(srcDB))
	cfg := shopConfig(t)
	tgt := pgtest.DSN(pgtest.NewDB(t))
	cloneOK(t, pgtest.DSN(srcDB), tgt, cfg)
	before := stateOf(t, tgt)
	const refused = `^pgtwin: the source connection goes through a transaction-mode pooler or a load balancer \(the source postgres@127\.0\.0\.1:\d+/\w+ from --source: %s\): exported snapshots cannot be shared; use a direct \(session\) endpoint — e\.g\. Neon's host without -pooler, or PgBouncer in session mode$`

	for _, tc := range []struct {
		name, mode string
		settings   []string
		detail     string
	}{
		{"statement mode", "statement", nil, `FATAL: transaction blocks not allowed in statement pooling mode \(SQLSTATE 08P01\)`},
		{"transaction mode without a spare server connection", "transaction", []string{"default_pool_size = 1", "query_wait_timeout = 2"}, `FATAL: query_wait_timeout \(SQLSTATE 08P01\)`},
		{"transaction mode over two servers", "transaction", []string{"backend=" + twoServers(t, srcDB)}, `a second session cannot import the snapshot of the first: invalid snapshot identifier: "[^"]+"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startPgBouncer(t, tc.mode, tc.settings...)
			r := runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", b.DSN(srcDB), "--target", tgt)
			if r.code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d\n%s", r.code, cli.ExitUsage, r.stderr)
			}
			r.oneLine(t, fmt.Sprintf(refused, tc.detail))
			assertUnchanged(t, tgt, before)
		})
	}
	for _, mode := range []string{"session", "transaction"} {
		t.Run(mode+" mode works", func(t *testing.T) {
			b := startPgBouncer(t, mode)
			r := runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", b.DSN(srcDB), "--target", tgt)
			if r.code != cli.ExitOK {
				t.Fatalf("exit code %d, want 0\n%s", r.code, r.stderr)
			}
			conn, err := pgx.Connect(ctx, tgt)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var src string
			if err := conn.QueryRow(ctx, "SELECT source FROM pgtwin.runs ORDER BY id DESC LIMIT 1").Scan(&src); err != nil || !strings.Contains(src, strconv.Itoa(b.Port)) {
				t.Errorf("marker source %q (%v), want the pooler's port %d", src, err, b.Port)
			}
		})
	}
}

// twoServers returns a PgBouncer backend setting that spreads server
// connections round-robin over the test server and a second throwaway
// server holding the same database (the shop, same seed), as a load
// balancer over replicas would.
func twoServers(t *testing.T, db string) string {
	t.Helper()
	srv := pgtest.Cluster()
	if srv == nil {
		return ""
	}
	ctx := context.Background()
	other, err := pglocal.Start(ctx, pglocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Stop() })
	exec1(t, other.DSN("postgres"), "CREATE DATABASE "+db)
	createShop(t, other.DSN(db))
	if other.Port != srv.Port {
		t.Fatalf("the servers' ports differ (%d, %d): PgBouncer takes one port for its host list", srv.Port, other.Port)
	}
	return fmt.Sprintf("host=%s,%s port=%d", srv.Socket, other.Socket, srv.Port)
}
