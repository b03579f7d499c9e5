package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestLog: --log-level debug (or $PGTWIN_LOG) logs what ran, against which
// server, and how long each phase and query took — and no row value, not
// even the keys that lookups send to the source.
func TestLog(t *testing.T) {
	t.Parallel()
	src := pgtest.DSN(pgtest.NewDB(t, `
CREATE TABLE accounts (code text PRIMARY KEY, owner text NOT NULL);
CREATE TABLE entries (id int PRIMARY KEY, account text NOT NULL REFERENCES accounts, note text);
INSERT INTO accounts VALUES ('ACCT-SECRET-7', 'Ada Secretname'), ('ACCT-OTHER', 'Bob');
INSERT INTO entries VALUES (1, 'ACCT-SECRET-7', 'hush-note-1');`))
	tgt := pgtest.DSN(pgtest.NewDB(t))
	cfg := writeFile(t, "log.yaml", "version: 1\nroots:\n  - table: entries\n    where: note <> 'unused-literal'\n")
	code, _, stderr := cloneRun(t, nil, nil, "clone", "--quiet", "--config", cfg, "--source", src, "--target", tgt, "--log-level", "debug")
	if code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, re := range []string{
		`(?m)^time=\S+ level=INFO msg=connected server="?\w+@[^"]+:\d+/\w+"? seconds=[\d.]+$`,
		`(?m)^time=\S+ level=INFO msg="phase started" phase=plan$`,
		`(?m)^time=\S+ level=INFO msg="phase ended" phase="indexes and constraints" seconds=[\d.]+$`,
		`(?m)^time=\S+ level=DEBUG msg=query server=("[^"]+"|\S+) sql="COPY \(SELECT .*FROM ONLY \\"public\\"\.\\"accounts\\" WHERE .* …" seconds=[\d.]+ tag="COPY 1"$`,
		`(?m)^time=\S+ level=DEBUG msg=query server=("[^"]+"|\S+) sql="COPY \\"public\\"\.\\"entries\\" FROM STDIN" seconds=[\d.]+$`,
		`(?m)^time=\S+ level=INFO msg="run done" seconds=[\d.]+$`,
	} {
		if !regexp.MustCompile(re).MatchString(stderr) {
			t.Errorf("the log lacks %s:\n%s", re, stderr)
		}
	}
	for _, v := range []string{"ACCT-SECRET-7", "Secretname", "hush-note", "unused-literal"} {
		if strings.Contains(stderr, v) {
			t.Errorf("the log holds the value %q:\n%s", v, stderr)
		}
	}

	// $PGTWIN_LOG asks for it too; a bad level is a usage error.
	getenv := func(k string) string {
		if k == "PGTWIN_LOG" {
			return "info"
		}
		return ""
	}
	code, _, stderr = cloneRun(t, getenv, nil, "plan", "--config", cfg, "--source", src)
	if code != cli.ExitOK || !strings.Contains(stderr, `msg=connected`) || strings.Contains(stderr, "level=DEBUG") {
		t.Errorf("PGTWIN_LOG=info: exit %d\n%s", code, stderr)
	}
	code, _, stderr = cloneRun(t, nil, nil, "plan", "--config", cfg, "--source", src, "--log-level", "loud")
	if code != cli.ExitUsage || stderr != "pgtwin: --log-level must be debug, info, warn or error, got \"loud\"\n" {
		t.Errorf("--log-level loud: exit %d\n%s", code, stderr)
	}
}
