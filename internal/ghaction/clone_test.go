package ghaction

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/demo"
	"github.com/pgtwin/pgtwin/internal/pglocal"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

//go:embed testdata/example_schema.sql
var exampleSchema string

// needTools fails the test when a program the action's scripts use is
// missing: GitHub's runners have them, so a missing one here would hide a
// broken step.
func needTools(t *testing.T) {
	t.Helper()
	for _, p := range []string{"bash", "jq", "go"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s is not installed: the action's steps need it (GitHub's Ubuntu runners have it; Debian/Ubuntu: apt-get install %s)", p, p)
		}
	}
}

// report is the part of pgtwin clone --json the tests look at.
type report struct {
	Version int    `json:"report_version"`
	Target  string `json:"target"`
	Rows    int64  `json:"rows"`
	Tables  []struct {
		Table string `json:"table"`
		Rows  int64  `json:"rows"`
	} `json:"tables"`
	Phases   []struct{ Name string } `json:"phases"`
	Warnings []string                `json:"warnings"`
}

func readReport(t *testing.T, path string) report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the report output names %q: %v", path, err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, b)
	}
	return rep
}

// newestPgBinMajor is the newest /usr/lib/postgresql/N with pg_dump and
// pg_restore, or "" when there is none: the pg-version the test passes, so
// that the action finds it installed and skips apt.
func newestPgBinMajor() string {
	best := 0
	for _, d := range pglocal.DebianBinDirs() {
		n, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if err != nil || filepath.Dir(filepath.Dir(d)) != "/usr/lib/postgresql" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "pg_dump")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "pg_restore")); err != nil {
			continue
		}
		best = max(best, n)
	}
	if best == 0 {
		return ""
	}
	return strconv.Itoa(best)
}

func workspaceWith(t *testing.T, config []byte) string {
	t.Helper()
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "twin.yaml"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	return ws
}

