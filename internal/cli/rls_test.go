package cli_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// tenantSchema is a multi-tenant database whose policies read the tenant
// from a setting, as applications that use row-level security do: one
// policy with current_setting's missing_ok (no setting: no rows), one
// without (no setting: an error), one table forced (its owner is filtered
// too), and an audit table under a policy that the twin copies as schema
// only.
const tenantSchema = `
CREATE TABLE tenants (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE customers (id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, name text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, customer_id int NOT NULL REFERENCES customers, total numeric NOT NULL);
CREATE TABLE audit (id int PRIMARY KEY, tenant_id int NOT NULL, what text);
INSERT INTO tenants SELECT i, 'tenant ' || i FROM generate_series(1, 3) i;
INSERT INTO customers SELECT i, 1 + i % 3, 'customer ' || i FROM generate_series(1, 30) i;
INSERT INTO orders SELECT i, 1 + (i % 30) % 3, 1 + i % 30, i FROM generate_series(1, 90) i;
INSERT INTO audit SELECT i, 1 + i % 3, 'x' FROM generate_series(1, 10) i;
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON customers USING (tenant_id = current_setting('app.current_tenant', true)::int);
CREATE POLICY tenant ON orders USING (tenant_id = current_setting('app.current_tenant')::int);
CREATE POLICY tenant ON audit USING (tenant_id = current_setting('app.current_tenant')::int);
ANALYZE;`

const tenantConfig = `version: 1
roots:
  - table: orders
    order_by: id
    limit: 20
tables:
  - table: tenants
    copy: all
  - table: audit
    copy: schema
`

// TestRowLevelSecurity: a source role that row-level security filters
// makes no twin at all — never one with fewer rows than asked for — and
// one line names the tables and the fix; the policy's own failure (an
// unset setting) is not blamed on the config. With BYPASSRLS the same role
// copies every row asked for.
func TestRowLevelSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real pgtwin processes and a server")
	}
	src := pgtest.NewDB(t, tenantSchema)
	role, reader := selectOnlyRole(t, src)
	tgt := pgtest.DSN(pgtest.NewDB(t))
	cfg := writeFile(t, "tenants.yaml", tenantConfig)
	want := fmt.Sprintf(`^pgtwin: row-level security policies would hide rows of public\.customers, public\.orders from the source role %s, and pgtwin never copies part of a table: let the role bypass them \(ALTER ROLE %s BYPASSRLS, as a superuser\); FORCE ROW LEVEL SECURITY applies them to the tables' owner too$`, role, role)
	for _, args := range [][]string{
		{"plan", "--config", cfg, "--source", reader},
		{"clone", "--quiet", "--config", cfg, "--source", reader, "--target", tgt},
	} {
		r := runPgtwin(t, nil, args...)
		if r.code != cli.ExitFailure {
			t.Errorf("pgtwin %s: exit code %d, want %d\n%s", args[0], r.code, cli.ExitFailure, r.stderr)
		}
		r.oneLine(t, want)
		if !strings.Contains(r.stderr, "troubleshooting.md#row-level-security") {
			t.Errorf("pgtwin %s: no link to the docs:\n%s", args[0], r.stderr)
		}
	}
	if n := countRows(t, tgt, "SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace"); n != 0 {
		t.Errorf("the refused run left %d relations in the target", n)
	}

	// Without FORCE, the tables' owner is a way out too.
	exec1(t, pgtest.DSN(src), "ALTER TABLE orders NO FORCE ROW LEVEL SECURITY")
	r := runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", reader, "--target", tgt)
	r.oneLine(t, `: let the role bypass them \(ALTER ROLE \w+ BYPASSRLS, as a superuser\) or run pgtwin as the tables' owner$`)

	exec1(t, pgtest.DSN("postgres"), "ALTER ROLE "+role+" BYPASSRLS")
	r = runPgtwin(t, nil, "clone", "--quiet", "--config", cfg, "--source", reader, "--target", tgt)
	if r.code != cli.ExitOK {
		t.Fatalf("clone with BYPASSRLS: exit %d\n%s", r.code, r.stderr)
	}
	for _, q := range []string{"SELECT count(*) FROM orders", "SELECT count(*) FROM customers WHERE id IN (SELECT customer_id FROM orders)"} {
		if n := countRows(t, tgt, q); n != 20 {
			t.Errorf("%s: %d in the twin, want 20", q, n)
		}
	}
	if n := countRows(t, tgt, "SELECT count(*) FROM tenants"); n != 3 {
		t.Errorf("%d tenants in the twin, want 3", n)
	}
}

// selectOnlyRole makes a login role that may only read database db's
// public schema (no BYPASSRLS), and returns its name and connection string.
func selectOnlyRole(t *testing.T, db string) (role, dsn string) {
	t.Helper()
	ctx := context.Background()
	role = db + "_reader"
	quoted := pgx.Identifier{role}.Sanitize()
	exec1(t, pgtest.DSN(db), fmt.Sprintf(`
CREATE ROLE %[1]s LOGIN PASSWORD 'reader secret';
GRANT CONNECT ON DATABASE %[2]s TO %[1]s;
GRANT USAGE ON SCHEMA public TO %[1]s;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO %[1]s;`, quoted, pgx.Identifier{db}.Sanitize()))
	t.Cleanup(func() {
		if c, err := pgx.Connect(ctx, pgtest.DSN(db)); err == nil {
			c.Exec(ctx, "DROP OWNED BY "+quoted)
			c.Close(ctx)
		}
		if c, err := pgx.Connect(ctx, pgtest.DSN("postgres")); err == nil {
			c.Exec(ctx, "DROP ROLE IF EXISTS "+quoted)
			c.Close(ctx)
		}
	})
	base, err := pgconn.ParseConfig(pgtest.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	dsn = fmt.Sprintf("host='%s' port=%d user='%s' password='reader secret' dbname='%s'", base.Host, base.Port, role, db)
	if base.TLSConfig == nil {
		dsn += " sslmode=disable"
	}
	return role, dsn
}

// countRows runs a count query on database dsn.
func countRows(t *testing.T, dsn, query string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
