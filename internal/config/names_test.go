package config

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestParseTableName(t *testing.T) {
	tests := []struct {
		in            string
		schema, table string
		err           string
	}{
		{in: "users", table: "users"},
		{in: "Users", table: "users"},
		{in: "public.users", schema: "public", table: "users"},
		{in: "PUBLIC.Users", schema: "public", table: "users"},
		{in: ` public . users `, schema: "public", table: "users"},
		{in: `"Sales Dept"."Order Lines"`, schema: "Sales Dept", table: "Order Lines"},
		{in: `"Users"`, table: "Users"},
		{in: `"a""b".c`, schema: `a"b`, table: "c"},
		{in: `"a.b"`, table: "a.b"},
		{in: `_t$1`, table: "_t$1"},
		{in: `Ünïcode`, table: "Ünïcode"}, // only ASCII letters fold
		{in: ``, err: `table name "": is empty`},
		{in: `  `, err: `table name "  ": is empty`},
		{in: `1users`, err: `table name "1users": unexpected '1' at byte 1; quote names that are not plain identifiers`},
		{in: `a.b.c`, err: `table name "a.b.c": has more than 2 parts; write schema.table`},
		{in: `public.`, err: `table name "public.": ends with a dot`},
		{in: `.users`, err: `table name ".users": unexpected '.' at byte 1; quote names that are not plain identifiers`},
		{in: `"users`, err: `table name "\"users": has an unterminated quoted identifier at byte 1`},
		{in: `"".users`, err: `table name "\"\".users": has an empty quoted identifier at byte 1`},
		{in: `order lines`, err: `table name "order lines": unexpected 'l' at byte 7; quote names that are not plain identifiers`},
		{in: "\"a\x00\"", err: `table name "\"a\x00\"": holds a NUL byte`},
	}
	for _, tc := range tests {
		s, tb, err := ParseTableName(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseTableName(%q) error = %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || s != tc.schema || tb != tc.table {
			t.Errorf("ParseTableName(%q) = %q, %q, %v; want %q, %q", tc.in, s, tb, err, tc.schema, tc.table)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"users": "users", "Users": `"Users"`, "order lines": `"order lines"`, `a"b`: `"a""b"`,
		"1a": `"1a"`, "a1$": "a1$", "": `""`,
	} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %s, want %s", in, got, want)
		}
		if in == "" {
			continue
		}
		if back, err := ParseIdent(quoteIdent(in)); err != nil || back != in {
			t.Errorf("ParseIdent(quoteIdent(%q)) = %q, %v", in, back, err)
		}
	}
}

func FuzzParseTableName(f *testing.F) {
	for _, s := range []string{"users", "public.users", `"Sales Dept"."Order Lines"`, `"a""b"`, "a.b.c", `"`, ` x . y `, "Ü.é"} {
		f.Add(s, "public", "users")
	}
	f.Fuzz(func(t *testing.T, s, schema, table string) {
		// Arbitrary input never panics.
		_, _, _ = ParseTableName(s)

		// What pgx quotes reads back the same.
		if table == "" || strings.ContainsRune(schema+table, 0) {
			return
		}
		gs, gt, err := ParseTableName(pgx.Identifier{table}.Sanitize())
		if err != nil || gs != "" || gt != table {
			t.Fatalf("ParseTableName(%s) = %q, %q, %v; want %q", pgx.Identifier{table}.Sanitize(), gs, gt, err, table)
		}
		if schema == "" {
			return
		}
		q := pgx.Identifier{schema, table}.Sanitize()
		gs, gt, err = ParseTableName(q)
		if err != nil || gs != schema || gt != table {
			t.Fatalf("ParseTableName(%s) = %q, %q, %v; want %q, %q", q, gs, gt, err, schema, table)
		}
		// So does the config's own quoting.
		q = quoteIdent(schema) + "." + quoteIdent(table)
		gs, gt, err = ParseTableName(q)
		if err != nil || gs != schema || gt != table {
			t.Fatalf("ParseTableName(%s) = %q, %q, %v; want %q, %q", q, gs, gt, err, schema, table)
		}
	})
}

func TestCheckFragment(t *testing.T) {
	ok := []string{
		"id > 0",
		"(a = 1) and (b = 2)",
		"name = 'it''s; fine'",
		`"weird;col)" = 1`,
		"note = $$ ); $$",
		"note = $x$ ; $y$ ) $x$",
		"a$b$c = 1",
		"id = $1",
		"e = E'\\'); '",
		"id > 0 -- trailing ; comment",
		"id > 0 -- a comment\n and id < 10",
		"/* ; /* nested ) */ */ id > 0",
		"x = ANY(ARRAY[1,2])",
		"created_at > now() - interval '1 day'",
	}
	for _, s := range ok {
		if err := CheckFragment(s); err != nil {
			t.Errorf("CheckFragment(%q) = %v", s, err)
		}
	}
	bad := map[string]string{
		"id > 0; drop table x":    "found ';' at character 7; give one SQL expression, not statements",
		"true) or (true":          "found ')' at character 5 without a matching '('",
		"(id > 0":                 "the '(' at character 1 is not closed",
		"name = 'x":               "the string starting at character 8 is not closed",
		`"x = 1`:                  "the quoted identifier starting at character 1 is not closed",
		"x = $$abc":               "the dollar-quoted string starting at character 5 is not closed",
		"/* x":                    "the comment starting at character 1 is not closed",
		"e = E'\\'; ":             "the string starting at character 6 is not closed",
		"naïve = 1; select 1":     "found ';' at character 10; give one SQL expression, not statements",
		"x = 1 /* a */ ) union (": "found ')' at character 15 without a matching '('",
	}
	for s, want := range bad {
		if err := CheckFragment(s); err == nil || err.Error() != want {
			t.Errorf("CheckFragment(%q) = %v, want %s", s, err, want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"users", "orders", "order_items", "id"}
	for in, want := range map[string]string{
		"user": "users", "ordres": "orders", "order_item": "order_items", "USERS": "users",
		"xyz": "", "customers": "", "ix": "",
	} {
		if got := closest(in, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
