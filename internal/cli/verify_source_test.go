package cli_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// verifySourceSchema is the schema of the source and of its hand-made
// twin: users with masked email and phone, a log table without a primary
// key, and a table whose primary key is masked.
const verifySourceSchema = `
CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, phone text);
CREATE TABLE logs (msg text);
CREATE TABLE tokens (token text PRIMARY KEY);
`

// verifySecrets are the source's personal values: none may be printed.
var verifySecrets = []string{"ann.lee@corp.example", "bob@corp.example", "cy@corp.example", "+1 555 0100", "+1 555 0102"}

// verifySourceDBs makes a source and a twin of it with every masked
// column masked, and returns their connection strings.
func verifySourceDBs(t *testing.T) (src, twin string) {
	t.Helper()
	src = pgtest.DSN(pgtest.NewDB(t, verifySourceSchema+`
INSERT INTO users VALUES (1, 'ann.lee@corp.example', '+1 555 0100'), (2, 'bob@corp.example', NULL), (3, 'cy@corp.example', '+1 555 0102');
INSERT INTO logs VALUES ('mail ann.lee@corp.example');
INSERT INTO tokens VALUES ('s3cr3t');`))
	cfg, err := pgx.ParseConfig(src)
	if err != nil {
		t.Fatal(err)
	}
	twin = pgtest.DSN(pgtest.NewDB(t, verifySourceSchema+`
INSERT INTO users VALUES (1, 'qfs.xmu@hzba.example', '+4 918 2736'), (2, 'kzn@hzba.example', NULL), (3, 'pl@hzba.example', '+9 203 8815');
INSERT INTO logs VALUES ('mail qfs.xmu@hzba.example');
INSERT INTO tokens VALUES ('x9q7b');`+load.MarkerDDL+`
INSERT INTO pgtwin.runs (created_at, snapshot_at, source, config_sha256, pgtwin_version, schemas, rows, mask_key_fingerprint, masked)
VALUES (now(), now(), '`+dbconn.Describe(&cfg.Config)+`', 'c0ffee', 'test', '{public}', '{"public.users": 3}', 'fp', '[
  {"table": {"schema": "public", "name": "users"}, "column": "email", "mask": "email"},
  {"table": {"schema": "public", "name": "users"}, "column": "phone", "mask": "digits"},
  {"table": {"schema": "public", "name": "logs"}, "column": "msg", "mask": "text"},
  {"table": {"schema": "public", "name": "tokens"}, "column": "token", "mask": "text"}]');`))
	return src, twin
}

// verifyRun runs pgtwin in-process with the environment env.
func verifyRun(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), args, cli.Env{
		Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
	})
	stdout, stderr = out.String(), errb.String()
	for _, s := range verifySecrets {
		if strings.Contains(stdout+stderr, s) {
			t.Errorf("pgtwin %s printed the source value %q:\n%s\n%s", strings.Join(args, " "), s, stdout, stderr)
		}
	}
	return code, stdout, stderr
}

func wantLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(`(?m)` + p).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", p, out)
		}
	}
}

// TestVerifySource: verify --source passes a masked twin, says what it
// did not check, and without --source says the check did not run.
func TestVerifySource(t *testing.T) {
	src, twin := verifySourceDBs(t)
	code, stdout, stderr := verifyRun(t, nil, "verify", "--target", twin, "--source", src)
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("exit %d, want 0:\n%s\n%s", code, stdout, stderr)
	}
	wantLines(t, stdout,
		`^masking +ok +2 masked columns checked against the source: 6 values, none unmasked; 2 not checked$`,
		`^Masked columns not checked$`,
		`^  public\.logs\.msg +text +the table has no primary key: its rows cannot be matched with the source's$`,
		`^  public\.tokens\.token +text +its primary key \(token\) is masked: its rows cannot be matched with the source's$`,
		`^OK: the twin holds together\.$`)
	if strings.Contains(stdout, "! ") {
		t.Errorf("a warning for the twin's own source:\n%s", stdout)
	}

	// The source from the environment (--source= empty), as JSON.
	code, stdout, _ = verifyRun(t, map[string]string{"PROD_DATABASE_URL": src}, "verify", "--target", twin, "--source=", "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, want 0:\n%s", code, stdout)
	}
	wantLines(t, stdout, `"masking": \{\n +"checked": true,\n +"source": "`, `"masked": 2,\n +"null": 1,\n +"unchanged": 0,\n +"unmasked": 0,`)

	// Without --source the check does not run, and does not fail.
	code, stdout, _ = verifyRun(t, map[string]string{"PROD_DATABASE_URL": src}, "verify", "--target", twin)
	if code != cli.ExitOK {
		t.Fatalf("exit %d, want 0:\n%s", code, stdout)
	}
	wantLines(t, stdout, `^masking +skip +4 masked columns not compared with the source \(pass --source to check them\)$`)

	// No source anywhere.
	code, _, stderr = verifyRun(t, nil, "verify", "--target", twin, "--source=")
	if code != cli.ExitUsage {
		t.Errorf("--source= without a source: exit %d, want %d", code, cli.ExitUsage)
	}
	wantLines(t, stderr, `^pgtwin: no source database: pass --source URL or set \$PROD_DATABASE_URL`)

	// The twin itself as the source: the same string, or another one.
	for _, s := range []string{twin, strings.Replace(twin, "sslmode=disable", "sslmode=disable application_name=x", 1)} {
		code, _, stderr = verifyRun(t, nil, "verify", "--target", twin, "--source", s)
		if code != cli.ExitUsage || !strings.Contains(stderr, "the twin itself") {
			t.Errorf("--source the twin: exit %d, want %d:\n%s", code, cli.ExitUsage, stderr)
		}
	}
}

// TestVerifySourceLeak: a source value planted in the twin fails the run,
// naming the column, the count and the row's key, and printing no value.
func TestVerifySourceLeak(t *testing.T) {
	src, twin := verifySourceDBs(t)
	conn, err := pgx.Connect(context.Background(), twin)
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, conn, `UPDATE users SET email = 'bob@corp.example' WHERE id = 2`)
	conn.Close(context.Background())

	code, stdout, stderr := verifyRun(t, nil, "verify", "--target", twin, "--source", src)
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want %d:\n%s\n%s", code, cli.ExitFailure, stdout, stderr)
	}
	wantLines(t, stdout,
		`^masking +FAIL +1 of 2 masked columns hold source values: 1 unmasked of 6 values; 2 not checked$`,
		`^Masked columns holding source values \(compared with .*\)$`,
		`^  column +mask +rows +masked +null +unchanged +unmasked +example keys$`,
		`^  public\.users\.email +email +3 +2 +0 +0 +1 +\(2\)$`,
		`^FAILED$`)
	wantLines(t, stderr, `^pgtwin: the twin does not hold: 1 masked column holds source values$`)

	code, stdout, _ = verifyRun(t, nil, "verify", "--target", twin, "--source", src, "--json")
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want %d", code, cli.ExitFailure)
	}
	wantLines(t, stdout, `"ok": false`, `"unmasked": 1,\n +"examples": \[\n +\[\n +"2"\n +\]\n +\]`)
}
