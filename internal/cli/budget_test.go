package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// staleSource is a source whose statistics are stale: ANALYZE saw 10 hot
// events of 5,000, then every event became hot. A root on the hot events
// is estimated at a few rows and copies 5,000 (about 560 kB).
const staleSource = `
CREATE TABLE events (id int PRIMARY KEY, hot boolean NOT NULL, payload text NOT NULL) WITH (autovacuum_enabled = false);
INSERT INTO events SELECT i, i <= 10, repeat('x', 100) FROM generate_series(1, 5000) i;
ANALYZE events;
UPDATE events SET hot = true;`

// TestBudgets: a twin over a budget is refused before anything is written
// when the plan's estimate is over it (exit 2), and rolled back the moment
// the real counts cross it (exit 1); either way the target is exactly as
// it was, and the message says why and how to narrow the twin.
func TestBudgets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src := pgtest.DSN(pgtest.NewDB(t, staleSource))
	hot := write("hot.yaml", "version: 1\nroots:\n  - table: events\n    where: hot\n")
	all := write("all.yaml", "version: 1\ntables:\n  - table: events\n    copy: all\n")
	tgt := pgtest.DSN(pgtest.NewDB(t))
	// The target holds a smaller twin before each budgeted run.
	cloneOK(t, src, tgt, write("base.yaml", "version: 1\nroots:\n  - table: events\n    where: id <= 5\n"))
	before := stateOf(t, tgt)

	for _, tc := range []struct {
		name string
		cfg  string
		args []string
		code int
		want string // the error, a regexp over all its lines
	}{{
		name: "rows estimate",
		cfg:  all, args: []string{"--max-rows", "1000"}, code: cli.ExitUsage,
		want: `^pgtwin: the plan's estimate of ~5,000 rows is over the budget of 1,000 rows \(--max-rows\): nothing was done
  the biggest contributors \(estimated\):
    public\.events  ~5,000 rows  ~[\d.]+ (kB|MB)  copy: all
  narrow the twin with a smaller limit, percent or where on a root, .*; or raise the budget \(--max-rows\)
$`,
	}, {
		name: "bytes estimate",
		cfg:  all, args: []string{"--max-bytes", "100kB"}, code: cli.ExitUsage,
		want: `^pgtwin: the plan's estimate of ~[\d.]+ (kB|MB) is over the budget of 100\.0 kB \(--max-bytes\): nothing was done
  the biggest contributors \(estimated\):
    public\.events  ~5,000 rows  ~[\d.]+ (kB|MB)  copy: all
  narrow the twin .*; or raise the budget \(--max-bytes\)
$`,
	}, {
		name: "rows estimate from the config",
		cfg:  write("budget.yaml", "version: 1\ntables:\n  - table: events\n    copy: all\nbudgets:\n  max_rows: 1000\n"),
		code: cli.ExitUsage,
		want: `^pgtwin: the plan's estimate of ~5,000 rows is over the budget of 1,000 rows \(budgets\.max_rows in .*budget\.yaml\): nothing was done
(?s:.*)$`,
	}, {
		name: "rows crossed",
		cfg:  hot, args: []string{"--max-rows", "1000"}, code: cli.ExitFailure,
		want: `^pgtwin: the twin crossed its budget of 1,000 rows \(--max-rows\) while copying public\.events: 1,000 rows \([\d.]+ kB\) copied into 1 of 1 tables; the run was rolled back and the target is as it was
  the biggest so far: public\.events 1,000 rows \([\d.]+ kB\)
  the plan estimated ~\d+ rows; when the source's statistics are stale \(ANALYZE it\), estimates run low
  narrow the twin .*; or raise the budget \(--max-rows\)
$`,
	}, {
		name: "bytes crossed",
		cfg:  hot, args: []string{"--max-bytes", "100kB"}, code: cli.ExitFailure,
		want: `^pgtwin: the twin crossed its budget of 100\.0 kB \(--max-bytes\) while copying public\.events: \d{3} rows \((9\d\.\d|100\.0) kB\) copied into 1 of 1 tables; the run was rolled back and the target is as it was
  the biggest so far: public\.events \d+ rows \([\d.]+ kB\)
  the plan estimated ~[\d.]+ kB; .*
  narrow the twin .*; or raise the budget \(--max-bytes\)
$`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"clone", "--config", tc.cfg, "--source", src, "--target", tgt}, tc.args...)
			code, _, stderr := cloneRun(t, nil, nil, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, stderr)
			}
			// The message follows the progress lines.
			msg := withoutDocHint(stderr[strings.Index(stderr, "pgtwin: the "):])
			if !regexp.MustCompile(tc.want).MatchString(msg) {
				t.Errorf("message:\n%s\nwant it to match:\n%s", msg, tc.want)
			}
			if tc.code == cli.ExitUsage && strings.Contains(stderr, "pgtwin: target checks") {
				t.Errorf("a refused run went on to the target:\n%s", stderr)
			}
			assertUnchanged(t, tgt, before)
		})
	}
	// Within its budgets, the same twin is made.
	cloneOK(t, src, tgt, hot, "--max-rows", "5000", "--max-bytes", "1MB", "--max-duration", "1m")
}

