package observe_test

import (
	"strings"
	"testing"

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

// FuzzSummary: whatever the statement, no string literal's content ends
// up in the summary.
func FuzzSummary(f *testing.F) {
	f.Add("SELECT 'x'", "secret")
	f.Fuzz(func(t *testing.T, prefix, secret string) {
		if len(secret) < 4 || strings.ContainsAny(secret, "'$") || strings.ContainsAny(prefix, "'$") {
			return
		}
		got := observe.Summary(prefix + "'" + secret + "'")
		// The cut's own " …" is not the literal: prefix "000" and secret
		// "000 " summarize to "000 …".
		shown := strings.TrimSuffix(got, " …")
		if len(got) > 0 && strings.Contains(shown, secret) && !strings.Contains(prefix, secret) {
			t.Errorf("Summary holds the literal %q: %q", secret, got)
		}
	})
}
