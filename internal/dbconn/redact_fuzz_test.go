package dbconn

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedact: whatever the password, a message holding it — raw, in any of
// the encodings a connection string gives it, or inside the connection
// string itself — keeps none of them after Redact with that connection
// string (a URL with the password in its user info or its query, a
// keyword/value string) or with the password itself ($PGPASSWORD).
//
// The fuzzing uses redact with a mask that cannot occur in a password (a
// NUL byte; PostgreSQL passwords cannot hold one), so that "the output
// does not contain the password" is a sound test for any password:
// Redact's mask, "xxxxx", trivially "contains" the password "x".
func FuzzRedact(f *testing.F) {
	for _, pw := range []string{"s3cret", "p@ss w'rd\\", "a/b?c=d&e", "%41", "x", "postgres", "é ü", "pass word=x", `''`} {
		f.Add(pw, "could not connect: ")
	}
	f.Fuzz(func(t *testing.T, pw, prefix string) {
		if pw == "" || strings.ContainsRune(pw+prefix, 0) {
			return
		}
		userinfo := (&url.URL{Scheme: "postgres", User: url.UserPassword("app", pw), Host: "db.example:5432", Path: "/shop"}).String()
		query := "postgres://app@db.example/shop?sslmode=disable&password=" + url.QueryEscape(pw)
		keyword := "host=db.example dbname=shop password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw) + "' user=app"
		bare := "host=db.example password=" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, ` `, `\ `, "\t", "\\\t", "\n", "\\\n", "\r", "\\\r", "\f", "\\\f", "\v", "\\\v").Replace(pw) + " user=app"
		forms := []string{pw, url.PathEscape(pw), url.QueryEscape(pw), url.UserPassword("", pw).String()[1:]}
		for _, dsn := range []string{userinfo, query, keyword, bare, pw} {
			msg := prefix + dsn + " | " + strings.Join(forms, " | ") + " | " + userinfo
			if dsn == pw {
				msg = prefix + strings.Join(forms, " | ")
			}
			out := redact(msg, "\x00", []string{dsn})
			for _, form := range forms {
				if strings.Contains(out, form) {
					t.Fatalf("redact(%q, %q) = %q: still holds %q", msg, dsn, out, form)
				}
			}
			// The exported form masks at least as much.
			if got := Redact(msg, dsn); strings.Count(got, "xxxxx") < strings.Count(out, "\x00") {
				t.Fatalf("Redact(%q, %q) = %q masks less than redact: %q", msg, dsn, got, out)
			}
		}
	})
}