// TestMaxDuration: a run that takes longer than --max-duration is stopped
// and rolled back, says how far it got, and leaves the target as it was:
// here while the target builds a slow index (100 s), and while the copy
// waits for a lock on the source. The budgets leave a loaded machine time
// to reach the phase they are meant to stop.
func TestMaxDuration(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for slow runs")
	}
	f := &faults{dir: t.TempDir()}
	t.Run("indexes and constraints", func(t *testing.T) {
		src, cfg := f.slowIndexSource(t)
		tgtDB := pgtest.NewDB(t)
		tgt := pgtest.DSN(tgtDB)
		cloneOK(t, src, tgt, f.write(t, "none.yaml", "version: 1\n"))
		before := stateOf(t, tgt)
		start := time.Now()
		code, _, stderr := cloneRun(t, nil, nil, "clone", "--config", cfg, "--source", src, "--target", tgt, "--max-duration", "20s")
		if code != cli.ExitFailure {
			t.Errorf("exit %d, want %d\n%s", code, cli.ExitFailure, stderr)
		}
		if d := time.Since(start); d > 60*time.Second { // the index build alone takes 100 s
			t.Errorf("the run took %v with --max-duration 2s", d)
		}
		lastLineOf(t, stderr, `^pgtwin: stopped after 20s \(the duration budget, --max-duration\) in phase indexes and constraints, 100 rows \([\d.]+ kB\) copied into 1 of 1 tables; the run was rolled back and the target is as it was$`)
		waitUntil(t, "the run's target session ends", func() bool {
			return len(sessions(t, pgtest.DSN("postgres"), tgtDB, "")) == 0
		})
		assertUnchanged(t, tgt, before)
	})
	t.Run("data", func(t *testing.T) {
		// midLoad holds the copy on a lock on the source's orders.
		f.srcDB, f.cfg = shopDB(t)
		f.src = pgtest.DSN(f.srcDB)
		tgt := pgtest.DSN(pgtest.NewDB(t))
		cloneOK(t, f.src, tgt, f.cfg)
		before := stateOf(t, tgt)
		r, letGo := f.midLoad(t, tgt, f.src, "--max-duration", "20s")
		defer letGo()
		if code := r.wait(t); code != cli.ExitFailure {
			t.Errorf("exit code %d, want %d\n%s", code, cli.ExitFailure, r.stderr())
		}
		r.lastLine(t, `^pgtwin: stopped after 20s \(the duration budget, --max-duration\) in phase data, [\d,]+ rows \([\d.]+ kB\) copied into \d of \d tables; the run was rolled back and the target is as it was$`)
		assertUnchanged(t, tgt, before)
	})
}

func lastLineOf(t *testing.T, stderr, re string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if last := withoutDocHint(lines[len(lines)-1]); !regexp.MustCompile(re).MatchString(last) {
		t.Errorf("last line of stderr:\n  %s\nwant it to match\n  %s\nall of stderr:\n%s", last, re, stderr)
	}
}
