package clone_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/demo"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// The tests in this file twin sources that pgtwin may only read: through a
// role that has nothing but CONNECT, USAGE and SELECT; from a database whose
// sessions are read-only by default; and from a hot standby. Each checks the
// twin against the oracle and verifyTwin, and that the source is exactly as
// it was before the run.

// accessSchema adds to the demo shop a second schema with the objects a
// role that may only read must still be able to dump: an enum, a domain, an
// identity column, a function and a trigger, a view, a materialized view
// and a partitioned table.
const accessSchema = `
CREATE SCHEMA ops;
CREATE TYPE ops.level AS ENUM ('low', 'high');
CREATE DOMAIN ops.positive AS integer CHECK (VALUE > 0);
CREATE TABLE ops.tickets (
    id      int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES public.users,
    level   ops.level NOT NULL,
    weight  ops.positive NOT NULL,
    opened  date NOT NULL
);
CREATE FUNCTION ops.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.opened := current_date; RETURN NEW; END$$;
CREATE TRIGGER tickets_touch BEFORE UPDATE ON ops.tickets FOR EACH ROW EXECUTE FUNCTION ops.touch();
CREATE TABLE ops.notes (id int, at date, ticket_id int NOT NULL REFERENCES ops.tickets, body text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE ops.notes_2024 PARTITION OF ops.notes FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE ops.notes_2025 PARTITION OF ops.notes FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO ops.tickets (user_id, level, weight, opened)
SELECT 1 + (i * 37) % 2000, (ARRAY['low', 'high']::ops.level[])[1 + i % 2], 1 + i % 9, date '2024-01-01' + i
FROM generate_series(1, 500) i;
INSERT INTO ops.notes SELECT i, date '2024-01-01' + i, 1 + (i * 7) % 500, 'note ' || i FROM generate_series(1, 600) i;
CREATE VIEW ops.urgent AS SELECT * FROM ops.tickets WHERE level = 'high';
CREATE MATERIALIZED VIEW ops.ticket_counts AS SELECT user_id, count(*) AS n FROM ops.tickets GROUP BY user_id;
ANALYZE;`

const accessConfig = `
version: 1
roots:
  - table: users
    order_by: created_at DESC
    limit: 50
  - table: ops.tickets
    where: level = 'high' AND weight > 7
tables:
  - table: categories
    copy: all
  - table: audit_log
    copy: schema
foreign_keys:
  - table: users
    columns: [referred_by]
    follow_children: false
`

// newAccessSource creates the demo shop plus accessSchema in a new database.
func newAccessSource(t *testing.T) string {
	t.Helper()
	src := pgtest.NewDB(t)
	conn := pgtest.Connect(t, src)
	if err := demo.CreateShop(context.Background(), conn, 1); err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, conn, accessSchema)
	return src
}

// sourceState describes everything a run could change in the database dsn
// names: every schema (a temporary table leaves its pg_temp_N schema
// behind), every relation, every sequence's position, and each table's and
// materialized view's rows with their physical address and inserting
// transaction (so even an UPDATE to the same values shows).
func sourceState(t *testing.T, dsn string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	collect := func(sql string) []string {
		t.Helper()
		return pgtest.Strings(t, conn, sql)
	}
	state := collect(`SELECT 'schema ' || nspname FROM pg_catalog.pg_namespace ORDER BY 1`)
	state = append(state, collect(`
SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || c.oid::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY 1`)...)
	state = append(state, collect(`
SELECT 'sequence ' || schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'unused')
FROM pg_catalog.pg_sequences ORDER BY 1`)...)
	state = append(state, collect(`SELECT 'database ' || coalesce(array_to_string(setconfig, ','), '')
FROM pg_catalog.pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) ORDER BY 1`)...)
	tables := collect(`
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY 1`)
	for _, tb := range tables {
		var sum string
		q := fmt.Sprintf(`SELECT count(*) || ' rows, md5 ' || md5(coalesce(string_agg(t.ctid::text || ' ' || t.xmin::text || ' ' || t::text, ',' ORDER BY t.ctid), '')) FROM ONLY %s t`, tb)
		if err := conn.QueryRow(ctx, q).Scan(&sum); err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		state = append(state, "rows "+tb+" "+sum)
	}
	return state
}

// checkTwinOf checks a twin of src against the oracle (computed before the
// run, while the source could still be written to by the oracle's rolled
// back transaction) and verifyTwin.
func checkTwinOf(t *testing.T, src, tgt, yaml string, want map[string][]string) {
	t.Helper()
	if d := diffMaps(want, identities(t, tgt)); d != "" {
		t.Errorf("twin differs from the oracle (-oracle +twin):\n%s", d)
	}
	verifyTwin(t, src, tgt, yaml)
}

