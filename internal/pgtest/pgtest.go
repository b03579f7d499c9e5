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
	os.Exit(Run(m))
}

// Run is Main without the exit, for TestMains that wrap it (testscript).
func Run(m interface{ Run() int }) int {
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
	name, err := CreateDB(context.Background(), scripts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DropDB(name) })
	return name
}

// CreateDB creates a database with a fresh name and runs the SQL scripts in
// it. The caller drops it with DropDB.
func CreateDB(ctx context.Context, scripts ...string) (string, error) {
	return createDB(ctx, fmt.Sprintf("%s%d", prefix, counter.Add(1)), scripts)
}

// NewNamedDB is NewDB with a fixed name, for output that shows it. An
// existing database of that name is dropped first.
func NewNamedDB(t testing.TB, name string, scripts ...string) string {
	t.Helper()
	DropDB(name)
	if _, err := createDB(context.Background(), name, scripts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DropDB(name) })
	return name
}

func createDB(ctx context.Context, name string, scripts []string) (string, error) {
	if baseCfg == nil {
		return "", fmt.Errorf("pgtest: no server; call pgtest.Main from TestMain")
	}
	admin, err := pgx.Connect(ctx, DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	if len(scripts) == 0 {
		return name, nil
	}
	conn, err := pgx.Connect(ctx, DSN(name))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect to %s: %w", name, err)
	}
	defer conn.Close(ctx)
	for _, s := range scripts {
		if err := conn.PgConn().Exec(ctx, s).Close(); err != nil {
			return "", fmt.Errorf("pgtest: setup script: %w", err)
		}
	}
	return name, nil
}

// DropDB drops a database made by CreateDB, disconnecting its sessions.
func DropDB(name string) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, DSN("postgres"))
	if err != nil {
		return
	}
	defer c.Close(ctx)
	c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
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

// Querier runs a query: a *pgx.Conn or a pgx.Tx.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Strings runs a query of one text column and returns its values, or
// fails the test.
func Strings(t testing.TB, q Querier, sql string, args ...any) []string {
	t.Helper()
	rows, err := q.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// ReadOnlyTx opens a READ ONLY REPEATABLE READ transaction on database db,
// as pgtwin reads a source; the test's end rolls it back.
func ReadOnlyTx(t testing.TB, db string) pgx.Tx {
	t.Helper()
	tx, err := Connect(t, db).BeginTx(context.Background(), pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	return tx
}
