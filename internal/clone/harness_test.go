package clone_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/pgtest"
	"github.com/pgtwin/pgtwin/internal/report"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// twinCase is one subset case: a source database, a config, and the rows
// the twin must hold, written as each row's identity (ROW(primary key)::text,
// or ROW(every column)::text for a table without one).
type twinCase struct {
	name   string
	schema string // DDL and data of the source
	config string // YAML
	want   map[string][]string
}

// run twins the case's source into a fresh target, then checks the twin
// against the case's expected rows, the SQL oracle and every guarantee.
func (tc twinCase) run(t *testing.T) (src, tgt string, rep *report.Report) {
	t.Helper()
	src = pgtest.NewDB(t, tc.schema, "ANALYZE")
	tgt = pgtest.NewDB(t)
	rep = twin(t, src, tgt, tc.config)
	got := identities(t, tgt)
	if tc.want != nil {
		want := map[string][]string{}
		for table, keys := range tc.want {
			k := append([]string{}, keys...)
			sort.Strings(k)
			want[table] = k
		}
		for table := range got {
			if _, ok := want[table]; !ok {
				want[table] = []string{}
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("twin rows (-want +got):\n%s", d)
		}
	}
	if d := cmp.Diff(oracle(t, src, tc.config), got); d != "" {
		t.Errorf("twin rows differ from the SQL oracle (-oracle +twin):\n%s", d)
	}
	verifyTwin(t, src, tgt, tc.config)
	return src, tgt, rep
}

// twin runs pgtwin clone from database src into database tgt.
func twin(t *testing.T, src, tgt, yaml string) *report.Report {
	t.Helper()
	rep, err := runClone(src, tgt, yaml, nil)
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	return rep
}

func runClone(src, tgt, yaml string, tweak func(*clone.Options)) (*report.Report, error) {
	cfg, err := config.Parse("twin.yaml", []byte(yaml))
	if err != nil {
		return nil, err
	}
	opts := clone.Options{
		Source: dbconn.Endpoint{Role: "source", DSN: pgtest.DSN(src), From: "--source"},
		Target: dbconn.Endpoint{Role: "target", DSN: pgtest.DSN(tgt), From: "--target"},
		Config: cfg, Getenv: os.Getenv, Version: "test",
	}
	if tweak != nil {
		tweak(&opts)
	}
	return clone.Run(context.Background(), opts)
}

// readCatalog reads a database's catalog.
func readCatalog(t *testing.T, db string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Read(context.Background(), pgtest.Connect(t, db))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// identityExpr is the SQL that identifies a row of table t for tests.
func identityExpr(t *catalog.Table) string {
	cols := t.PrimaryKey
	if len(cols) == 0 {
		for _, c := range t.Columns {
			cols = append(cols, c.Name)
		}
	}
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return "ROW(" + strings.Join(q, ", ") + ")::text"
}

// fromOnly is the FROM target that reads a table's own rows.
func fromOnly(t *catalog.Table) string {
	if t.Kind == catalog.Partitioned {
		return t.Name.String()
	}
	return "ONLY " + t.Name.String()
}

// identities returns every table's row identities in database db, sorted.
func identities(t *testing.T, db string) map[string][]string {
	t.Helper()
	return queryPerTable(t, db, func(tb *catalog.Table) string {
		return fmt.Sprintf("SELECT %s FROM %s ORDER BY 1", identityExpr(tb), fromOnly(tb))
	})
}

// queryPerTable runs one single-column query per user table (not pgtwin's
// own) and returns the text results by table name.
func queryPerTable(t *testing.T, db string, query func(*catalog.Table) string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, db)
	out := map[string][]string{}
	for _, tb := range readCatalog(t, db).Tables {
		if tb.Name.Schema == "pgtwin" {
			continue
		}
		rows, err := conn.Query(ctx, query(tb))
		if err != nil {
			t.Fatalf("%s: %v", tb.Name.Display(), err)
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", tb.Name.Display(), err)
		}
		if vals == nil {
			vals = []string{}
		}
		out[tb.Name.Display()] = vals
	}
	return out
}

// allConfig is a config that copies every table of database db whole.
func allConfig(t *testing.T, db string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\ntables:\n")
	for _, tb := range readCatalog(t, db).Tables {
		fmt.Fprintf(&b, "  - table: '%s'\n    copy: all\n", strings.ReplaceAll(tb.Name.String(), "'", "''"))
	}
	return b.String()
}

func diffMaps(want, got map[string][]string) string { return cmp.Diff(want, got) }
