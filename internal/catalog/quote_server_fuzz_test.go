package catalog_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// FuzzQuoteAgainstServer compares pgtwin's name quoting with the server's
// own. A name QuoteIfNeeded leaves plain must be no keyword the server's
// quote_ident quotes for being one (the server also quotes names it would
// read plain the same: a $ inside, non-ASCII letters), and every form
// pgtwin writes — QuoteIfNeeded, pgx.Identifier.Sanitize (how pgtwin puts
// names in its SQL) — must read back as the same name, both by the
// server's parse_ident and as a column alias in a real statement.
func FuzzQuoteAgainstServer(f *testing.F) {
	for _, s := range []string{
		"users", "Users", "USERS", "user", "order", "select", "group", "table", "from", "all", "analyse",
		"between", "int", "varchar", "char", "time", "current_user", "authorization", "natural", "left",
		"name", "key", "action", // unreserved keywords: plain is fine
		"_x", "a$", "$a", "1a", "a1", "ünïcödé", "Ünï", "É", "ǅ", "a\u00a0b", `a"b`, `"`, `""`, "a b", " x", "x-y",
		"a.b", "tab\there", "new\nline", "back\\slash", "quote's", strings.Repeat("a", 63), strings.Repeat("é", 31),
	} {
		f.Add(s)
	}
	ctx := context.Background()
	conn := pgtest.Connect(f, pgtest.NewDB(f))
	f.Fuzz(func(t *testing.T, s string) {
		// Names the server can hold: not empty, no NUL, valid UTF-8 (the
		// test database's encoding), at most 63 bytes (longer ones are
		// truncated).
		if s == "" || strings.ContainsRune(s, 0) || !utf8.ValidString(s) || len(s) > 63 {
			return
		}
		var server string
		if err := conn.QueryRow(ctx, "SELECT pg_catalog.quote_ident($1)", s).Scan(&server); err != nil {
			t.Fatalf("quote_ident(%q): %v", s, err)
		}
		// The server quotes more than it must (a $ after the first
		// character, any non-ASCII letter); what matters is that a name
		// left plain is no keyword that SQL would read as something else.
		mine := catalog.QuoteIfNeeded(s)
		var keyword string
		if err := conn.QueryRow(ctx, "SELECT coalesce(max(catdesc), '') FROM pg_catalog.pg_get_keywords() WHERE word = $1 AND catcode <> 'U'", s).Scan(&keyword); err != nil {
			t.Fatal(err)
		}
		if mine == s && keyword != "" {
			t.Errorf("QuoteIfNeeded(%q) leaves it plain, but it is a %s; the server quotes it: %s", s, keyword, server)
		}
		for _, q := range []string{mine, pgx.Identifier{s}.Sanitize(), server} {
			var parts []string
			if err := conn.QueryRow(ctx, "SELECT pg_catalog.parse_ident($1)", q).Scan(&parts); err != nil || len(parts) != 1 || parts[0] != s {
				t.Errorf("the server reads %s as %q (%v), want %q", q, parts, err, s)
			}
			rows, err := conn.Query(ctx, "SELECT 1 AS "+q)
			if err != nil {
				t.Errorf("SELECT 1 AS %s: %v", q, err)
				continue
			}
			if got := rows.FieldDescriptions()[0].Name; got != s {
				t.Errorf("SELECT 1 AS %s names the column %q, want %q", q, got, s)
			}
			rows.Close()
		}
	})
}
