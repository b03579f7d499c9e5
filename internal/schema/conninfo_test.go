package schema

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/dbconn"
)

func TestSplitPassword(t *testing.T) {
	for _, tt := range []struct{ in, rest, password string }{
		{"", "", ""},
		{"host=h dbname=d", "host='h' dbname='d'", ""},
		{"host=h password=pw dbname=d", "host='h' dbname='d'", "pw"},
		{"host = h  password = 'p w\\'x\\\\' user=u", "host='h' user='u'", `p w'x\`},
		{`password=a\ b host=h`, "host='h'", "a b"},
		{"dbname='my db' statement_cache_capacity=0 default_query_exec_mode=simple_protocol", "dbname='my db'", ""},
		{"postgres://u:p%40ss@h:5432/d?sslmode=require", "postgres://u@h:5432/d?sslmode=require", "p@ss"},
		{"postgresql://u:pw@h1:5432,h2:5433/d", "postgresql://u@h1:5432,h2:5433/d", "pw"},
		{"postgres://u:a:b@h", "postgres://u@h", "a:b"},
		{"postgres://u@h/d?password=x%2By+z&sslmode=disable&statement_cache_capacity=0", "postgres://u@h/d?sslmode=disable", "x+y+z"},
		{"postgres://u:one@h/d?password=two", "postgres://u@h/d", "two"},
		{"postgres:///d?host=/tmp", "postgres:///d?host=/tmp", ""},
		{"postgres://h", "postgres://h", ""},
	} {
		rest, pw, err := splitPassword(tt.in)
		if err != nil || rest != tt.rest || pw != tt.password {
			t.Errorf("splitPassword(%q) = %q, %q, %v; want %q, %q", tt.in, rest, pw, err, tt.rest, tt.password)
		}
	}
	for _, in := range []string{"host", "host=h password='secret", "postgres://u:%zz@h"} {
		_, _, err := splitPassword(in)
		if err == nil {
			t.Errorf("splitPassword(%q) succeeded", in)
		} else if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "%zz") {
			t.Errorf("splitPassword(%q) error shows the password: %v", in, err)
		}
	}
}

// TestScrub: messages of pg_dump are scrubbed with dbconn.Redact, which
// also knows the URL-escaped forms.
func TestScrub(t *testing.T) {
	got := dbconn.Redact("a p w b p%20w c p+w d", "p w")
	if got != "a xxxxx b xxxxx c xxxxx d" {
		t.Errorf("scrub = %q", got)
	}
}

// FuzzSplitPassword checks that what remains parses like the input, minus
// the password.
func FuzzSplitPassword(f *testing.F) {
	for _, s := range []string{"host=h password=pw dbname=d", "password='a\\'b' user=u", "postgres://u:p@h/d?sslmode=disable"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		want, err := pgconn.ParseConfig(in)
		if err != nil {
			return
		}
		rest, pw, err := splitPassword(in)
		if err != nil {
			return // stricter than pgx on odd inputs
		}
		if pw != "" && strings.Contains(rest, pw) && len(pw) > 3 {
			t.Errorf("password %q left in %q", pw, rest)
		}
		got, err := pgconn.ParseConfig(rest)
		if err != nil {
			t.Fatalf("rest %q of %q does not parse: %v", rest, in, err)
		}
		if got.Host != want.Host || got.Port != want.Port || got.Database != want.Database || got.User != want.User {
			t.Errorf("%q → %q: %s@%s:%d/%s, want %s@%s:%d/%s", in, rest, got.User, got.Host, got.Port, got.Database, want.User, want.Host, want.Port, want.Database)
		}
		if want.Password != "" && pw != want.Password && !strings.Contains(in, "passfile") {
			t.Errorf("%q: password %q, pgx says %q", in, pw, want.Password)
		}
	})
}
