package clone_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/demo"
	"github.com/pgtwin/pgtwin/internal/pgtest"
	"github.com/pgtwin/pgtwin/internal/report"
	"github.com/pgtwin/pgtwin/internal/twinfile"
)

// fileExtras adds to the demo shop what a file must also carry: a
// partitioned table, a materialized view, a sequence of its own, a key
// that is cut, and names that need quoting.
const fileExtras = `
CREATE SCHEMA "Sales Dept";
CREATE TABLE "Sales Dept"."Visit" (id bigint, at date NOT NULL, user_id bigint REFERENCES public.users, note text) PARTITION BY RANGE (at);
CREATE TABLE "Sales Dept"."Visit 2025" PARTITION OF "Sales Dept"."Visit" FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE "Sales Dept"."Visit later" PARTITION OF "Sales Dept"."Visit" FOR VALUES FROM ('2026-01-01') TO (MAXVALUE);
INSERT INTO "Sales Dept"."Visit" SELECT i, DATE '2025-06-01' + i, 1 + i % 40, E'tab\there, line\nbreak, back\\slash \\. ' || i FROM generate_series(1, 400) i;
CREATE SEQUENCE "Sales Dept".tickets START 1000;
SELECT nextval('"Sales Dept".tickets') FROM generate_series(1, 7);
CREATE MATERIALIZED VIEW "Sales Dept".visits_per_user AS SELECT user_id, count(*) AS n FROM "Sales Dept"."Visit" GROUP BY user_id;
ANALYZE;
`

// fileConfig is the demo's config (masks included) with the extras: every
// visit whole, and the visits' users key cut where the user is not in the
// twin.
func fileConfig() string {
	yaml := strings.Replace(string(demo.Config), "\ntables:\n", `
  - table: '"Sales Dept"."Visit"'
    all: true

tables:
`, 1)
	return strings.Replace(yaml, "\nforeign_keys:\n", `
foreign_keys:
  - table: '"Sales Dept"."Visit"'
    columns: [user_id]
    cut: true
`, 1) + `
    - table: '"Sales Dept"."Visit"'
      column: note
      mask: keep
`
}

func dumpTo(t *testing.T, src, yaml string, comp twinfile.Compression) ([]byte, *report.Report) {
	t.Helper()
	cfg, err := config.Parse("twin.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep, m, err := clone.Dump(context.Background(), clone.DumpOptions{
		Options: clone.Options{
			Source: dbconn.Endpoint{Role: "source", DSN: pgtest.DSN(src), From: "--source"},
			Config: cfg, Getenv: testGetenv, Version: "test",
		},
		Output: &buf, OutputName: "twin", Compression: comp,
	})
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	if m.Rows != rep.Rows || m.Rows == 0 {
		t.Fatalf("the manifest says %d rows, the report %d", m.Rows, rep.Rows)
	}
	return buf.Bytes(), rep
}

func restoreFrom(t *testing.T, tgt string, file []byte) (*report.Report, error) {
	t.Helper()
	return clone.Restore(context.Background(), clone.RestoreOptions{
		Options: clone.Options{Target: dbconn.Endpoint{Role: "target", DSN: pgtest.DSN(tgt), From: "--target"}, Getenv: testGetenv, Version: "test"},
		Input:   bytes.NewReader(file),
	})
}

// sequenceValues lists every sequence's state in db, with SQL of its own.
func sequenceValues(t *testing.T, db string) []string {
	return column(t, db, `SELECT format('%I.%I', schemaname, sequencename) || ' ' || coalesce(last_value::text, 'unset')
FROM pg_sequences WHERE schemaname NOT IN ('pgtwin') ORDER BY 1`)
}

// schemaText is pg_dump's schema of db without the pgtwin marker schema.
func schemaText(t *testing.T, db string) string {
	t.Helper()
	out, err := exec.Command("pg_dump", "--schema-only", "--exclude-schema=pgtwin", "--no-owner", "-d", pgtest.DSN(db)).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	// pg_dump's \restrict line carries a random key.
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, `\restrict`) && !strings.HasPrefix(l, `\unrestrict`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestDumpRestoreEqualsClone: a file restored by pgtwin restore, and the
// same file loaded by psql, give the twin a direct clone of the same config
// makes: schema, rows byte for byte, sequences, every constraint and index
// as the source defines it.
func TestDumpRestoreEqualsClone(t *testing.T) {
	t.Parallel()
	src := pgtest.NewDB(t)
	if err := demo.CreateShop(context.Background(), pgtest.Connect(t, src), 1); err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, pgtest.Connect(t, src), fileExtras)
	yaml := fileConfig()

	direct := pgtest.NewDB(t)
	want := twin(t, src, direct, yaml)
	wantRows := rowTexts(t, direct)

	for _, comp := range []twinfile.Compression{twinfile.Zstd, twinfile.Gzip, twinfile.None} {
		t.Run(string(comp), func(t *testing.T) {
			t.Parallel()
			file, _ := dumpTo(t, src, yaml, comp)
			restored := pgtest.NewDB(t)
			rep, err := restoreFrom(t, restored, file)
			if err != nil {
				t.Fatalf("restore: %v", err)
			}
			if rep.Rows != want.Rows || len(rep.CutKeys) != 1 || len(want.CutKeys) != 1 || rep.CutKeys[0] != want.CutKeys[0] || want.CutKeys[0].Rows == 0 {
				t.Errorf("restore reports %d rows and cut keys %v, the clone %d and %v", rep.Rows, rep.CutKeys, want.Rows, want.CutKeys)
			}
			viaPsql := pgtest.NewDB(t)
			psql(t, viaPsql, file, comp)
			for name, db := range map[string]string{"pgtwin restore": restored, "psql": viaPsql} {
				if d := cmp.Diff(wantRows, rowTexts(t, db)); d != "" {
					t.Errorf("%s: rows differ from the direct clone's (-clone +file):\n%s", name, d)
				}
				if d := cmp.Diff(schemaText(t, direct), schemaText(t, db)); d != "" {
					t.Errorf("%s: schema differs from the direct clone's (-clone +file):\n%s", name, d)
				}
				if d := cmp.Diff(sequenceValues(t, direct), sequenceValues(t, db)); d != "" {
					t.Errorf("%s: sequences differ (-clone +file):\n%s", name, d)
				}
				pgtest.SameDefinitions(t, pgtest.DSN(src), pgtest.DSN(db), []string{"public", "Sales Dept"})
				if n := scalar(t, db, `SELECT count(*) FROM "Sales Dept".visits_per_user`); n == "0" {
					t.Errorf("%s: the materialized view was not refreshed", name)
				}
			}
			if got := scalar(t, restored, "SELECT count(*) FROM pgtwin.runs"); got != "1" {
				t.Errorf("pgtwin.runs holds %s rows after a restore into an empty database, want 1", got)
			}
		})
	}
}

// psql loads a twin file the way docs/twin-files.md tells users to.
func psql(t *testing.T, db string, file []byte, comp twinfile.Compression) {
	t.Helper()
	load := "psql --single-transaction -v ON_ERROR_STOP=1 -X -q -f - \"$DSN\""
	switch comp {
	case twinfile.Zstd:
		load = "zstd -dc | " + load
	case twinfile.Gzip:
		load = "gzip -dc | " + load
	}
	cmd := exec.Command("sh", "-c", load)
	cmd.Env = append(cmd.Environ(), "DSN="+pgtest.DSN(db))
	cmd.Stdin = bytes.NewReader(file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", load, err, out)
	}
}
