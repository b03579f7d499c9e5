package cli_test

import (
	"regexp"
	"testing"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// TestInitNeverAnalyzed: on a database nobody has analyzed (a fresh
// restore, a new dev database), init counts small tables exactly instead
// of showing the planner's guess, and says which big tables it could not
// size.
func TestInitNeverAnalyzed(t *testing.T) {
	t.Parallel()
	src := pgtest.NewDB(t, `
CREATE TABLE customer (id int PRIMARY KEY, name text NOT NULL) WITH (autovacuum_enabled = off);
CREATE TABLE country (code text PRIMARY KEY) WITH (autovacuum_enabled = off);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, country text REFERENCES country) WITH (autovacuum_enabled = off);
INSERT INTO customer VALUES (1, 'ann'), (2, 'bob');
INSERT INTO country VALUES ('de'), ('fr'), ('jp');
INSERT INTO orders SELECT i, 1 + i % 2, 'de' FROM generate_series(1, 7) i;
CREATE TABLE events (id int PRIMARY KEY, order_id int REFERENCES orders, body text) WITH (autovacuum_enabled = off);
INSERT INTO events SELECT i, 1 + i % 7, repeat('x', 200) FROM generate_series(1, 50000) i;`)
	r := runPgtwin(t, nil, "init", "--source", pgtest.DSN(src))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, re := range []string{
		`(?m)^#   public\.customer  2 rows$`,
		`(?m)^#   public\.country  3 rows$`,
		`(?m)^#   public\.orders  7 rows; references public\.country, public\.customer$`,
		// Over 8 MB: not counted, and not passed off as an estimate.
		`(?m)^#   public\.events  never analyzed; references public\.orders$`,
		// Counted small tables that others reference are lookup tables.
		`(?m)^  - table: public\.country  # 3 rows\n    copy: all$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("init's config lacks %s:\n%s", re, r.stdout)
		}
	}
}
