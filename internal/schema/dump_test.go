package schema

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sourceDB creates a database holding the catalog fixture and testdata/extra.sql.
func sourceDB(t *testing.T) string {
	t.Helper()
	var scripts []string
	for _, f := range []string{"../catalog/testdata/fixture.sql", "testdata/extra.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, string(b))
	}
	return pgtest.NewDB(t, scripts...)
}

// testTools finds pg_dump for the test server.
func testTools(t *testing.T) Tools {
	t.Helper()
	conn := pgtest.Connect(t, "postgres")
	var num int
	if err := conn.QueryRow(context.Background(), "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatal(err)
	}
	tools, err := FindTools(num/10000, "", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return tools
}

// exportSnapshot opens a REPEATABLE READ transaction on db, exports its
// snapshot and keeps the transaction open until the test ends.
func exportSnapshot(t *testing.T, db string) string {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, db)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(ctx) })
	var id string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func dump(t *testing.T, tools Tools, opts DumpOptions) *DDL {
	t.Helper()
	d, err := Dump(context.Background(), tools, opts)
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	return d
}

// load runs the DDL on db the way a loader does: in one transaction, drop
// the schemas, create those the DDL does not create, run the sections.
// Then it resets the session settings and checks they are back.
func load(t *testing.T, db string, d *DDL, schemas ...string) {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, db)
	var before string
	if err := conn.QueryRow(ctx, "SHOW search_path").Scan(&before); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var prep strings.Builder
	for _, s := range schemas {
		prep.WriteString("DROP SCHEMA IF EXISTS " + identifier(s) + " CASCADE;\n")
		prep.WriteString(d.CreateSchemaSQL(s))
	}
	for _, step := range []struct{ name, sql string }{{"prepare", prep.String()}, {"pre-data", d.PreData}, {"post-data", d.PostData}, {"indexed foreign keys", d.IndexedForeignKeys}} {
		if err := conn.PgConn().Exec(ctx, step.sql).Close(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var during string
	if err := conn.QueryRow(ctx, "SHOW search_path").Scan(&during); err != nil {
		t.Fatal(err)
	}
	if during != "" && during != `""` {
		t.Errorf("search_path after the sections = %q, want empty (the dump sets it)", during)
	}
	pgtest.Exec(t, conn, d.ResetSQL())
	var after string
	if err := conn.QueryRow(ctx, "SHOW search_path").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("search_path after ResetSQL = %q, want %q", after, before)
	}
}

// schemaOf returns pg_dump's plain schema-only output for db, without the
// \restrict lines, for comparing databases.
func schemaOf(t *testing.T, tools Tools, db string, args ...string) string {
	t.Helper()
	args = append([]string{"--schema-only", "--dbname=" + pgtest.DSN(db)}, args...)
	out, err := exec.Command(tools.PgDump, args...).Output()
	if err != nil {
		t.Fatalf("pg_dump %s: %v", db, err)
	}
	return stripRestrict(string(out))
}

