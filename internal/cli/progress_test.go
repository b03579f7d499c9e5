package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// shopSource makes the demo shop and a config file for it.
func shopSource(t *testing.T) (src, cfg string) {
	t.Helper()
	db, cfg := shopDB(t)
	return pgtest.DSN(db), cfg
}

// shopDB is shopSource with the database's name.
func shopDB(t *testing.T) (db, cfg string) {
	t.Helper()
	db = pgtest.NewDB(t)
	createShop(t, pgtest.DSN(db))
	return db, shopConfig(t)
}

// cloneRun runs pgtwin in-process, with the hooks getenv asks for
// (hooksFromEnv).
func cloneRun(t *testing.T, getenv func(string) string, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuf
	if getenv == nil {
		getenv = os.Getenv
	}
	env := cli.Env{Stdin: stdin, Stdout: &out, Stderr: &errb, Getenv: getenv}
	env = cli.WithHook(env, hooksFromEnv(getenv, args))
	code = cli.Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

var (
	clockRE  = regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d `)
	numberRE = regexp.MustCompile(`\d[\d,.]*`)
)

// mask replaces the clock times and every number of s.
func mask(s string) string {
	return numberRE.ReplaceAllString(clockRE.ReplaceAllString(s, "HH:MM:SS "), "N")
}

// TestProgressPlain: without a terminal (CI), progress is timestamped lines
// on stderr: one at each phase change, the copy's total and its tables at
// the end of the copy, and one every --progress-interval in between.
func TestProgressPlain(t *testing.T) {
	src, cfg := shopSource(t)
	tgtDB := pgtest.NewDB(t)
	tgt := pgtest.DSN(tgtDB)
	code, stdout, stderr := cloneRun(t, nil, nil, "clone", "--config", cfg, "--source", src, "--target", tgt)
	if code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// The tables copied into, most recently first.
	want := `HH:MM:SS pgtwin: plan
HH:MM:SS pgtwin: schema dump
HH:MM:SS pgtwin: target checks
HH:MM:SS pgtwin: pre-data
HH:MM:SS pgtwin: data (~N rows, ~N kB estimated)
HH:MM:SS pgtwin: data: done, N rows, N kB in Ns
HH:MM:SS pgtwin:   public.addresses: N rows, N kB
HH:MM:SS pgtwin:   public.products: N rows, N kB
HH:MM:SS pgtwin:   public.order_items: N rows, N kB
HH:MM:SS pgtwin:   public.users: N rows, N kB
HH:MM:SS pgtwin:   public.reviews: N rows, N B
HH:MM:SS pgtwin:   public.payments: N rows, N kB
HH:MM:SS pgtwin:   public.orders: N rows, N kB
HH:MM:SS pgtwin:   public.categories: N rows, N kB
HH:MM:SS pgtwin: indexes and constraints
HH:MM:SS pgtwin: sequences
HH:MM:SS pgtwin: commit
HH:MM:SS pgtwin: analyze
`
	if got := mask(stderr); got != want {
		t.Errorf("stderr, masked:\n%s\nwant:\n%s", got, want)
	}
	if strings.ContainsAny(stderr, "\r\x1b") {
		t.Errorf("plain progress has a carriage return or an escape sequence:\n%q", stderr)
	}
	// The report: rows, bytes, seconds and share per table.
	for _, re := range []string{`(?m)^ +table +rows +bytes +seconds +share$`, `(?m)^ +public\.orders +\d+ +[\d.]+ kB +[\d.]+ +[\d.]+%$`, `(?m)^Phases: plan [\d.]+s, schema dump `} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("the report lacks %s:\n%s", re, stdout)
		}
	}

	// Held in a long phase, plain progress says so every interval: a
	// reader of the twin holds the next run in pre-data until the line is
	// there.
	letGo := lockTable(t, tgtDB, "public.orders", "ACCESS SHARE")
	var errb syncBuf
	done := make(chan int, 1)
	go func() {
		env := cli.Env{Stdout: io.Discard, Stderr: &errb, Getenv: os.Getenv}
		done <- cli.Run(context.Background(), []string{"clone", "--config", cfg, "--source", src, "--target", tgt, "--progress=plain", "--progress-interval=20ms"}, env)
	}()
	periodic := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d pgtwin: pre-data: 0s so far$`)
	waitUntil(t, "a periodic line while the run is held", func() bool {
		select {
		case code := <-done:
			t.Fatalf("the run ended (exit %d) before it was held:\n%s", code, errb.String())
		default:
		}
		return len(sessions(t, pgtest.DSN("postgres"), tgtDB, "wait_event_type = 'Lock'")) == 1 && periodic.MatchString(errb.String())
	})
	letGo()
	if code := <-done; code != cli.ExitOK {
		t.Errorf("exit %d after the reader let go\n%s", code, errb.String())
	}
}

