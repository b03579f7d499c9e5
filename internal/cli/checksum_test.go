package cli_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/pgtest"
	"github.com/pgtwin/pgtwin/internal/schema"
)

// dbState is a fingerprint of everything a twin run could change in a
// database: its schema as pg_dump prints it, every user table's rows
// (pgtwin.runs included) and every sequence's state.
type dbState struct {
	Schema string            // sha256 of pg_dump --schema-only, without comments and \restrict lines
	Tables map[string]string // table → "rows md5", for every table and materialized view
	Seqs   string            // schema.sequence=last_value,… for every sequence
}

func (s dbState) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schema %s; sequences %s; tables:", s.Schema[:12], s.Seqs)
	var names []string
	for n := range s.Tables {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, " %s=%s", n, s.Tables[n])
	}
	return b.String()
}

// diff says how o differs from s; "" when they are the same.
func (s dbState) diff(o dbState) string {
	var d []string
	if s.Schema != o.Schema {
		d = append(d, "the schema differs")
	}
	if s.Seqs != o.Seqs {
		d = append(d, fmt.Sprintf("sequences %s became %s", s.Seqs, o.Seqs))
	}
	for n, v := range s.Tables {
		if w, ok := o.Tables[n]; !ok {
			d = append(d, n+" is gone")
		} else if v != w {
			d = append(d, fmt.Sprintf("%s went from %s to %s", n, v, w))
		}
	}
	for n := range o.Tables {
		if _, ok := s.Tables[n]; !ok {
			d = append(d, n+" appeared")
		}
	}
	slices.Sort(d)
	return strings.Join(d, "; ")
}

// commentOrMetaRE matches the lines of a pg_dump script that change from one
// dump to the next without the database changing: comments (which carry
// the versions) and the random \restrict key.
var commentOrMetaRE = regexp.MustCompile(`(?m)^(--.*|\\(un)?restrict .*|)\n`)

// stateOf measures the database dsn. It waits for locks the way a user's
// query would (a killed run's session may still hold some for a moment).
func stateOf(t testing.TB, dsn string) dbState {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("measure the target: %v", err)
	}
	defer conn.Close(ctx)
	var major int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int / 10000").Scan(&major); err != nil {
		t.Fatal(err)
	}
	tools, err := schema.FindTools(major, "", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tools.PgDump, "--schema-only", "--dbname="+dsn).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("pg_dump --schema-only of the target: %v: %s", err, stderr)
	}
	sum := sha256.Sum256([]byte(commentOrMetaRE.ReplaceAllString(string(out), "")))
	st := dbState{Schema: hex.EncodeToString(sum[:]), Tables: map[string]string{}}

	tables := pgtest.Strings(t, conn, `
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY 1`)
	for _, tbl := range tables {
		var n int64
		var md5 string
		q := fmt.Sprintf("SELECT count(*), coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM %s t", tbl)
		if err := conn.QueryRow(ctx, q).Scan(&n, &md5); err != nil {
			// An unpopulated materialized view cannot be read.
			if strings.Contains(err.Error(), "has not been populated") {
				st.Tables[tbl] = "unpopulated"
				continue
			}
			t.Fatalf("checksum %s: %v", tbl, err)
		}
		st.Tables[tbl] = fmt.Sprintf("%d:%s", n, md5[:min(len(md5), 12)])
	}
	if err := conn.QueryRow(ctx, `
SELECT coalesce(string_agg(format('%I.%I=%s', schemaname, sequencename, last_value), ',' ORDER BY schemaname, sequencename), '')
FROM pg_catalog.pg_sequences`).Scan(&st.Seqs); err != nil {
		t.Fatal(err)
	}
	return st
}

// assertUnchanged fails the test when the database dsn is not in state before.
func assertUnchanged(t testing.TB, dsn string, before dbState) {
	t.Helper()
	if d := before.diff(stateOf(t, dsn)); d != "" {
		t.Errorf("the target changed: %s", d)
	}
}
