package schema

import (
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// restrictRE matches the \restrict line that pg_dump and pg_restore
// (15.14+, 16.10+, 17.6+; CVE-2025-8714) put at the top of plain SQL output.
var restrictRE = regexp.MustCompile(`(?m)^\\restrict ([A-Za-z0-9]+)\r?$`)

// stripRestrict removes the \restrict KEY and \unrestrict KEY psql
// meta-commands. Only lines with the dump's own key are removed, so a line
// of a function body that merely looks like one is left alone.
func stripRestrict(sql string) string {
	m := restrictRE.FindStringSubmatch(sql)
	if m == nil {
		return sql
	}
	key := m[1]
	lines := strings.SplitAfter(sql, "\n")
	var b strings.Builder
	b.Grow(len(sql))
	for _, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		if t == `\restrict `+key || t == `\unrestrict `+key {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

var (
	createSchemaRE    = regexp.MustCompile(`(?m)^CREATE SCHEMA (.+);$`)
	createExtensionRE = regexp.MustCompile(`(?m)^CREATE EXTENSION IF NOT EXISTS (.+) WITH SCHEMA (.+);$`)
	setRE             = regexp.MustCompile(`(?m)^SET ([a-z_]+) = .*;$`)
	setConfigRE       = regexp.MustCompile(`(?m)^SELECT pg_catalog\.set_config\('([a-z_]+)', .*\);$`)
)

// Extension is an extension that the pre-data section creates.
type Extension struct {
	Name   string
	Schema string
}

// CreatesSchema reports whether the pre-data section creates schema name
// itself (CREATE SCHEMA). pg_dump leaves out CREATE SCHEMA public when it
// dumps the whole database (it assumes the schema exists) but writes it when
// public is selected by name; other schemas are always created. A loader
// that drops an included schema must create it again when this is false.
func (d *DDL) CreatesSchema(name string) bool {
	for _, m := range createSchemaRE.FindAllStringSubmatch(d.PreData, -1) {
		if n, ok := unquoteIdent(m[1]); ok && n == name {
			return true
		}
	}
	return false
}

// standardPublic makes public the way initdb does (PostgreSQL 15 and
// later: owned by pg_database_owner, USAGE for PUBLIC; before: CREATE and
// USAGE for PUBLIC), with initdb's comment.
const standardPublic = `CREATE SCHEMA public;
COMMENT ON SCHEMA public IS 'standard public schema';
DO $pgtwin$BEGIN
  IF pg_catalog.current_setting('server_version_num')::int >= 150000 THEN
    ALTER SCHEMA public OWNER TO pg_database_owner;
    GRANT USAGE ON SCHEMA public TO PUBLIC;
  ELSE
    GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC;
  END IF;
END$pgtwin$;
`

// CreateSchemaSQL returns the SQL a loader runs, before PreData, to create
// a schema that it dropped: "" when PreData creates the schema itself.
// For public in a whole-database dump it makes the schema as initdb does
// (owner, privileges, comment), because pg_dump writes only how the
// source's public differs from that (COMMENT ON SCHEMA public, and with
// KeepOwners its owner and grants). Creating it with the default owner
// pg_database_owner needs the loading role to own the database (or be a
// superuser), as dropping it did. Any other schema gets a plain CREATE
// SCHEMA.
func (d *DDL) CreateSchemaSQL(name string) string {
	switch {
	case d.CreatesSchema(name):
		return ""
	case name == "public":
		return standardPublic
	default:
		return "CREATE SCHEMA " + identifier(name) + ";\n"
	}
}

// Extensions lists the extensions the pre-data section creates, with
// CREATE EXTENSION IF NOT EXISTS name WITH SCHEMA schema. Because of IF NOT
// EXISTS an extension that already exists in the target (maybe in another
// schema) is silently kept as it is.
func (d *DDL) Extensions() []Extension {
	var exts []Extension
	for _, m := range createExtensionRE.FindAllStringSubmatch(d.PreData, -1) {
		name, ok1 := unquoteIdent(m[1])
		schema, ok2 := unquoteIdent(m[2])
		if ok1 && ok2 {
			exts = append(exts, Extension{Name: name, Schema: schema})
		}
	}
	return exts
}

// ResetSQL returns RESET statements for the session settings that the
// sections change with plain SET (search_path, statement_timeout,
// lock_timeout, client_min_messages, row_security, check_function_bodies,
// default_table_access_method, …). Those SETs outlive the transaction that runs the
// sections when it commits, so a loader that keeps using the session runs
// ResetSQL afterwards (it may also run it inside the transaction, after the
// sections). Settings are reset to the session's defaults.
func (d *DDL) ResetSQL() string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, sql := range []string{d.PreData, d.PostData, d.IndexedForeignKeys} {
		for _, re := range []*regexp.Regexp{setRE, setConfigRE} {
			for _, m := range re.FindAllStringSubmatch(sql, -1) {
				if seen[m[1]] {
					continue
				}
				seen[m[1]] = true
				b.WriteString("RESET " + m[1] + ";\n")
			}
		}
	}
	return b.String()
}

// unquoteIdent turns an identifier as pg_dump writes it (fmtId: bare when
// lower case, else double-quoted with "" for ") into the name.
func unquoteIdent(s string) (string, bool) {
	if !strings.HasPrefix(s, `"`) {
		if strings.ContainsAny(s, `" .`) {
			return "", false
		}
		return s, true
	}
	if len(s) < 2 || !strings.HasSuffix(s, `"`) {
		return "", false
	}
	inner := s[1 : len(s)-1]
	name := strings.ReplaceAll(inner, `""`, `"`)
	if strings.Count(inner, `"`) != 2*strings.Count(name, `"`) {
		return "", false // a lone " inside: not a single identifier
	}
	return name, true
}

// quotePattern quotes a name for pg_dump's -n/-N/-e pattern syntax so that
// it matches literally: inside double quotes, upper case, spaces, dots, *
// and ? lose their special meaning, and " is written "".
func quotePattern(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// identifier quotes a name for SQL.
func identifier(name string) string { return pgx.Identifier{name}.Sanitize() }
