package catalog_test

import (
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
)

// FuzzQuoteIfNeeded: every name pgtwin writes for people (Name.Display, made
// of QuoteIfNeeded parts: reports, plan output, init's starter config)
// reads back through the config's parser as the same schema and table, and
// a part left unquoted is one that PostgreSQL would read unquoted as the
// same name (PostgreSQL folds only ASCII letters in multi-byte encodings).
func FuzzQuoteIfNeeded(f *testing.F) {
	for _, s := range []string{"users", "Users", "order lines", `a"b`, "1a", "a1$", "Ünïcode", "a.b", " x", "_", "$", `"`} {
		f.Add("public", s)
	}
	f.Fuzz(func(t *testing.T, schema, table string) {
		if schema == "" || table == "" || strings.ContainsRune(schema+table, 0) {
			return // PostgreSQL names are never empty and never hold NUL
		}
		n := catalog.Name{Schema: schema, Name: table}
		gs, gt, err := config.ParseTableName(n.Display())
		if err != nil || gs != schema || gt != table {
			t.Fatalf("ParseTableName(%s) = %q, %q, %v; want %q, %q", n.Display(), gs, gt, err, schema, table)
		}
		for _, part := range []string{schema, table} {
			q := catalog.QuoteIfNeeded(part)
			if q == part && (strings.ContainsAny(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || part[0] >= '0' && part[0] <= '9' || part[0] == '$' ||
				strings.ContainsAny(part, " .\"'-;()")) {
				t.Fatalf("QuoteIfNeeded(%q) left it unquoted", part)
			}
			if q != part && (!strings.HasPrefix(q, `"`) || !strings.HasSuffix(q, `"`)) {
				t.Fatalf("QuoteIfNeeded(%q) = %s: neither plain nor quoted", part, q)
			}
		}
	})
}