// TestSelectOnlySourceRole twins through a role that may connect and read
// and do nothing else: no CREATE or TEMP on the database, no CREATE on any
// schema, no privilege beyond SELECT on tables and sequences.
func TestSelectOnlySourceRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := newAccessSource(t)
	role := src + "_reader"
	admin := pgtest.Connect(t, src)
	quoted := pgx.Identifier{role}.Sanitize()
	db := pgx.Identifier{src}.Sanitize()
	pgtest.Exec(t, admin, fmt.Sprintf(`
CREATE ROLE %[1]s LOGIN PASSWORD 'read-only secret';
REVOKE ALL ON DATABASE %[2]s FROM PUBLIC;
GRANT CONNECT ON DATABASE %[2]s TO %[1]s;
GRANT USAGE ON SCHEMA public, ops TO %[1]s;
GRANT SELECT ON ALL TABLES IN SCHEMA public, ops TO %[1]s;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, ops TO %[1]s;`, quoted, db))
	t.Cleanup(func() {
		// DROP OWNED revokes the role's privileges in src and on the
		// database itself; then the role can go.
		c, err := pgx.Connect(ctx, pgtest.DSN(src))
		if err == nil {
			c.Exec(ctx, "DROP OWNED BY "+quoted)
			c.Close(ctx)
		}
		if c, err := pgx.Connect(ctx, pgtest.DSN("postgres")); err == nil {
			c.Exec(ctx, "DROP ROLE IF EXISTS "+quoted)
			c.Close(ctx)
		}
	})

	// The reader's own connection string, built from scratch rather than by
	// appending user= to the superuser's, so nothing can run as superuser.
	base, err := pgconn.ParseConfig(pgtest.DSN(src))
	if err != nil {
		t.Fatal(err)
	}
	readerDSN := fmt.Sprintf("host='%s' port=%d user='%s' password='read-only secret' dbname='%s' sslmode=disable", base.Host, base.Port, role, src)
	if base.TLSConfig != nil {
		readerDSN = strings.TrimSuffix(readerDSN, " sslmode=disable")
	}

	// The role can read, and cannot write anywhere, not even a temporary
	// table.
	reader, err := pgx.Connect(ctx, readerDSN)
	if err != nil {
		t.Fatal(err)
	}
	var who string
	var users int
	if err := reader.QueryRow(ctx, "SELECT current_user, (SELECT count(*) FROM users)").Scan(&who, &users); err != nil || who != role || users == 0 {
		t.Fatalf("as the reader: user %q, %d users, %v", who, users, err)
	}
	for _, sql := range []string{
		"CREATE TEMP TABLE scratch (n int)",
		"CREATE TABLE public.scratch (n int)",
		"CREATE SCHEMA scratch",
		"INSERT INTO categories (name) VALUES ('x')",
		"SELECT nextval('orders_id_seq')",
	} {
		if _, err := reader.Exec(ctx, sql); err == nil {
			t.Fatalf("the reader may run %s; the test's role is not read-only", sql)
		}
	}
	reader.Close(ctx)

	want := oracle(t, src, accessConfig)
	before := sourceState(t, pgtest.DSN(src))
	tgt := pgtest.NewDB(t)
	rep, err := runClone(src, tgt, accessConfig, func(o *clone.Options) {
		o.Source = dbconn.Endpoint{Role: "source", DSN: readerDSN, From: "--source"}
	})
	if err != nil {
		t.Fatalf("clone as a SELECT-only role: %v", err)
	}
	if !strings.HasPrefix(rep.Source, role+"@") {
		t.Errorf("report source %q, want the reader role", rep.Source)
	}
	if b, _ := json.Marshal(rep); strings.Contains(string(b), "read-only secret") {
		t.Error("the report holds the reader's password")
	}
	if rep.Rows == 0 {
		t.Fatal("twin is empty")
	}
	checkTwinOf(t, src, tgt, accessConfig, want)
	forEachAccess(t, src, readerDSN, want)
	if d := cmp.Diff(before, sourceState(t, pgtest.DSN(src))); d != "" {
		t.Errorf("the run changed the source (-before +after):\n%s", d)
	}
}