// TestRoundTrip dumps the whole fixture under an exported snapshot, loads it
// into an empty database in one transaction, and compares the two schemas,
// with and without owners and privileges.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tools := testTools(t)
	src := sourceDB(t)
	snap := exportSnapshot(t, src)
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("KeepOwners=%v", keep), func(t *testing.T) {
			d := dump(t, tools, DumpOptions{ConnString: pgtest.DSN(src), Snapshot: snap, KeepOwners: keep})
			for _, sec := range []struct{ name, sql string }{{"pre-data", d.PreData}, {"post-data", d.PostData}} {
				for _, l := range strings.Split(sec.sql, "\n") {
					if strings.HasPrefix(l, `\`) {
						t.Errorf("%s has a psql meta-command: %s", sec.name, l)
					}
				}
				hasOwners := strings.Contains(sec.sql, "OWNER TO") || strings.Contains(sec.sql, "GRANT ")
				if hasOwners != keep && sec.name == "pre-data" {
					t.Errorf("%s: owners or privileges present = %v", sec.name, hasOwners)
				}
			}
			if d.CreatesSchema("public") {
				t.Error("CreatesSchema(public) = true in a whole-database dump")
			}
			for _, s := range []string{"Sales Dept", "ext", "x?y", "xzy"} {
				if !d.CreatesSchema(s) {
					t.Errorf("CreatesSchema(%q) = false", s)
				}
			}
			wantExt := []Extension{{"citext", "public"}, {"hstore", "Sales Dept"}, {"pg_trgm", "ext"}}
			if diff := cmp.Diff(wantExt, sortedExtensions(d)); diff != "" {
				t.Errorf("Extensions (-want +got):\n%s", diff)
			}
			if !strings.Contains(d.PreData, "WITH NO DATA") {
				t.Error("materialized view not created WITH NO DATA")
			}
			if !strings.Contains(d.PostData, "CREATE INDEX docs_body_trgm") || !strings.Contains(d.PostData, "FOREIGN KEY") {
				t.Error("post-data lacks indexes or foreign keys")
			}

			dst := pgtest.NewDB(t)
			load(t, dst, d, "public")
			// A refresh: everything the dump made is dropped and made again.
			load(t, dst, d, "public", "Sales Dept", "ext", "x?y", "xzy")
			var args []string
			if !keep {
				args = []string{"--no-owner", "--no-privileges"}
			}
			if diff := cmp.Diff(schemaOf(t, tools, src, args...), schemaOf(t, tools, dst, args...)); diff != "" {
				t.Errorf("target schema differs from source (-source +target):\n%s", diff)
			}
		})
	}
}

// TestRoundTripSchemas loads a dump of two named schemas.
func TestRoundTripSchemas(t *testing.T) {
	t.Parallel()
	tools := testTools(t)
	src := sourceDB(t)
	schemas := []string{"public", "Sales Dept"}
	d := dump(t, tools, DumpOptions{ConnString: pgtest.DSN(src), Snapshot: exportSnapshot(t, src), Schemas: schemas})
	for _, s := range schemas {
		if !d.CreatesSchema(s) {
			t.Errorf("CreatesSchema(%q) = false when the schema is named", s)
		}
	}
	wantExt := []Extension{{"citext", "public"}, {"hstore", "Sales Dept"}}
	if diff := cmp.Diff(wantExt, sortedExtensions(d)); diff != "" {
		t.Errorf("Extensions (-want +got):\n%s", diff)
	}
	dst := pgtest.NewDB(t)
	load(t, dst, d, schemas...)
	args := []string{"--no-owner", "--no-privileges", "--schema=public", `--schema="Sales Dept"`}
	if diff := cmp.Diff(schemaOf(t, tools, src, args...), schemaOf(t, tools, dst, args...)); diff != "" {
		t.Errorf("target schema differs from source (-source +target):\n%s", diff)
	}
}

func sortedExtensions(d *DDL) []Extension {
	exts := d.Extensions()
	slices.SortFunc(exts, func(a, b Extension) int { return strings.Compare(a.Name, b.Name) })
	return exts
}

// TestSnapshot checks that objects created after the snapshot was exported
// are not dumped, including an extension the lookup would otherwise find.
func TestSnapshot(t *testing.T) {
	t.Parallel()
	tools := testTools(t)
	src := sourceDB(t)
	snap := exportSnapshot(t, src)
	pgtest.Exec(t, pgtest.Connect(t, src), `
		CREATE TABLE public.late_table (id int PRIMARY KEY);
		CREATE EXTENSION cube;
		ALTER TABLE public.shops ADD COLUMN late_column int;`)
	for _, opts := range []DumpOptions{
		{ConnString: pgtest.DSN(src), Snapshot: snap},
		{ConnString: pgtest.DSN(src), Snapshot: snap, Schemas: []string{"public"}},
	} {
		d := dump(t, tools, opts)
		all := d.PreData + d.PostData
		for _, late := range []string{"late_table", "cube", "late_column"} {
			if strings.Contains(all, late) {
				t.Errorf("schemas %q: %s, created after the snapshot, was dumped", opts.Schemas, late)
			}
		}
		if !strings.Contains(all, "CREATE TABLE public.shops") {
			t.Errorf("schemas %q: public.shops missing", opts.Schemas)
		}
	}
	// Without the snapshot they are there.
	d := dump(t, tools, DumpOptions{ConnString: pgtest.DSN(src)})
	if !strings.Contains(d.PreData, "late_table") || !strings.Contains(d.PreData, "cube") {
		t.Error("objects created after the snapshot missing from a dump without it")
	}
}

// TestSchemaFilters checks --schema/--exclude-schema with names that need
// quoting in pg_dump's pattern syntax, and the extensions that come along.
func TestSchemaFilters(t *testing.T) {
	t.Parallel()
	tools := testTools(t)
	src := sourceDB(t)
	dsn := pgtest.DSN(src)
	tests := []struct {
		name       string
		opts       DumpOptions
		want, not  []string
		creates    []string
		notCreates []string
		exts       []Extension
	}{{
		name:       "include quoted",
		opts:       DumpOptions{Schemas: []string{"Sales Dept"}},
		want:       []string{`CREATE TABLE "Sales Dept"."Customers"`, `CREATE TABLE "Sales Dept"."Quote""d"`, `"Sales Dept".attrs`},
		not:        []string{"public.users", "xzy.t", "ext.docs"},
		creates:    []string{"Sales Dept"},
		notCreates: []string{"public", "ext"},
		exts:       []Extension{{"hstore", "Sales Dept"}},
	}, {
		name:       "exclude quoted",
		opts:       DumpOptions{ExcludeSchemas: []string{"Sales Dept"}},
		want:       []string{"CREATE TABLE public.users", "CREATE TABLE ext.docs", `CREATE TABLE "x?y".t`},
		not:        []string{`"Sales Dept"`, "hstore"},
		creates:    []string{"ext", "x?y"},
		notCreates: []string{"public", "Sales Dept"},
		exts:       []Extension{{"citext", "public"}, {"pg_trgm", "ext"}},
	}, {
		name:       "wildcard characters are literal",
		opts:       DumpOptions{Schemas: []string{"x?y"}},
		want:       []string{`CREATE TABLE "x?y".t`},
		not:        []string{"xzy", "public."},
		creates:    []string{"x?y"},
		notCreates: []string{"xzy"},
	}, {
		name:       "include and exclude",
		opts:       DumpOptions{Schemas: []string{"public", "ext"}, ExcludeSchemas: []string{"ext"}},
		want:       []string{"CREATE TABLE public.users"},
		not:        []string{"ext.docs", "pg_trgm", `"Sales Dept"`},
		creates:    []string{"public"},
		notCreates: []string{"ext"},
		exts:       []Extension{{"citext", "public"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.ConnString = dsn
			d := dump(t, tools, tt.opts)
			all := d.PreData + d.PostData
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("dump lacks %s", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(all, n) {
					t.Errorf("dump has %s", n)
				}
			}
			for _, s := range tt.creates {
				if !d.CreatesSchema(s) {
					t.Errorf("CreatesSchema(%q) = false", s)
				}
			}
			for _, s := range tt.notCreates {
				if d.CreatesSchema(s) {
					t.Errorf("CreatesSchema(%q) = true", s)
				}
			}
			if diff := cmp.Diff(tt.exts, sortedExtensions(d)); diff != "" {
				t.Errorf("Extensions (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("unknown schema", func(t *testing.T) {
		t.Parallel()
		_, err := Dump(context.Background(), tools, DumpOptions{ConnString: dsn, Schemas: []string{"public", "Nope"}})
		if err == nil || err.Error() != `dump schema: the source database has no schema "Nope"` {
			t.Errorf("err = %v, want no schema \"Nope\"", err)
		}
	})
}

// TestDumpErrorHidesPassword makes pg_dump fail (bad snapshot id) with a
// connection string holding a password; the trust-auth test server ignores
// it.
func TestDumpErrorHidesPassword(t *testing.T) {
	t.Parallel()
	tools := testTools(t)
	src := pgtest.NewDB(t, "CREATE TABLE t (id int)")
	for _, opts := range []DumpOptions{
		{ConnString: pgtest.DSN(src) + " password=secret-xyz", Snapshot: "00000003-00000BAD-1"},
		{ConnString: pgtest.URL(src) + "&password=secret-xyz", Snapshot: "00000003-00000BAD-1"},
		// With a schema filter the extension lookup meets the bad snapshot first.
		{ConnString: pgtest.DSN(src) + " password=secret-xyz", Snapshot: "00000003-00000BAD-1", Schemas: []string{"public"}},
	} {
		_, err := Dump(context.Background(), tools, opts)
		if err == nil {
			t.Fatal("Dump with a bad snapshot succeeded")
		}
		msg := err.Error()
		if strings.Contains(msg, "secret-xyz") {
			t.Errorf("error shows the password: %s", msg)
		}
		if !strings.Contains(msg, `invalid snapshot identifier: "00000003-00000BAD-1"`) {
			t.Errorf("error lacks the server's message: %s", msg)
		}
		if len(opts.Schemas) == 0 && !strings.Contains(msg, "pg_dump: error: query failed: ERROR:  invalid snapshot identifier") {
			t.Errorf("error lacks pg_dump's message: %s", msg)
		}
	}
}

// TestPasswordNotOnCommandLine runs a fake pg_dump that records its
// arguments and $PGPASSWORD, then fails echoing the password.
func TestPasswordNotOnCommandLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := `#!/bin/sh
printf '%s\n' "$@" > "$(dirname "$0")/args"
printf '%s' "$PGPASSWORD" > "$(dirname "$0")/password"
echo "pg_dump: error: connection to server failed: password $PGPASSWORD rejected" >&2
exit 1
`
	for _, name := range []string{"pg_dump", "pg_restore"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tools := Tools{PgDump: filepath.Join(dir, "pg_dump"), PgRestore: filepath.Join(dir, "pg_restore"), Major: 15}
	for _, conn := range []string{
		"host=db.example.com user=app password='se cr\\'et' dbname=prod sslmode=require",
		"postgres://app:se%20cr'et@db.example.com:5432/prod?sslmode=require",
		"postgres://app@db.example.com/prod?password=se%20cr'et&sslmode=require",
	} {
		_, err := Dump(context.Background(), tools, DumpOptions{ConnString: conn})
		if err == nil {
			t.Fatal("fake pg_dump succeeded")
		}
		if strings.Contains(err.Error(), "se cr'et") || !strings.Contains(err.Error(), "password xxxxx rejected") {
			t.Errorf("error not scrubbed: %v", err)
		}
		args, _ := os.ReadFile(filepath.Join(dir, "args"))
		pw, _ := os.ReadFile(filepath.Join(dir, "password"))
		if strings.Contains(string(args), "se cr") || strings.Contains(string(args), "se%20cr") {
			t.Errorf("password on the command line:\n%s", args)
		}
		if !strings.Contains(string(args), "db.example.com") || !strings.Contains(string(args), "sslmode") {
			t.Errorf("connection lost from the command line:\n%s", args)
		}
		if string(pw) != "se cr'et" {
			t.Errorf("$PGPASSWORD = %q, want the password", pw)
		}
	}
}

// TestCancelKillsPgDump blocks pg_dump on a table lock and cancels.
func TestCancelKillsPgDump(t *testing.T) {
	t.Parallel()
	tools := testTools(t)
	src := pgtest.NewDB(t, "CREATE TABLE locked (id int)")
	ctx := context.Background()
	locker := pgtest.Connect(t, src)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE locked IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	start := time.Now()
	_, err = Dump(dctx, tools, DumpOptions{ConnString: pgtest.DSN(src)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Dump returned %v after the deadline", d)
	}
	// pg_dump was interrupted, cancelled its query and closed its session,
	// though the lock it waited for is still held.
	admin := pgtest.Connect(t, src)
	for i := 0; ; i++ {
		var n int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pg_dump'", src).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i == 50 {
			t.Fatalf("%d pg_dump sessions still there", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLockWaitTimeout makes pg_dump give up on a locked table.
func TestLockWaitTimeout(t *testing.T) {
	t.Parallel()
	tools := testTools(t)
	src := pgtest.NewDB(t, "CREATE TABLE locked (id int)")
	ctx := context.Background()
	tx, err := pgtest.Connect(t, src).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE locked IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	_, err = Dump(ctx, tools, DumpOptions{ConnString: pgtest.DSN(src), LockWaitTimeout: 200 * time.Millisecond})
	want := "pg_dump (exit status 1): pg_dump: error: query failed: ERROR:  canceling statement due to statement timeout; " +
		"pg_dump: detail: Query was: LOCK TABLE public.locked IN ACCESS SHARE MODE"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

// TestLookupInCallersTransaction: with Source, the lookups run in the
// exporting transaction and the DDL is the same as with a session of
// Dump's own.
func TestLookupInCallersTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tools := testTools(t)
	src := sourceDB(t)
	tx, err := pgtest.Connect(t, src).BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var id string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	opts := DumpOptions{ConnString: pgtest.DSN(src), Snapshot: id, Schemas: []string{"public", "Sales Dept"}}
	own := dump(t, tools, opts)
	opts.Source = tx
	shared := dump(t, tools, opts)
	if diff := cmp.Diff(sortedExtensions(own), sortedExtensions(shared)); diff != "" {
		t.Errorf("extensions differ (-own session +caller's transaction):\n%s", diff)
	}
	if own.PreData != shared.PreData || own.PostData != shared.PostData {
		t.Error("the DDL differs when the lookups run in the caller's transaction")
	}
	opts.Schemas = []string{"public", "Nope"}
	if _, err := Dump(ctx, tools, opts); err == nil || !strings.Contains(err.Error(), `the source database has no schema "Nope"`) {
		t.Errorf("missing schema through Source: %v", err)
	}
}

// TestIndexedForeignKeysApart checks that the keys DumpOptions names come
// in IndexedForeignKeys and nowhere else, that every other entry of
// post-data stays in PostData, and that loading both rebuilds the source's
// schema. The set names a key by pg_dump's tag, including a schema and a
// table whose names hold spaces, and a tag that is no key of the source.
func TestIndexedForeignKeysApart(t *testing.T) {
	t.Parallel()
	tools := testTools(t)
	src := pgtest.NewDB(t, `
CREATE SCHEMA "my schema";
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (id int PRIMARY KEY, p_id int CONSTRAINT c_first REFERENCES p, q_id int CONSTRAINT c_second REFERENCES p);
CREATE INDEX c_p ON c (p_id);
CREATE TABLE "my schema"."a table" (p_id int CONSTRAINT "a key" REFERENCES p);
CREATE POLICY mine ON c USING (p_id > 0);`)
	indexed := map[catalog.DumpTag]bool{
		{Schema: "public", Tag: "c c_first"}:            true,
		{Schema: "my schema", Tag: "a table a key"}:     true,
		{Schema: "public", Tag: "c no_such_constraint"}: true,
	}
	plain := dump(t, tools, DumpOptions{ConnString: pgtest.DSN(src)})
	apart := dump(t, tools, DumpOptions{ConnString: pgtest.DSN(src), IndexedForeignKeys: indexed})
	if plain.IndexedForeignKeys != "" {
		t.Errorf("IndexedForeignKeys without keys named = %q", plain.IndexedForeignKeys)
	}
	first := "ADD CONSTRAINT c_first FOREIGN KEY (p_id) REFERENCES public.p(id);"
	second := "ADD CONSTRAINT c_second FOREIGN KEY (q_id) REFERENCES public.p(id);"
	spaced := `ADD CONSTRAINT "a key" FOREIGN KEY (p_id) REFERENCES public.p(id);`
	for _, c := range []struct {
		sql, what string
		want      bool
	}{
		{plain.PostData, first, true}, {plain.PostData, second, true}, {plain.PostData, spaced, true},
		{apart.PostData, first, false}, {apart.PostData, second, true}, {apart.PostData, spaced, false},
		{apart.PostData, "CREATE INDEX c_p ON public.c USING btree (p_id);", true},
		{apart.PostData, "CREATE POLICY mine ON public.c", true},
		{apart.PostData, "ADD CONSTRAINT c_pkey PRIMARY KEY (id);", true},
		{apart.IndexedForeignKeys, first, true}, {apart.IndexedForeignKeys, spaced, true},
		{apart.IndexedForeignKeys, second, false}, {apart.IndexedForeignKeys, "PRIMARY KEY", false},
		{apart.IndexedForeignKeys, "CREATE INDEX", false}, {apart.IndexedForeignKeys, "POLICY", false},
	} {
		if got := strings.Contains(c.sql, c.what); got != c.want {
			name := "PostData"
			if c.sql == apart.IndexedForeignKeys {
				name = "IndexedForeignKeys"
			}
			t.Errorf("%s holds %q: %v, want %v", name, c.what, got, c.want)
		}
	}
	dst := pgtest.NewDB(t)
	load(t, dst, apart, "public")
	if diff := cmp.Diff(schemaOf(t, tools, src), schemaOf(t, tools, dst)); diff != "" {
		t.Errorf("target schema differs from source (-source +target):\n%s", diff)
	}
}
