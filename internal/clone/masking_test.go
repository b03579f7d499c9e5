package clone_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/pgtest"
	"github.com/pgtwin/pgtwin/internal/report"
)

// maskedKeysSchema masks key columns: an integer primary key referenced by
// a cycle, a unique code referenced by a self-reference and by a virtual
// foreign key, and one column of a composite key.
const maskedKeysSchema = `
CREATE TABLE accounts (
  id int PRIMARY KEY,
  ref int UNIQUE NOT NULL,            -- not masked: matches twin rows to source rows
  code char(6) UNIQUE NOT NULL,
  email varchar(60) NOT NULL,
  manager_code char(6) REFERENCES accounts (code),
  team_org text, team_code text
);
CREATE TABLE teams (
  org text, code text, lead_id int NOT NULL REFERENCES accounts,
  PRIMARY KEY (org, code)
);
ALTER TABLE accounts ADD FOREIGN KEY (team_org, team_code) REFERENCES teams DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE members (
  org text, team_code text, account_id int REFERENCES accounts,
  FOREIGN KEY (org, team_code) REFERENCES teams
);
CREATE TABLE events (id int PRIMARY KEY, account_code char(6) NOT NULL, what text);
BEGIN;
INSERT INTO accounts SELECT i, 1000 + i, 'A' || lpad(i::text, 5, '0'), 'person' || i || '@corp.example', 
  CASE WHEN i > 1 THEN 'A' || lpad((i / 2)::text, 5, '0') END, 'acme', 'team' || (i % 7)
  FROM generate_series(1, 300) i;
INSERT INTO teams SELECT 'acme', 'team' || t, t + 1 FROM generate_series(0, 6) t;
COMMIT;
INSERT INTO members SELECT 'acme', 'team' || (i % 7), i FROM generate_series(1, 300, 3) i;
INSERT INTO events SELECT i, 'A' || lpad((1 + i % 300)::text, 5, '0'), 'login' FROM generate_series(1, 500) i;
`

const maskedKeysConfig = `
version: 1
roots:
  - table: accounts
    all: true
tables:
  - table: events
    copy: all
virtual_foreign_keys:
  - table: events
    columns: [account_code]
    references: accounts
    referenced_columns: [code]
masking:
  key_env: TEST_MASK_KEY
  columns:
    - table: accounts
      column: id
      mask: int
    - table: accounts
      column: code
      mask: text
    - table: accounts
      column: email
      mask: email
    - table: teams
      column: code
      mask: text
`

// Two keys as openssl rand -hex 32 makes them.
const (
	keyA = "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"
	keyB = "ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d"
)

func maskedClone(t *testing.T, src, tgt, key string) (*report.Report, error) {
	t.Helper()
	return runClone(src, tgt, maskedKeysConfig, func(o *clone.Options) {
		o.Getenv = func(name string) string {
			if name == "TEST_MASK_KEY" {
				return key
			}
			return ""
		}
	})
}