// forEachAccess twins src, read through sourceDSN, once per access variant
// (every access path forced, several readers) and checks each twin.
func forEachAccess(t *testing.T, src, sourceDSN string, want map[string][]string) {
	t.Helper()
	for _, v := range accessVariants[1:] {
		tgt := pgtest.NewDB(t)
		if _, err := runClone(src, tgt, accessConfig, func(o *clone.Options) {
			if v.tweak != nil {
				v.tweak(o)
			}
			o.Source = dbconn.Endpoint{Role: "source", DSN: sourceDSN, From: "--source"}
		}); err != nil {
			t.Fatalf("%s: clone: %v", v.name, err)
		}
		checkTwinOf(t, src, tgt, accessConfig, want)
	}
}

// TestReadOnlySourceDatabase twins a database whose sessions start
// read-only (default_transaction_read_only = on), as on many production
// replicas and read-only endpoints.
func TestReadOnlySourceDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := newAccessSource(t)
	want := oracle(t, src, accessConfig) // it writes (and rolls back), so before
	pgtest.Exec(t, pgtest.Connect(t, "postgres"), "ALTER DATABASE "+pgx.Identifier{src}.Sanitize()+" SET default_transaction_read_only = on")

	conn := pgtest.Connect(t, src)
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE scratch (n int)"); err == nil {
		t.Fatal("a new session on the source may still write")
	}
	before := sourceState(t, pgtest.DSN(src))
	tgt := pgtest.NewDB(t)
	rep := twin(t, src, tgt, accessConfig)
	if rep.Rows == 0 {
		t.Fatal("twin is empty")
	}
	checkTwinOf(t, src, tgt, accessConfig, want)
	if d := cmp.Diff(before, sourceState(t, pgtest.DSN(src))); d != "" {
		t.Errorf("the run changed the source (-before +after):\n%s", d)
	}
	// The twin itself is writable: the source's setting is not copied.
	var ro string
	if err := pgtest.Connect(t, tgt).QueryRow(ctx, "SHOW default_transaction_read_only").Scan(&ro); err != nil || ro != "off" {
		t.Errorf("twin: default_transaction_read_only = %q, %v", ro, err)
	}
}

// TestHotStandbySource twins from a streaming replica of the test server:
// pgtwin exports its snapshot there and pg_dump imports it, both allowed on
// a hot standby since PostgreSQL 10.
func TestHotStandbySource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary := pgtest.Cluster()
	if primary == nil {
		t.Skip("PGTWIN_TEST_DSN names an existing server; a standby needs the test's own cluster")
	}
	src := newAccessSource(t)
	want := oracle(t, src, accessConfig)
	standby, err := primary.StartStandby(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Stop() })
	if err := standby.WaitReplay(ctx, primary); err != nil {
		t.Fatal(err)
	}
	standbyDSN := standby.DSN(src)
	var recovering bool
	if sc, err := pgx.Connect(ctx, standbyDSN); err != nil {
		t.Fatal(err)
	} else {
		err := sc.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&recovering)
		sc.Close(ctx)
		if err != nil || !recovering {
			t.Fatalf("standby: in recovery %v, %v", recovering, err)
		}
	}
	beforePrimary := sourceState(t, pgtest.DSN(src))
	beforeStandby := sourceState(t, standbyDSN)
	// A standby shows a sequence at its last WAL-logged value, up to 32
	// ahead of the primary's, so sequences are compared on one server only.
	if d := cmp.Diff(withoutSequences(beforePrimary), withoutSequences(beforeStandby)); d != "" {
		t.Fatalf("the standby has not replayed the source (-primary +standby):\n%s", d)
	}

	tgt := pgtest.NewDB(t)
	rep, err := runClone(src, tgt, accessConfig, func(o *clone.Options) {
		o.Source = dbconn.Endpoint{Role: "source", DSN: standbyDSN, From: "--source"}
	})
	if err != nil {
		t.Fatalf("clone from a hot standby: %v\n%s", err, standby.Log())
	}
	if !strings.Contains(rep.Source, standby.Socket) {
		t.Errorf("report source %q is not the standby", rep.Source)
	}
	checkTwinOf(t, src, tgt, accessConfig, want)
	forEachAccess(t, src, standbyDSN, want)
	if d := cmp.Diff(beforeStandby, sourceState(t, standbyDSN)); d != "" {
		t.Errorf("the run changed the standby (-before +after):\n%s", d)
	}
	if d := cmp.Diff(beforePrimary, sourceState(t, pgtest.DSN(src))); d != "" {
		t.Errorf("the source changed on the primary (-before +after):\n%s", d)
	}
}

func withoutSequences(state []string) []string {
	var out []string
	for _, s := range state {
		if !strings.HasPrefix(s, "sequence ") {
			out = append(out, s)
		}
	}
	return out
}
