package pgtest

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// This file checks a twin against its source by definition, with SQL of
// its own (never pgtwin's catalog reader): what a user of the twin relies
// on is that every constraint, index, trigger, policy and sequence of the
// included schemas is defined exactly as in production, and that the
// marker in pgtwin.runs says truthfully what the twin is.

// definitionsQuery lists the definitions of the objects of the schemas $1,
// one line each, rendered by the server itself (pg_get_*def) with a
// search_path of pg_catalog only, so every name is qualified the same way
// in both databases.
const definitionsQuery = `
WITH ns AS (SELECT oid, nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY ($1::text[])),
rel AS (
  SELECT c.oid, c.relkind, c.relrowsecurity, c.relforcerowsecurity, pg_catalog.format('%I.%I', ns.nspname, c.relname) AS name
  FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
)
SELECT 'constraint ' || rel.name || ' ' || pg_catalog.quote_ident(co.conname) || ': ' || pg_catalog.pg_get_constraintdef(co.oid)
       || CASE WHEN co.convalidated THEN '' ELSE ' (not validated)' END
FROM pg_catalog.pg_constraint co JOIN rel ON rel.oid = co.conrelid
UNION ALL
SELECT 'domain constraint ' || pg_catalog.format_type(co.contypid, NULL) || ' ' || pg_catalog.quote_ident(co.conname) || ': ' || pg_catalog.pg_get_constraintdef(co.oid)
FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_type ty ON ty.oid = co.contypid JOIN ns ON ns.oid = ty.typnamespace
UNION ALL
SELECT 'index ' || pg_catalog.pg_get_indexdef(i.indexrelid)
       || CASE WHEN i.indisvalid THEN '' ELSE ' (invalid)' END
       || CASE WHEN i.indisclustered THEN ' (clustered)' ELSE '' END
       || CASE WHEN i.indisreplident THEN ' (replica identity)' ELSE '' END
FROM pg_catalog.pg_index i JOIN rel ON rel.oid = i.indrelid
UNION ALL
SELECT 'trigger ' || rel.name || ': ' || pg_catalog.pg_get_triggerdef(tg.oid) || ' enabled=' || tg.tgenabled::text
FROM pg_catalog.pg_trigger tg JOIN rel ON rel.oid = tg.tgrelid
WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'row level security ' || rel.name || CASE WHEN rel.relforcerowsecurity THEN ' forced' ELSE '' END
FROM rel WHERE rel.relrowsecurity OR rel.relforcerowsecurity
UNION ALL
SELECT 'policy ' || pg_catalog.format('%I.%I', p.schemaname, p.tablename) || ' ' || pg_catalog.quote_ident(p.policyname)
       || ' ' || p.permissive || ' ' || p.cmd || ' to ' || p.roles::text
       || ' using (' || coalesce(p.qual, '') || ') with check (' || coalesce(p.with_check, '') || ')'
FROM pg_catalog.pg_policies p WHERE p.schemaname = ANY ($1::text[])
UNION ALL
SELECT 'sequence ' || pg_catalog.format('%I.%I', s.schemaname, s.sequencename) || ' as ' || s.data_type::text
       || ' start ' || s.start_value || ' increment ' || s.increment_by
       || ' min ' || s.min_value || ' max ' || s.max_value
       || CASE WHEN s.cycle THEN ' cycle' ELSE ' no cycle' END || ' cache ' || s.cache_size
FROM pg_catalog.pg_sequences s WHERE s.schemaname = ANY ($1::text[])
ORDER BY 1`

// Definitions lists the definitions of the constraints, indexes, triggers,
// row-level security, policies and sequence options of the given schemas
// of database dsn, one sorted line each.
func Definitions(t testing.TB, dsn string, schemas []string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("definitions: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET search_path = pg_catalog"); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, definitionsQuery, schemas)
	if err != nil {
		t.Fatalf("definitions: %v", err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("definitions: %v", err)
	}
	return defs
}

// SameDefinitions fails the test unless the twin tgt defines every
// constraint, index, trigger, policy and sequence of the given schemas
// exactly as the source src does (both are connection strings).
func SameDefinitions(t testing.TB, src, tgt string, schemas []string) {
	t.Helper()
	want := Definitions(t, src, schemas)
	if len(want) == 0 {
		t.Fatalf("the source defines nothing in schemas %v: a test of nothing", schemas)
	}
	if d := cmp.Diff(want, Definitions(t, tgt, schemas)); d != "" {
		t.Errorf("definitions differ (-source +twin):\n%s", d)
	}
}