func scalar(t *testing.T, db, sql string) string {
	t.Helper()
	var s string
	if err := pgtest.Connect(t, db).QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestMaskedKeysKeepEveryConstraint(t *testing.T) {
	t.Parallel()
	src := pgtest.NewDB(t, maskedKeysSchema, "ANALYZE")
	tgt := pgtest.NewDB(t)
	rep, err := maskedClone(t, src, tgt, keyA)
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	// Every constraint of the source is in the twin, validated by the load.
	if got := scalar(t, tgt, "SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype = 'f' AND convalidated"); got != "5" {
		t.Errorf("validated foreign keys in the twin: %s, want 5", got)
	}
	// The joins of the source hold in the twin, including the virtual one.
	joins := []string{
		"SELECT count(*) FROM accounts a JOIN accounts m ON m.code = a.manager_code",
		"SELECT count(*) FROM teams t JOIN accounts a ON a.id = t.lead_id",
		"SELECT count(*) FROM members m JOIN teams t ON (t.org, t.code) = (m.org, m.team_code)",
		"SELECT count(*) FROM accounts a JOIN teams t ON (t.org, t.code) = (a.team_org, a.team_code)",
		"SELECT count(*) FROM events e JOIN accounts a ON a.code = e.account_code",
	}
	for _, q := range joins {
		if s, w := scalar(t, src, q), scalar(t, tgt, q); s != w {
			t.Errorf("%s: source %s, twin %s", q, s, w)
		}
	}
	// No masked value equals its row's source value (rows matched by ref).
	tconn := pgtest.Connect(t, tgt)
	rows, err := tconn.Query(context.Background(), "SELECT ref, id, code, email FROM accounts")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var ref, id int
		var code, email string
		if err := rows.Scan(&ref, &id, &code, &email); err != nil {
			t.Fatal(err)
		}
		n++
		i := ref - 1000
		if id == i || strings.TrimSpace(code) == "A"+pad5(i) || email == "person"+itoa(i)+"@corp.example" {
			t.Errorf("account ref %d kept a source value: id %d, code %q, email %q", ref, id, code, email)
		}
		if len(code) != 6 || len(email) != len("person"+itoa(i)+"@corp.example") {
			t.Errorf("account ref %d: masked code %q or email %q changed length", ref, code, email)
		}
	}
	if n != 300 {
		t.Fatalf("twin has %d accounts, want 300", n)
	}
	if got := scalar(t, tgt, "SELECT count(*) FROM teams WHERE code LIKE 'team%'"); got != "0" {
		t.Errorf("%s team codes kept their source value", got)
	}
	// The marker and the report carry the key's fingerprint, never the key.
	fp := scalar(t, tgt, "SELECT mask_key_fingerprint FROM pgtwin.runs ORDER BY id DESC LIMIT 1")
	if !strings.HasPrefix(fp, "sha256:") || strings.Contains(fp, keyA) || fp != rep.MaskKeyFingerprint {
		t.Errorf("marker fingerprint %q, report %q", fp, rep.MaskKeyFingerprint)
	}
	if got := scalar(t, tgt, `SELECT m->>'mask' FROM pgtwin.runs, jsonb_array_elements(masked) m
		WHERE m->'table'->>'name' = 'events' AND m->>'column' = 'account_code' ORDER BY id DESC LIMIT 1`); got != "text" {
		t.Errorf("marker: events.account_code masked by %q, want text (linked to accounts.code)", got)
	}

	// The same key gives the same twin; another key another one.
	again := pgtest.NewDB(t)
	if _, err := maskedClone(t, src, again, keyA); err != nil {
		t.Fatal(err)
	}
	other := pgtest.NewDB(t)
	if _, err := maskedClone(t, src, other, keyB); err != nil {
		t.Fatal(err)
	}
	const dump = "SELECT string_agg(concat_ws(',', ref, id, code, email, manager_code, team_code), ';' ORDER BY ref) FROM accounts"
	if scalar(t, tgt, dump) != scalar(t, again, dump) {
		t.Error("two runs with the same key gave different masked accounts")
	}
	if scalar(t, tgt, dump) == scalar(t, other, dump) {
		t.Error("another key gave the same masked accounts")
	}
}

func TestMaskingWithoutKeyIsRefused(t *testing.T) {
	t.Parallel()
	src := pgtest.NewDB(t, maskedKeysSchema, "ANALYZE")
	tgt := pgtest.NewDB(t, "CREATE SCHEMA keepme; CREATE TABLE keepme.t (x int); INSERT INTO keepme.t VALUES (7)")
	for _, key := range []string{"", "9f86d081884c"} {
		_, err := maskedClone(t, src, tgt, key)
		if !clone.IsRefused(err) || !strings.Contains(err.Error(), "TEST_MASK_KEY") || !strings.Contains(err.Error(), "openssl rand -hex 32") {
			t.Errorf("key %q: err = %v, want a refusal naming TEST_MASK_KEY and how to make a key", key, err)
		}
		if key != "" && strings.Contains(err.Error(), key) {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
	if got := scalar(t, tgt, "SELECT string_agg(x::text, ',') FROM keepme.t"); got != "7" {
		t.Errorf("target changed: %s", got)
	}
}

func pad5(i int) string { return fmt.Sprintf("%05d", i) }

func itoa(i int) string { return strconv.Itoa(i) }
