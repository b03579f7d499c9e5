package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestMaskKeyNeverPrinted: the masking key appears in no output of a run
// that masks — stdout, stderr, the --json report, the debug log — nor in
// the marker the twin keeps, nor in the refusal of a key that is too short.
func TestMaskKeyNeverPrinted(t *testing.T) {
	t.Parallel()
	src, tgt := pgtest.NewDB(t), pgtest.NewDB(t)
	createShop(t, pgtest.DSN(src))
	cfg := shopConfig(t)
	const key = "c0ffee0ddba11f00dfacade5eedbeefc0ffee0ddba11f00dfacade5eedbeef01"
	env := []string{"PGTWIN_MASK_KEY=" + key}
	var outputs []string
	for _, args := range [][]string{
		{"clone", "--json", "--log-level", "debug"},
		{"clone", "--progress", "plain"},
		{"plan", "--json"},
	} {
		args = append(args, "--config", cfg, "--source", pgtest.DSN(src))
		if args[0] == "clone" {
			args = append(args, "--target", pgtest.DSN(tgt))
		}
		r := runPgtwin(t, env, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		outputs = append(outputs, r.stdout, r.stderr)
	}
	if !strings.Contains(outputs[0], `"mask_key_fingerprint": "sha256:`) {
		t.Errorf("the --json report has no key fingerprint:\n%s", outputs[0])
	}
	short := runPgtwin(t, []string{"PGTWIN_MASK_KEY=" + key[:20]}, "clone", "--config", cfg, "--source", pgtest.DSN(src), "--target", pgtest.DSN(tgt))
	if short.code != 2 || !strings.Contains(short.stderr, "PGTWIN_MASK_KEY") {
		t.Errorf("a short key: exit %d, want 2 naming PGTWIN_MASK_KEY\n%s", short.code, short.stderr)
	}
	outputs = append(outputs, short.stdout, short.stderr)
	var marker string
	if err := pgtest.Connect(t, tgt).QueryRow(context.Background(), "SELECT string_agg(to_jsonb(r)::text, ' ') FROM pgtwin.runs r").Scan(&marker); err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, marker)
	for i, out := range outputs {
		for _, part := range []string{key, key[:20], key[20:44]} {
			if strings.Contains(out, part) {
				t.Errorf("output %d holds (part of) the masking key:\n%s", i, out)
			}
		}
	}
}

// TestColumnAddedLaterIsRefused: a personal-looking column added to the
// source after the config was written stops the next run before anything
// is written, naming the column; the twin stays as it was.
func TestColumnAddedLaterIsRefused(t *testing.T) {
	t.Parallel()
	src, tgt := pgtest.NewDB(t), pgtest.NewDB(t)
	createShop(t, pgtest.DSN(src))
	cfg := shopConfig(t)
	args := []string{"clone", "--config", cfg, "--source", pgtest.DSN(src), "--target", pgtest.DSN(tgt), "--quiet"}
	if r := runPgtwin(t, nil, args...); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	before := stateOf(t, pgtest.DSN(tgt))
	exec1(t, pgtest.DSN(src), `ALTER TABLE users ADD COLUMN mobile_phone text;
ALTER TABLE orders ADD COLUMN contact text;
UPDATE orders SET contact = 'buyer' || id || '@mail.example.com';`)
	r := runPgtwin(t, nil, args...)
	if r.code != 2 {
		t.Fatalf("run after the columns were added: exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"looks personal and has no masking rule: public.users.mobile_phone (name suggests a phone number)",
		"looks personal and has no masking rule: public.orders.contact (sampled values look like emails",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "@mail.example.com") {
		t.Errorf("the refusal quotes a source value:\n%s", r.stderr)
	}
	assertUnchanged(t, pgtest.DSN(tgt), before)
}

// TestUniqueMasksOnAMillionRows: one-to-one masks over a million distinct
// values of unique columns give a twin whose unique indexes build.
func TestUniqueMasksOnAMillionRows(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a million rows")
	}
	src, tgt := pgtest.NewDB(t, `
CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL UNIQUE, code varchar(12) NOT NULL, phone text UNIQUE, ref bigint NOT NULL UNIQUE);
CREATE UNIQUE INDEX ON accounts (lower(code));
INSERT INTO accounts SELECT i, 'user' || i || '@example.com', 'C' || lpad(i::text, 8, '0'), '+1-555-' || lpad(i::text, 7, '0'), 1000000000 + i
  FROM generate_series(1, 1000000) i;
ANALYZE accounts;`), pgtest.NewDB(t)
	cfg := writeFile(t, "million.yaml", `version: 1
tables:
  - {table: accounts, copy: all}
masking:
  columns:
    - {table: accounts, column: email, mask: email}
    - {table: accounts, column: code, mask: text}
    - {table: accounts, column: phone, mask: digits}
    - {table: accounts, column: ref, mask: int}
`)
	r := runPgtwin(t, nil, "clone", "--config", cfg, "--source", pgtest.DSN(src), "--target", pgtest.DSN(tgt), "--quiet")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	conn := pgtest.Connect(t, tgt)
	var rows, emails, codes, phones, refs, kept int64
	err := conn.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT email), count(DISTINCT lower(code)), count(DISTINCT phone), count(DISTINCT ref),
  count(*) FILTER (WHERE email = 'user' || id || '@example.com' OR code = 'C' || lpad(id::text, 8, '0') OR ref = 1000000000 + id)
FROM accounts`).Scan(&rows, &emails, &codes, &phones, &refs, &kept)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 1000000 || emails != rows || codes != rows || phones != rows || refs != rows || kept != 0 {
		t.Errorf("rows %d, distinct emails %d, codes %d, phones %d, refs %d; %d rows kept a source value", rows, emails, codes, phones, refs, kept)
	}
	var valid int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_index WHERE indrelid = 'accounts'::regclass AND indisunique AND indisvalid").Scan(&valid); err != nil {
		t.Fatal(err)
	}
	if valid != 5 {
		t.Errorf("%d valid unique indexes, want 5", valid)
	}
}
