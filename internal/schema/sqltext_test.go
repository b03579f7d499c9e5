package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStripRestrict(t *testing.T) {
	in := "--\n-- PostgreSQL database dump\n--\n\n\\restrict abC123\n\nSET x = 1;\n" +
		"CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$SELECT '\n\\restrict other\n'$$;\n\n\\unrestrict abC123\n\n"
	want := "--\n-- PostgreSQL database dump\n--\n\n\nSET x = 1;\n" +
		"CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$SELECT '\n\\restrict other\n'$$;\n\n\n"
	if got := stripRestrict(in); got != want {
		t.Errorf("stripRestrict:\n%s", cmp.Diff(want, got))
	}
	if got := stripRestrict("SET x = 1;\n"); got != "SET x = 1;\n" {
		t.Errorf("stripRestrict without restrict changed the text: %q", got)
	}
}

func TestDDLParsing(t *testing.T) {
	d := &DDL{
		PreData: `SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE SCHEMA "Sales Dept";
CREATE SCHEMA ext;
CREATE SCHEMA "Quote""d";
CREATE SCHEMA "x?y";
CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA "Sales Dept";
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
SET default_table_access_method = heap;
`,
		PostData: "SET statement_timeout = 0;\nSET row_security = off;\n",
	}
	for name, want := range map[string]bool{
		"Sales Dept": true, "ext": true, `Quote"d`: true, "x?y": true,
		"public": false, "sales dept": false, "Ext": false,
	} {
		if got := d.CreatesSchema(name); got != want {
			t.Errorf("CreatesSchema(%q) = %v, want %v", name, got, want)
		}
	}
	if diff := cmp.Diff([]Extension{{"hstore", "Sales Dept"}, {"uuid-ossp", "public"}}, d.Extensions()); diff != "" {
		t.Errorf("Extensions (-want +got):\n%s", diff)
	}
	want := "RESET statement_timeout;\nRESET default_table_access_method;\nRESET search_path;\nRESET row_security;\n"
	if got := d.ResetSQL(); got != want {
		t.Errorf("ResetSQL:\n%s", cmp.Diff(want, got))
	}
}

func TestUnquoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		`public`: "public", `"Sales Dept"`: "Sales Dept", `"Quote""d"`: `Quote"d`, `"a.b"`: "a.b",
	} {
		if got, ok := unquoteIdent(in); !ok || got != want {
			t.Errorf("unquoteIdent(%s) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{`"a" b`, `"a"."b"`, `a.b`, `"x`, `"a"b"`} {
		if got, ok := unquoteIdent(in); ok {
			t.Errorf("unquoteIdent(%s) = %q, want not ok", in, got)
		}
	}
}

func TestQuotePattern(t *testing.T) {
	for in, want := range map[string]string{
		"public": `"public"`, "Sales Dept": `"Sales Dept"`, `Quote"d`: `"Quote""d"`, "x?y*.z": `"x?y*.z"`,
	} {
		if got := quotePattern(in); got != want {
			t.Errorf("quotePattern(%q) = %s, want %s", in, got, want)
		}
	}
}
