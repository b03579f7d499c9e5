package clone_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/pglocal"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// corpusDir holds public sample databases (see its README.md) next to the
// repository in the project's workspace; a user's checkout has none, and
// then TestCorpus is skipped.
const corpusDir = "../../../shared/corpus"

// corpusCase is one sample database: its scripts (relative to corpusDir)
// and a subset config with a sensible root.
type corpusCase struct {
	name    string
	scripts []string
	// prepare edits a script before it runs, e.g. to drop the lines that
	// create and connect to a database of the script's own choosing.
	prepare func(string) string
	config  string
}

var corpusCases = []corpusCase{
	{
		name:    "pagila",
		scripts: []string{"pagila/pagila-schema.sql", "pagila/pagila-data.sql"},
		// Domains (one with a non-ASCII name), an enum, an aggregate,
		// triggers, views, a materialized view, a tsvector column kept by a
		// trigger, and a partitioned payment table whose foreign keys live
		// on the partitions.
		config: `
version: 1
roots:
  - table: customer
    order_by: customer_id
    limit: 20
`,
	},
	{
		name:    "chinook",
		scripts: []string{"chinook/Chinook_PostgreSql.sql"},
		// The script drops, creates and connects to a database "chinook" of
		// its own; the test loads it into a database of its own instead.
		prepare: func(s string) string {
			return regexp.MustCompile(`(?mi)^(DROP DATABASE|CREATE DATABASE|\\c)\b[^\n]*$`).ReplaceAllString(s, "")
		},
		config: `
version: 1
roots:
  - table: customer
    order_by: customer_id
    limit: 10
`,
	},
	{
		name:    "northwind",
		scripts: []string{"northwind/northwind.sql"},
		config: `
version: 1
roots:
  - table: customers
    order_by: customer_id
    limit: 10
`,
	},
}

// TestCorpus twins real-world sample databases nobody on the project wrote
// (Pagila, Chinook, Northwind) twice each, with a subset from a root and
// with every table whole, and checks each twin against the oracle and
// verifyTwin: the same schema objects and constraints, every foreign key
// valid, every row a source row. It runs only when the corpus exists.
func TestCorpus(t *testing.T) {
	dir, err := filepath.Abs(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Skipf("no sample database corpus at %s (it lives in the project's workspace, not in the repository)", dir)
	}
	psql := findPsql(t)
	for _, tc := range corpusCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := pgtest.NewDB(t)
			for _, script := range tc.scripts {
				loadScript(t, psql, src, filepath.Join(dir, script), tc.prepare)
			}
			pgtest.Exec(t, pgtest.Connect(t, src), "ANALYZE")
			for _, run := range []struct{ name, yaml string }{
				{"subset", tc.config},
				{"everything", allConfig(t, src)},
			} {
				t.Run(run.name, func(t *testing.T) {
					tgt := pgtest.NewDB(t)
					rep := twin(t, src, tgt, run.yaml)
					if rep.Rows == 0 {
						t.Fatal("twin is empty")
					}
					for _, w := range rep.Warnings {
						t.Logf("warning: %s", w)
					}
					if d := diffMaps(oracle(t, src, run.yaml), identities(t, tgt)); d != "" {
						t.Errorf("twin differs from the oracle (-oracle +twin):\n%s", d)
					}
					verifyTwin(t, src, tgt, run.yaml)
					if d := cmp.Diff(schemaObjects(t, src), schemaObjects(t, tgt)); d != "" {
						t.Errorf("schema objects differ (-source +twin):\n%s", d)
					}
					if empty := column(t, tgt, "SELECT oid::regclass::text FROM pg_class WHERE relkind = 'm' AND NOT relispopulated"); len(empty) > 0 {
						t.Errorf("materialized views left unpopulated in the twin: %v", empty)
					}
					fks := column(t, tgt, `SELECT conrelid::regclass::text || ' ' || conname || ' valid=' || convalidated::text
FROM pg_constraint WHERE contype = 'f' ORDER BY 1`)
					if len(fks) == 0 {
						t.Error("the twin has no foreign keys")
					}
					for _, fk := range fks {
						if !strings.HasSuffix(fk, "valid=true") {
							t.Errorf("foreign key not validated in the twin: %s", fk)
						}
					}
					t.Logf("%d rows in %.2fs, %d foreign keys, %d schema objects", rep.Rows, rep.Seconds, len(fks), len(schemaObjects(t, tgt)))
				})
			}
		})
	}
}

// schemaObjects lists a database's own schema objects (outside the system
// schemas and pgtwin's): relations by kind, types, functions, triggers,
// rules and policies.
func schemaObjects(t *testing.T, db string) []string {
	t.Helper()
	return column(t, db, `
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pgtwin') AND nspname NOT LIKE 'pg\_%'
)
SELECT 'relation ' || c.oid::regclass::text || ' ' || c.relkind::text FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
UNION ALL
SELECT 'type ' || t.oid::regtype::text || ' ' || t.typtype::text FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text || ' ' || p.prokind::text FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
UNION ALL
SELECT 'trigger ' || tg.tgrelid::regclass::text || ' ' || tg.tgname || ' ' || tg.tgenabled::text
FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN ns ON ns.oid = c.relnamespace WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'rule ' || schemaname || '.' || tablename || ' ' || rulename FROM pg_rules WHERE schemaname IN (SELECT nspname FROM ns)
UNION ALL
SELECT 'policy ' || schemaname || '.' || tablename || ' ' || policyname FROM pg_policies WHERE schemaname IN (SELECT nspname FROM ns)
ORDER BY 1`)
}

// findPsql returns psql from PATH, or from the server's bin directory.
func findPsql(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	if dir, err := pglocal.FindServerBin(); err == nil {
		if p := filepath.Join(dir, "psql"); fileExists(p) {
			return p
		}
	}
	t.Skip("no psql to load the sample databases with")
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// loadScript runs a SQL script with psql in database db, stopping at the
// first error.
func loadScript(t *testing.T, psql, db, path string, prepare func(string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	if prepare != nil {
		script = prepare(script)
	}
	cmd := exec.CommandContext(context.Background(), psql, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-d", pgtest.DSN(db), "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("load %s: %v\n%s", path, err, out.String())
	}
}
