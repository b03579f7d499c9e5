package clone_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	// pinned holds the sampled rows of percent roots below 100 (see
	// oracleWith), by table.
	pinned map[string][]string
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
	if d := cmp.Diff(oracleWith(t, src, tc.config, tc.pinned), got); d != "" {
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
		Config: cfg, Getenv: testGetenv, Version: "test",
	}
	if tweak != nil {
		tweak(&opts)
	}
	from := time.Now()
	rep, err := clone.Run(context.Background(), opts)
	if err == nil {
		runs.Store(tgt, runInfo{srcDB: src, from: from, to: time.Now()})
	}
	return rep, err
}

// identities returns every table's row identities in database db (every
// user schema, not pgtwin's), sorted, by table (schema.table).
func identities(t *testing.T, db string) map[string][]string {
	t.Helper()
	conn := pgtest.Connect(t, db)
	out := map[string][]string{}
	for _, tb := range readOCatalog(t, conn, &oconfig{}).tables {
		out[tb.key] = column(t, db, fmt.Sprintf("SELECT %s FROM %s ORDER BY 1", tb.identity(), tb.from()))
		if out[tb.key] == nil {
			out[tb.key] = []string{}
		}
	}
	return out
}

// allConfig is a config that copies every table of database db whole.
func allConfig(t *testing.T, db string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\ntables:\n")
	for _, tb := range readOCatalog(t, pgtest.Connect(t, db), &oconfig{}).tables {
		fmt.Fprintf(&b, "  - table: '%s'\n    copy: all\n", strings.ReplaceAll(tb.key, "'", "''"))
	}
	return b.String()
}

func diffMaps(want, got map[string][]string) string { return cmp.Diff(want, got) }

// testMaskKey is the masking key of the tests' runs (the demo config masks).
const testMaskKey = "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"

// testGetenv is the environment of the tests' runs: the process's, with a
// masking key when it has none.
func testGetenv(k string) string {
	if v, ok := os.LookupEnv(k); ok || k != "PGTWIN_MASK_KEY" {
		return v
	}
	return testMaskKey
}