func countRows(t *testing.T, db, table string) int64 {
	t.Helper()
	var n int64
	if err := pgtest.Connect(t, db).QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkRows checks the rows output against the report, and the report
// against the rows the target database tgt holds in its tables.
func checkRows(t *testing.T, rows string, rep report, tgt string) {
	t.Helper()
	if rows != strconv.FormatInt(rep.Rows, 10) {
		t.Errorf("rows output = %q, the report says %d", rows, rep.Rows)
	}
	var inTarget int64
	for _, tb := range rep.Tables {
		inTarget += countRows(t, tgt, tb.Table)
	}
	if inTarget != rep.Rows {
		t.Errorf("the target holds %d rows in the report's tables, the report says %d", inTarget, rep.Rows)
	}
}

// TestActionClonesTheShop runs the action as a workflow would — the
// connection strings in PROD_DATABASE_URL / DEV_DATABASE_URL, the config in
// twin.yaml — from a sample shop database into an empty one, then again with
// source, target and extra args given as inputs.
func TestActionClonesTheShop(t *testing.T) {
	needTools(t)
	ctx := context.Background()
	src := pgtest.NewDB(t)
	if err := demo.CreateShop(ctx, pgtest.Connect(t, src), 1); err != nil {
		t.Fatal(err)
	}
	tgt := pgtest.NewDB(t)
	ws := workspaceWith(t, demo.Config)

	pgVersion := newestPgBinMajor()
	r := newRunner(t, map[string]string{"pg-version": pgVersion},
		map[string]string{"PROD_DATABASE_URL": pgtest.URL(src), "DEV_DATABASE_URL": pgtest.URL(tgt), "PGTWIN_MASK_KEY": testMaskKey}, ws)
	if code := r.run(); code != 0 {
		t.Fatalf("the action failed (exit %d):\n%s", code, r.log.String())
	}
	t.Logf("steps:\n%s", r.log.String())

	if r.steps["go"]["setup"] != "false" {
		t.Errorf("the Go step wants to set up Go on a machine that has %s", goVersion(t))
	}
	if pgVersion != "" && r.steps["postgres"]["pg-bin"] != "/usr/lib/postgresql/"+pgVersion+"/bin" {
		t.Errorf("pg-version %s: pg-bin output = %q", pgVersion, r.steps["postgres"]["pg-bin"])
	}
	// The job log shows pgtwin's progress while it runs (plain mode).
	if !regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d pgtwin: indexes and constraints$`).MatchString(r.log.String()) {
		t.Errorf("the log has no progress lines:\n%s", r.log.String())
	}
	if pgVersion != "" && !strings.Contains(r.log.String(), "pg_dump "+pgVersion+" is already installed") {
		t.Errorf("pg-version %s: the step did not notice the installed pg_dump", pgVersion)
	}

	out := r.outputs()
	rep := readReport(t, out["report"])
	if rep.Version != 1 || rep.Rows == 0 || len(rep.Tables) == 0 {
		t.Fatalf("unexpected report: %+v", rep)
	}
	checkRows(t, out["rows"], rep, tgt)

	sum := r.summaryText()
	t.Logf("job summary:\n%s", sum)
	want := []string{
		"### pgtwin clone: " + commas(rep.Rows) + " rows copied",
		"| rows | bytes | duration | tables |",
		"| table | rows | bytes | seconds |",
		"| phase | seconds |",
	}
	for _, tb := range rep.Tables {
		want = append(want, "| "+tb.Table+" | "+commas(tb.Rows)+" | ")
	}
	for _, p := range rep.Phases {
		want = append(want, "| "+p.Name+" | ")
	}
	for _, w := range rep.Warnings {
		want = append(want, "- "+w)
	}
	for _, w := range want {
		if !strings.Contains(sum, w) {
			t.Errorf("the job summary lacks %q", w)
		}
	}
	for _, secret := range []string{pgtest.URL(src), pgtest.URL(tgt)} {
		if strings.Contains(r.log.String(), secret) || strings.Contains(sum, secret) {
			t.Errorf("a connection string appears in the log or the summary")
		}
	}

	t.Run("inputs", func(t *testing.T) {
		// Keyword/value strings with spaces, extra args on two lines, no
		// summary, the report where the input says.
		reportPath := filepath.Join(t.TempDir(), "out", "twin.json")
		r := newRunner(t, map[string]string{
			"source":  pgtest.DSN(src),
			"target":  pgtest.DSN(tgt),
			"args":    "--quiet\n  --keep-owners",
			"summary": "false",
			"report":  reportPath,
		}, map[string]string{"PGTWIN_MASK_KEY": testMaskKey}, ws)
		if code := r.run(); code != 0 {
			t.Fatalf("the action failed (exit %d):\n%s", code, r.log.String())
		}
		out := r.outputs()
		if out["report"] != reportPath {
			t.Errorf("report output = %q, want %q", out["report"], reportPath)
		}
		if rep := readReport(t, reportPath); out["rows"] != strconv.FormatInt(rep.Rows, 10) {
			t.Errorf("rows output = %q, the report says %d", out["rows"], rep.Rows)
		}
		if s := r.summaryText(); s != "" {
			t.Errorf("summary: false still wrote a job summary:\n%s", s)
		}
		if n := countRows(t, tgt, "pgtwin.runs"); n != 2 {
			t.Errorf("pgtwin.runs has %d rows after two runs, want 2", n)
		}
	})

	t.Run("refused", func(t *testing.T) {
		// A target with someone else's table: pgtwin refuses (exit 2), the
		// step fails with pgtwin's code, the summary and an annotation say
		// why, and there is no rows output.
		other := pgtest.NewDB(t, "CREATE TABLE precious (id int)")
		r := newRunner(t, nil, map[string]string{"PROD_DATABASE_URL": pgtest.URL(src), "DEV_DATABASE_URL": pgtest.URL(other), "PGTWIN_MASK_KEY": testMaskKey}, ws)
		if code := r.run(); code != 2 {
			t.Fatalf("exit %d, want 2:\n%s", code, r.log.String())
		}
		out := r.outputs()
		if out["rows"] != "" || out["report"] != "" {
			t.Errorf("a failed run set outputs %v", out)
		}
		sum := r.summaryText()
		for _, w := range []string{"### pgtwin clone failed (exit 2)", "was not made by pgtwin; pass --overwrite-non-twin"} {
			if !strings.Contains(sum, w) {
				t.Errorf("the job summary lacks %q:\n%s", w, sum)
			}
		}
		if !regexp.MustCompile(`(?m)^::error title=pgtwin clone failed \(exit 2\)::pgtwin: the target .* was not made by pgtwin`).MatchString(r.log.String()) {
			t.Errorf("no error annotation in the log:\n%s", r.log.String())
		}
		if n := countRows(t, other, "precious"); n != 0 {
			t.Errorf("precious has %d rows", n)
		}
	})
}

// testMaskKey is the masking key of the runs (the demo and example configs
// mask), as a repository secret would hold it.
const testMaskKey = "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"

// TestActionExampleConfig runs the action with examples/github/twin.yaml on
// the schema it is written for, without pg-version, and wants a twin with
// no warnings: the example must work as shipped.
func TestActionExampleConfig(t *testing.T) {
	needTools(t)
	cfg, err := os.ReadFile(filepath.Join(repoRoot, "examples", "github", "twin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := pgtest.NewDB(t, exampleSchema)
	tgt := pgtest.NewDB(t)
	r := newRunner(t, map[string]string{"config": "twin.yaml"},
		map[string]string{"PROD_DATABASE_URL": readerURL(t, src), "DEV_DATABASE_URL": pgtest.URL(tgt), "PGTWIN_MASK_KEY": testMaskKey}, workspaceWith(t, cfg))
	if code := r.run(); code != 0 {
		t.Fatalf("the action failed (exit %d):\n%s", code, r.log.String())
	}
	rep := readReport(t, r.outputs()["report"])
	if len(rep.Warnings) > 0 {
		t.Errorf("the example config gives warnings:\n%s", strings.Join(rep.Warnings, "\n"))
	}
	rows := map[string]int64{}
	for _, tb := range rep.Tables {
		rows[tb.Table] = tb.Rows
	}
	for table, check := range map[string]func(int64) bool{
		"public.users":       func(n int64) bool { return n >= 200 && n < 400 },
		"public.orders":      func(n int64) bool { return n > 0 },
		"public.order_items": func(n int64) bool { return n == 3*rows["public.orders"] },
		"public.countries":   func(n int64) bool { return n == 4 },
		"public.categories":  func(n int64) bool { return n == 16 },
		"public.coupons":     func(n int64) bool { return n == 0 },
		"public.audit_log":   func(n int64) bool { return n == 0 },
	} {
		if !check(rows[table]) {
			t.Errorf("%s: %d rows", table, rows[table])
		}
	}
	if n := countRows(t, tgt, "orders WHERE coupon_id IS NOT NULL"); n != 0 {
		t.Errorf("%d orders kept a coupon_id; the example cuts that key", n)
	}
	if t.Failed() {
		var names []string
		for n := range rows {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t.Logf("%s: %d", n, rows[n])
		}
	}
}

// readerURL makes a role that may only read database db (SELECT on its
// tables and sequences, as docs/troubleshooting.md tells users to make) and
// returns a URL of db as that role.
func readerURL(t *testing.T, db string) string {
	t.Helper()
	role := db + "_reader"
	admin := pgtest.Connect(t, db)
	pgtest.Exec(t, admin, fmt.Sprintf(`CREATE ROLE %[1]s LOGIN PASSWORD 'reader';
GRANT CONNECT ON DATABASE %[2]s TO %[1]s;
GRANT USAGE ON SCHEMA public TO %[1]s;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO %[1]s;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO %[1]s;`, role, db))
	t.Cleanup(func() {
		// The role owns privileges in db: drop db first (its own cleanup,
		// registered earlier, runs later and finds it gone).
		pgtest.DropDB(db)
		c, err := pgx.Connect(context.Background(), pgtest.DSN("postgres"))
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	u, err := url.Parse(pgtest.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, "reader")
	return u.String()
}

// commas formats n as the summary does: 12,345.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func goVersion(t *testing.T) string {
	b, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