// Marker is what a twin's marker must say.
type Marker struct {
	// The snapshot was taken between these times (the run's start and end);
	// unchecked when zero.
	SnapshotFrom, SnapshotTo time.Time
	// SourceDB is the source's database name, which the source description
	// names; Secrets may not appear anywhere in the marker.
	SourceDB string
	Secrets  []string
	// ConfigHash is the expected hash when known; otherwise the hash must
	// only look like a SHA-256.
	ConfigHash string
	Version    string
	Schemas    []string
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// CheckMarker checks the newest row of pgtwin.runs in the twin tgt: its
// snapshot time, source description, config hash, version and schemas, and
// that its rows per table are the twin's row counts. It returns the hash.
func CheckMarker(t testing.TB, tgt string, want Marker) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, tgt)
	if err != nil {
		t.Fatalf("marker: %v", err)
	}
	defer conn.Close(ctx)
	var (
		created, snapshot                 time.Time
		source, hash, version, everything string
		schemas                           []string
		rowsJSON                          []byte
	)
	err = conn.QueryRow(ctx, `SELECT created_at, snapshot_at, source, config_sha256, pgtwin_version, schemas, rows, r::text
FROM pgtwin.runs r ORDER BY id DESC LIMIT 1`).Scan(&created, &snapshot, &source, &hash, &version, &schemas, &rowsJSON, &everything)
	if err != nil {
		t.Fatalf("read the marker: %v", err)
	}
	const slack = time.Second // the server's clock and ours, read at different moments
	if !want.SnapshotFrom.IsZero() && snapshot.Before(want.SnapshotFrom.Add(-slack)) || snapshot.After(want.SnapshotTo.Add(slack)) {
		t.Errorf("marker: snapshot_at %v is not within the run (%v to %v)", snapshot, want.SnapshotFrom, want.SnapshotTo)
	}
	if created.Before(snapshot) {
		t.Errorf("marker: created_at %v is before snapshot_at %v", created, snapshot)
	}
	if !strings.Contains(source, want.SourceDB) {
		t.Errorf("marker: source %q does not name the source database %q", source, want.SourceDB)
	}
	for _, s := range want.Secrets {
		if s != "" && strings.Contains(everything, s) {
			t.Errorf("marker: holds the secret %q: %s", s, everything)
		}
	}
	if want.ConfigHash != "" && hash != want.ConfigHash || !sha256RE.MatchString(hash) {
		t.Errorf("marker: config_sha256 %q, want %q (a SHA-256 in hex)", hash, want.ConfigHash)
	}
	if version != want.Version {
		t.Errorf("marker: pgtwin_version %q, want %q", version, want.Version)
	}
	if !slices.Equal(schemas, want.Schemas) {
		t.Errorf("marker: schemas %v, want %v", schemas, want.Schemas)
	}

	// Rows per table: keyed by the table's name as the marker writes it,
	// resolved by the server to the table it names.
	var rows map[string]int64
	if err := json.Unmarshal(rowsJSON, &rows); err != nil {
		t.Fatalf("marker: rows %s: %v", rowsJSON, err)
	}
	got := map[uint32]int64{}
	for name, n := range rows {
		var oid *uint32
		if err := conn.QueryRow(ctx, "SELECT pg_catalog.to_regclass($1)::oid", name).Scan(&oid); err != nil || oid == nil {
			t.Errorf("marker: rows names %q, which is no table of the twin (%v)", name, err)
			continue
		}
		got[*oid] += n
	}
	tables, err := conn.Query(ctx, `SELECT c.oid, pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind = 'p'
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY ($1::text[])`, want.Schemas)
	if err != nil {
		t.Fatal(err)
	}
	type table struct {
		oid         uint32
		name        string
		partitioned bool
	}
	list, err := pgx.CollectRows(tables, func(r pgx.CollectableRow) (table, error) {
		var tb table
		return tb, r.Scan(&tb.oid, &tb.name, &tb.partitioned)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range list {
		from := "ONLY " + tb.name
		if tb.partitioned {
			from = tb.name
		}
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+from).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if got[tb.oid] != n {
			t.Errorf("marker: %s has %d rows, the marker says %d", tb.name, n, got[tb.oid])
		}
		delete(got, tb.oid)
	}
	for oid, n := range got {
		t.Errorf("marker: counts %d rows of relation %d, which is not a table of the twin's schemas", n, oid)
	}
	return hash
}
