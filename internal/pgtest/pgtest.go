// Package pgtest gives tests real PostgreSQL databases: one throwaway cluster
// per test binary (or the server named by PGTWIN_TEST_DSN) and a fresh
// database per test.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/pglocal"
)

var (
	server  *pglocal.Cluster
	baseCfg *pgconn.Config
	counter atomic.Int64
	prefix  = fmt.Sprintf("pgtwin_t%d_", os.Getpid())
)

// Main runs the package's tests against a throwaway cluster and stops it
// afterwards. Without a server the tests fail when $CI is set and are skipped
// (with a message) otherwise.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dsn := os.Getenv("PGTWIN_TEST_DSN")
	if dsn == "" {
		c, err := pglocal.Start(ctx, pglocal.Options{})
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: cannot start a PostgreSQL server: %v\n", err)
			if os.Getenv("CI") != "" {
				return 1
			}
			fmt.Fprintln(os.Stderr, "pgtest: skipping database tests (set CI=1 to make this a failure)")
			return 0
		}
		server = c
		defer c.Stop()
		dsn = c.DSN("postgres")
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: PGTWIN_TEST_DSN: %v\n", err)
		return 1
	}
	baseCfg = cfg
	return m.Run()
}

// Cluster returns the throwaway cluster, or nil when PGTWIN_TEST_DSN is used.
func Cluster() *pglocal.Cluster { return server }

// DSN returns a keyword/value connection string for database db on the test
// server.
func DSN(db string) string {
	c := baseCfg
	parts := []string{
		"host=" + quote(c.Host),
		fmt.Sprintf("port=%d", c.Port),
		"user=" + quote(c.User),
		"dbname=" + quote(db),
	}
	if c.Password != "" {
		parts = append(parts, "password="+quote(c.Password))
	}
	if c.TLSConfig == nil {
		parts = append(parts, "sslmode=disable")
	}
	return strings.Join(parts, " ")
}

// URL returns the postgres:// form of DSN(db) (TCP or socket).
func URL(db string) string {
	c := baseCfg
	u := url.URL{Scheme: "postgres", User: url.User(c.User), Path: "/" + db}
	q := url.Values{}
	if strings.HasPrefix(c.Host, "/") {
		q.Set("host", c.Host)
		q.Set("port", fmt.Sprint(c.Port))
		u.Host = ""
	} else {
		u.Host = fmt.Sprintf("%s:%d", c.Host, c.Port)
	}
	if c.TLSConfig == nil {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// NewDB creates an empty database for the test, runs the given SQL scripts
// in it, and drops it when the test ends. It returns the database's name.
func NewDB(t testing.TB, scripts ...string) string {
	t.Helper()
	if baseCfg == nil {
		t.Fatal("pgtest: no server; call pgtest.Main from TestMain")
	}
	name := fmt.Sprintf("%s%d", prefix, counter.Add(1))
	ctx := context.Background()
	admin := Connect(t, "postgres")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), DSN("postgres"))
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	if len(scripts) > 0 {
		conn := Connect(t, name)
		for _, s := range scripts {
			Exec(t, conn, s)
		}
	}
	return name
}

// Connect opens a connection to database db, closed when the test ends.
func Connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), DSN(db))
	if err != nil {
		t.Fatalf("connect to %s: %v", db, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Exec runs a multi-statement SQL script (simple protocol) or fails the test.
func Exec(t testing.TB, conn *pgx.Conn, sql string) {
	t.Helper()
	if err := conn.PgConn().Exec(context.Background(), sql).Close(); err != nil {
		t.Fatalf("exec: %v\n%s", err, sql)
	}
}
