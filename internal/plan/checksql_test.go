package plan

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

const checkSQLSchema = `
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users, note text);
CREATE SCHEMA "Sales Dept";
CREATE TABLE "Sales Dept"."Order Lines" (id int PRIMARY KEY, status text);
CREATE SEQUENCE s;
INSERT INTO users VALUES (1, 'a@example.com', now());
`

// readOnlyTx opens a READ ONLY REPEATABLE READ transaction on a fresh
// database, as the extraction does.
func readOnlyTx(t *testing.T) pgx.Tx {
	t.Helper()
	return pgtest.ReadOnlyTx(t, pgtest.NewDB(t, checkSQLSchema))
}

var (
	usersName  = catalog.Name{Schema: "public", Name: "users"}
	ordersName = catalog.Name{Schema: "public", Name: "orders"}
)

func TestCheckSQL(t *testing.T) {
	tests := []struct {
		name string
		root ResolvedRoot
		want string // "" for no error
	}{
		{"valid", ResolvedRoot{Table: usersName, Where: "created_at > now() - interval '1 day' AND email LIKE '%@example.com'", OrderBy: "created_at DESC, id", Line: 3}, ""},
		{"valid, quoted table", ResolvedRoot{Table: catalog.Name{Schema: "Sales Dept", Name: "Order Lines"}, Where: `status = 'open' -- a comment`, Line: 3}, ""},
		{"syntax error", ResolvedRoot{Table: usersName, Where: "id > > 1", Line: 3},
			`twin.yaml:3: roots[0].where: syntax error at or near ">" (at character 6: "> 1")`},
		{"syntax error at the end", ResolvedRoot{Table: usersName, Where: "id >", Line: 3},
			`twin.yaml:3: roots[0].where: syntax error at the end of the expression`},
		{"unknown column", ResolvedRoot{Table: usersName, Where: "id > 0 AND emial = 'x'", Line: 3},
			`twin.yaml:3: roots[0].where: column "emial" does not exist (at character 12: "emial = 'x'"); hint: Perhaps you meant to reference the column "users.email".`},
		{"type error", ResolvedRoot{Table: usersName, Where: "email > 5", Line: 3},
			`twin.yaml:3: roots[0].where: operator does not exist: text > integer (at character 7: "> 5"); hint: No operator matches the given name and argument types. You might need to add explicit type casts.`},
		{"not a boolean", ResolvedRoot{Table: usersName, Where: "id + 1", Line: 3},
			`twin.yaml:3: roots[0].where: argument of WHERE must be type boolean, not type bigint (at character 1: "id + 1")`},
		{"second statement", ResolvedRoot{Table: usersName, Where: "id > 0; DROP TABLE users", Line: 3},
			`twin.yaml:3: roots[0].where: found ';' at character 7; give one SQL expression, not statements`},
		{"nextval", ResolvedRoot{Table: usersName, Where: "nextval('s') > 0", Line: 3},
			`twin.yaml:3: roots[0].where: cannot execute nextval() in a read-only transaction; a fragment may only read (pgtwin never writes to the source)`},
		// A limit of the approach: a fragment the server never evaluates
		// (orders is empty) is not caught; the extraction's READ ONLY
		// transaction still stops it from writing.
		{"nextval on an empty table", ResolvedRoot{Table: ordersName, Where: "nextval('s') > 0", Line: 3}, ""},
		{"bad order_by", ResolvedRoot{Table: usersName, Where: "id > 0", OrderBy: "created, id", Limit: ptr(int64(5)), Line: 3},
			`twin.yaml:3: roots[0].order_by: column "created" does not exist (at character 1: "created, id"); hint: Perhaps you meant to reference the column "users.created_at".`},
		{"order_by with a locking clause", ResolvedRoot{Table: usersName, OrderBy: "id FOR UPDATE", Limit: ptr(int64(5)), Line: 3},
			`twin.yaml:3: roots[0].order_by: cannot execute SELECT FOR UPDATE in a read-only transaction; a fragment may only read (pgtwin never writes to the source)`},
		{"order_by not reached when where fails", ResolvedRoot{Table: usersName, Where: "nope", OrderBy: "nope", Limit: ptr(int64(5)), Line: 3},
			`twin.yaml:3: roots[0].where: column "nope" does not exist (at character 1: "nope")`},
	}
	tx := readOnlyTx(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Resolved{File: "twin.yaml", Roots: []ResolvedRoot{tc.root}}
			err := CheckSQL(context.Background(), tx, r)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, want %s", tc.want)
			case tc.want != "" && err.Error() != tc.want:
				t.Fatalf("error:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
	// The transaction is still usable after all those failures.
	var one int
	if err := tx.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&one); err != nil || one != 1 {
		t.Fatalf("transaction after CheckSQL: %d, %v", one, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestCheckSQLReportsAll runs a parsed and resolved config with several bad
// fragments: every one is reported, at the line of its key.
func TestCheckSQLReportsAll(t *testing.T) {
	cat := &catalog.Catalog{
		Schemas: []string{"public"},
		Tables: []*catalog.Table{
			{Name: usersName, Columns: []*catalog.Column{{Name: "id", Type: "bigint", NotNull: true}, {Name: "email", Type: "text"}}, PrimaryKey: []string{"id"}},
			{Name: ordersName, Columns: []*catalog.Column{{Name: "id", Type: "bigint", NotNull: true}, {Name: "user_id", Type: "bigint", NotNull: true}, {Name: "note", Type: "text"}}, PrimaryKey: []string{"id"}},
		},
		ForeignKeys: []*catalog.ForeignKey{{Name: "orders_user_id_fkey", Child: ordersName, ChildColumns: []string{"user_id"}, Parent: usersName, ParentColumns: []string{"id"}, Match: catalog.MatchSimple}},
	}
	cfg := mustParse(t, src(
		"version: 1",
		"roots:",
		"  - table: users",
		"    where: id > 0",
		"    order_by: mail",
		"    limit: 10",
		"  - table: orders",
		"    where: |",
		"      note ILIKE '%gift%'",
		"        AND nosuch",
		"foreign_keys:",
		"  - table: orders",
		"    columns: [user_id]",
		"    children_where: user_id > 'abc'",
	))
	res, err := Check(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckSQL(context.Background(), readOnlyTx(t), res)
	want := `twin.yaml:5: roots[0].order_by: column "mail" does not exist (at character 1: "mail"); hint: Perhaps you meant to reference the column "users.email".` + "\n" +
		`twin.yaml:8: roots[1].where: column "nosuch" does not exist (at character 27: "nosuch")` + "\n" +
		`twin.yaml:14: foreign_keys[0].children_where: invalid input syntax for type bigint: "abc" (at character 11: "'abc'")`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42703" { // the first problem's
		t.Errorf("error does not wrap the server's: %#v", err)
	}
}

func TestCheckSQLNeedsReadOnly(t *testing.T) {
	conn := pgtest.Connect(t, pgtest.NewDB(t, checkSQLSchema))
	tx, err := conn.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	err = CheckSQL(context.Background(), tx, &Resolved{File: "twin.yaml"})
	if err == nil || err.Error() != "check sql: the transaction must be READ ONLY" {
		t.Fatalf("err = %v", err)
	}
}

// TestServerRejectsSecondStatement shows that the way CheckSQL sends a
// query (extended protocol) makes the server refuse a second statement,
// should one get past config.CheckFragment.
func TestServerRejectsSecondStatement(t *testing.T) {
	tx := readOnlyTx(t)
	c := &sqlChecker{tx: tx, r: &Resolved{}, p: config.NewErrorList("")}
	err := c.run(context.Background(), "SELECT 1 FROM users WHERE (id > 0); SELECT 1 FROM users WHERE (true)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42601" || pgErr.Message != "cannot insert multiple commands into a prepared statement" {
		t.Fatalf("err = %v", err)
	}
	if err := c.run(context.Background(), "SELECT 1 FROM users"); err != nil {
		t.Fatalf("after the failure: %v", err)
	}
}

func TestCheckSQLMasks(t *testing.T) {
	tx := readOnlyTx(t)
	res := &Resolved{File: "twin.yaml", Masking: &ResolvedMasking{Rules: []ResolvedMask{
		{Table: usersName, Column: "email", SQL: "'user' || id || '@example.com'", Type: "text", Entry: "masking.columns[0]", Line: 4},
		{Table: ordersName, Column: "note", SQL: "nott || 'x'", Type: "text", Entry: "masking.columns[1]", Line: 7},
		{Table: usersName, Column: "created_at", SQL: "'yesterday'::date + 1", Type: "integer", Entry: "masking.columns[2]", Line: 10},
	}}}
	err := CheckSQL(context.Background(), tx, res)
	want := `twin.yaml:7: masking.columns[1].sql: column "nott" does not exist (at character 1: "nott || 'x'"); hint: Perhaps you meant to reference the column "orders.note".` + "\n" +
		`twin.yaml:10: masking.columns[2].sql: cannot cast type date to integer`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}
