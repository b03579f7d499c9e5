package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/human"
)

// Marker records one twin: when, from which source (never a password),
// with which config, and what it holds.
type Marker struct {
	CreatedAt  time.Time        `json:"created_at"`
	SnapshotAt time.Time        `json:"snapshot_at"`
	Source     string           `json:"source"`
	SystemID   string           `json:"source_system_identifier,omitempty"`
	ConfigHash string           `json:"config_sha256"`
	Version    string           `json:"pgtwin_version"`
	Schemas    []string         `json:"schemas"`
	Rows       map[string]int64 `json:"rows"`
	// MaskKeyFingerprint identifies the masking key (never the key);
	// Masked lists the masked columns. Both are empty for a twin without
	// masks.
	MaskKeyFingerprint string         `json:"mask_key_fingerprint,omitempty"`
	Masked             []MaskedColumn `json:"masked,omitempty"`
}

// MaskedColumn is a column whose values the twin holds masked.
type MaskedColumn struct {
	Table  catalog.Name `json:"table"`
	Column string       `json:"column"`
	Mask   string       `json:"mask"`
}

// MarkerDDL creates the marker table (idempotent).
const MarkerDDL = `
CREATE SCHEMA IF NOT EXISTS pgtwin;
COMMENT ON SCHEMA pgtwin IS 'pgtwin: this database is a partial twin; pgtwin.runs says of what';
CREATE TABLE IF NOT EXISTS pgtwin.runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    snapshot_at timestamptz NOT NULL,
    source      text NOT NULL,
    source_system_identifier text,
    config_sha256 text NOT NULL,
    pgtwin_version text NOT NULL,
    schemas     text[] NOT NULL,
    rows        jsonb NOT NULL
);
ALTER TABLE pgtwin.runs ADD COLUMN IF NOT EXISTS mask_key_fingerprint text,
    ADD COLUMN IF NOT EXISTS masked jsonb;`

// MarkerInsertSQL records m in the marker table (MarkerDDL creates it).
func MarkerInsertSQL(m Marker) string {
	rows, _ := json.Marshal(m.Rows)
	masked := "NULL"
	if len(m.Masked) > 0 {
		b, _ := json.Marshal(m.Masked)
		masked = catalog.QuoteLiteral(string(b)) + "::jsonb"
	}
	schemas := make([]string, len(m.Schemas))
	for i, s := range m.Schemas {
		schemas[i] = catalog.QuoteLiteral(s)
	}
	orNull := func(s string) string {
		if s == "" {
			return "NULL"
		}
		return catalog.QuoteLiteral(s)
	}
	ts := func(t time.Time) string {
		return catalog.QuoteLiteral(t.UTC().Format(time.RFC3339Nano)) + "::timestamptz"
	}
	return fmt.Sprintf(`INSERT INTO pgtwin.runs (created_at, snapshot_at, source, source_system_identifier, config_sha256, pgtwin_version, schemas, rows, mask_key_fingerprint, masked)
VALUES (%s, %s, %s, %s, %s, %s, ARRAY[%s]::text[], %s::jsonb, %s, %s);
`, ts(m.CreatedAt), ts(m.SnapshotAt), catalog.QuoteLiteral(m.Source), orNull(m.SystemID), catalog.QuoteLiteral(m.ConfigHash),
		catalog.QuoteLiteral(m.Version), strings.Join(schemas, ", "), catalog.QuoteLiteral(string(rows)), orNull(m.MaskKeyFingerprint), masked)
}

// WriteMarker runs MarkerDDL, then MarkerInsertSQL on its own: sent
// with the DDL, a server still waiting for the DDL's lock when pgtwin is
// killed would go on to run it, and the marker's identity sequence, which
// no rollback resets, would move.
func (l *Loader) WriteMarker(ctx context.Context, m Marker) error {
	if err := l.Exec(ctx, MarkerDDL); err != nil {
		return fmt.Errorf("create the marker table: %w", err)
	}
	if err := l.Exec(ctx, MarkerInsertSQL(m)); err != nil {
		return fmt.Errorf("record the marker: %w", err)
	}
	return nil
}

// ReadMarker returns the newest marker of the database conn is connected
// to, or nil when it has none.
func ReadMarker(ctx context.Context, conn *pgx.Conn) (*Marker, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('pgtwin.runs') IS NOT NULL").Scan(&exists); err != nil {
		return nil, fmt.Errorf("look for the pgtwin marker: %w", err)
	}
	if !exists {
		return nil, nil
	}
	var m Marker
	var sysid *string
	var rows, masked []byte
	var fingerprint *string
	// Markers of earlier versions lack the masking columns.
	var hasMasking bool
	if err := conn.QueryRow(ctx, `SELECT count(*) = 2 FROM pg_catalog.pg_attribute WHERE attrelid = 'pgtwin.runs'::regclass AND attname IN ('mask_key_fingerprint', 'masked') AND NOT attisdropped`).Scan(&hasMasking); err != nil {
		return nil, fmt.Errorf("read the pgtwin marker: %w", err)
	}
	maskCols := "NULL::text, NULL::jsonb"
	if hasMasking {
		maskCols = "mask_key_fingerprint, masked"
	}
	err := conn.QueryRow(ctx, `SELECT created_at, snapshot_at, source, source_system_identifier, config_sha256, pgtwin_version, schemas, rows, `+maskCols+`
FROM pgtwin.runs ORDER BY id DESC LIMIT 1`).Scan(&m.CreatedAt, &m.SnapshotAt, &m.Source, &sysid, &m.ConfigHash, &m.Version, &m.Schemas, &rows, &fingerprint, &masked)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the pgtwin marker: %w", err)
	}
	if sysid != nil {
		m.SystemID = *sysid
	}
	if err := json.Unmarshal(rows, &m.Rows); err != nil {
		return nil, fmt.Errorf("read the pgtwin marker: %w", err)
	}
	if fingerprint != nil {
		m.MaskKeyFingerprint = *fingerprint
	}
	if masked != nil {
		if err := json.Unmarshal(masked, &m.Masked); err != nil {
			return nil, fmt.Errorf("read the pgtwin marker: %w", err)
		}
	}
	return &m, nil
}

// Contents describes the user tables of a database that pgtwin would
// replace, for the refusal message of a target that is not a twin.
type Contents struct {
	Schemas []string
	Tables  int
	Bytes   int64
}

const contentsQuery = `
SELECT coalesce(array_agg(DISTINCT n.nspname ORDER BY n.nspname), '{}'), count(*), coalesce(sum(pg_catalog.pg_total_relation_size(c.oid)), 0)::bigint
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgtwin') AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`

// ReadContents counts the user tables of the database conn is connected to.
func ReadContents(ctx context.Context, conn *pgx.Conn) (Contents, error) {
	var c Contents
	if err := conn.QueryRow(ctx, contentsQuery).Scan(&c.Schemas, &c.Tables, &c.Bytes); err != nil {
		return c, fmt.Errorf("look at the target's tables: %w", err)
	}
	return c, nil
}

// String says what the contents are: "12 tables (3.1 MB) in public, sales".
func (c Contents) String() string {
	tables := "tables"
	if c.Tables == 1 {
		tables = "table"
	}
	return fmt.Sprintf("%d %s (%s) in schema %s", c.Tables, tables, human.Bytes(c.Bytes), strings.Join(c.Schemas, ", "))
}
