package observe_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pgtwin/pgtwin/internal/observe"
)

func TestSummary(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"SELECT 1", "SELECT 1"},
		{"  SELECT a,\n\t b FROM t  WHERE x = $1 ", "SELECT a, b FROM t WHERE x = $1"},
		{"COPY (SELECT id FROM t WHERE (id) IN (SELECT u.v0::int FROM unnest('{1,2}'::text[]) AS u(v0))) TO STDOUT",
			"COPY (SELECT id FROM t WHERE (id) IN (SELECT u.v0::int FROM unnest( …"},
		{"SELECT * FROM t WHERE name = E'secret'", "SELECT * FROM t WHERE name = …"},
		{"CREATE FUNCTION f() RETURNS int AS $$ SELECT 42 $$ LANGUAGE sql", "CREATE FUNCTION f() RETURNS int AS …"},
		{"DO $body$ secret $body$", "DO …"},
	} {
		if got := observe.Summary(tc.sql); got != tc.want {
			t.Errorf("Summary(%q) = %q, want %q", tc.sql, got, tc.want)
		}
	}
	long := ""
	for range 100 {
		long += "ab "
	}
	if got := observe.Summary(long); len([]rune(got)) != 162 {
		t.Errorf("a long statement is cut to %d runes: %q", len([]rune(got)), got)
	}
}

// FuzzSummary: whatever the statement, the summary shows at most the
// statement before its first literal (its white space collapsed), so no
// part of a literal ends up in it.
func FuzzSummary(f *testing.F) {
	f.Add("SELECT 'x'", "secret")
	f.Fuzz(func(t *testing.T, prefix, secret string) {
		// Statements are UTF-8 (the server would refuse others).
		if strings.ContainsAny(secret, "'$") || strings.ContainsAny(prefix, "'$") || !utf8.ValidString(prefix) {
			return
		}
		got := observe.Summary(prefix + "'" + secret + "'")
		shown := strings.TrimSuffix(got, " …")
		if before := strings.Join(strings.Fields(prefix), " "); !strings.HasPrefix(before, shown) {
			t.Errorf("Summary(%q) = %q: more than the statement before its literal (%q)", prefix+"'"+secret+"'", got, before)
		}
	})
}