// TestProgressTTY: --progress=tty draws live bars even when stderr is not
// a terminal; what stays after the run is the last frame.
func TestProgressTTY(t *testing.T) {
	t.Parallel()
	src, cfg := shopSource(t)
	tgt := pgtest.DSN(pgtest.NewDB(t))
	code, stdout, stderr := cloneRun(t, nil, nil, "clone", "--config", cfg, "--source", src, "--target", tgt, "--progress=tty")
	t.Logf("stderr:\n%q", stderr)
	if code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "\x1b[") {
		t.Errorf("tty progress drew no frames:\n%q", stderr)
	}
	// The frames, the cursor movements between them taken out.
	frames := regexp.MustCompile(`\x1b\[\d+A\x1b\[J`).Split(stderr, -1)
	last := regexp.MustCompile(`(?m) +$`).ReplaceAllString(frames[len(frames)-1], "")
	last = regexp.MustCompile(`\[[=>-]+\]`).ReplaceAllString(last, "[bar]")
	want := `pgtwin: done in Ns
total  [bar] N rows N%  N kB  in Ns
`
	if got := mask(last); !strings.HasSuffix(got, want) {
		t.Errorf("last frame, masked:\n%s\nwant it to end with:\n%s\nall of stderr:\n%q", got, want, stderr)
	}
	for _, line := range []string{"pgtwin: plan done", "pgtwin: data done", "pgtwin: indexes and constraints done", "pgtwin: commit done"} {
		if !strings.Contains(stderr, line+"\n") {
			t.Errorf("stderr lacks %q:\n%q", line, stderr)
		}
	}
	if strings.Contains(stdout, "\x1b") || !strings.HasPrefix(stdout, "Twin of ") {
		t.Errorf("stdout is not the plain report:\n%s", stdout)
	}
}

// TestProgressJSON: --json keeps stdout clean JSON, with progress on
// stderr when asked for.
func TestProgressJSON(t *testing.T) {
	t.Parallel()
	src, cfg := shopSource(t)
	tgt := pgtest.DSN(pgtest.NewDB(t))
	code, stdout, stderr := cloneRun(t, nil, nil, "clone", "--config", cfg, "--source", src, "--target", tgt, "--json", "--progress=plain")
	if code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rep struct {
		Version int `json:"report_version"`
		Tables  []struct {
			Table         string  `json:"table"`
			Share         float64 `json:"share"`
			EstimatedRows int64   `json:"estimated_rows"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	sum := 0.0
	for _, tb := range rep.Tables {
		sum += tb.Share
	}
	if rep.Version != 1 || sum < 0.999 || sum > 1.001 {
		t.Errorf("report_version %d, shares sum to %f:\n%s", rep.Version, sum, stdout)
	}
	if !strings.Contains(stderr, " pgtwin: data: done, ") {
		t.Errorf("stderr lacks the plain progress:\n%s", stderr)
	}
	// Without --progress, --json is quiet on stderr.
	code, _, stderr = cloneRun(t, nil, nil, "clone", "--config", cfg, "--source", src, "--target", tgt, "--json")
	if code != cli.ExitOK || stderr != "" {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
