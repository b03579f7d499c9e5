package clone_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// percentSchema is a fixed dataset for percent roots: users with orders,
// and a table with a composite text key.
const percentSchema = `
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users);
CREATE TABLE pairs (a int, b text, PRIMARY KEY (a, b));
INSERT INTO users SELECT i, 'user ' || i FROM generate_series(1, 200) i;
INSERT INTO orders SELECT i, 1 + i % 200 FROM generate_series(1, 400) i;
INSERT INTO pairs SELECT i % 10, 'k' || i FROM generate_series(1, 100) i;`

// percentShuffled holds the same rows as percentSchema, stored in another
// order and moved by updates: other ctids, other pages.
const percentShuffled = `
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users);
CREATE TABLE pairs (a int, b text, PRIMARY KEY (a, b));
INSERT INTO users SELECT i, 'user ' || i FROM generate_series(200, 1, -1) i;
UPDATE users SET name = name WHERE id % 3 = 0;
INSERT INTO orders SELECT i, 1 + i % 200 FROM generate_series(400, 1, -1) i;
INSERT INTO pairs SELECT i % 10, 'k' || i FROM generate_series(100, 1, -1) i;
UPDATE pairs SET b = b WHERE a % 2 = 0;`

const percentConfig = `
version: 1
roots:
  - table: users
    percent: 5
  - table: pairs
    where: a < 5
    percent: 20
`

// percentPinned are the rows percentConfig samples from percentSchema.
// The docs promise a repeatable sample of the share; which rows it is, is
// pinned here so that any change to the sampling shows.
var percentPinned = map[string][]string{
	"public.users": {"(42)", "(53)", "(61)", "(62)", "(68)", "(82)", "(125)", "(165)"},
	"public.pairs": {"(1,k61)", "(2,k12)", "(2,k22)", "(2,k42)", "(3,k23)", "(3,k73)"},
}

// TestPercentRoots: a percent root takes the pinned rows of a fixed
// dataset (and what hangs off them); the same rows stored differently give
// the same sample; and the share is close to what was asked on a bigger
// table.
func TestPercentRoots(t *testing.T) {
	t.Parallel()
	tc := twinCase{name: "percent", schema: percentSchema, config: percentConfig, pinned: percentPinned}
	_, tgt, _ := tc.run(t)
	got := identities(t, tgt)
	// Neither table has parents, so all their rows are the sample.
	for table, want := range percentPinned {
		if d := cmp.Diff(want, got[table], cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
			t.Errorf("%s: sampled rows (-pinned +twin):\n%s", table, d)
		}
	}

	// The same data, stored another way: the same twin.
	src2 := pgtest.NewDB(t, percentShuffled, "ANALYZE")
	tgt2 := pgtest.NewDB(t)
	twin(t, src2, tgt2, percentConfig)
	if d := cmp.Diff(got, identities(t, tgt2)); d != "" {
		t.Errorf("the same rows stored differently give another sample (-first +second):\n%s", d)
	}

	// The share: 10% of 20,000 rows is 2,000, give or take what a fair
	// sample varies by (sd ≈ 42).
	big := pgtest.NewDB(t, `CREATE TABLE events (id bigint PRIMARY KEY); INSERT INTO events SELECT generate_series(1, 20000); ANALYZE`)
	tgt3 := pgtest.NewDB(t)
	twin(t, big, tgt3, "version: 1\nroots:\n  - table: events\n    percent: 10\n")
	if n := len(identities(t, tgt3)["public.events"]); n < 1800 || n > 2200 {
		t.Errorf("percent: 10 of 20000 rows took %d rows", n)
	}
}

// TestLimitRoots: limit keeps the first rows by order_by, or by the
// primary key without one (docs/config.md, roots[].limit) — not the first
// rows stored, which here are the last by key.
func TestLimitRoots(t *testing.T) {
	t.Parallel()
	twinCase{
		name: "limit",
		schema: `
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE pairs (a int, b text, PRIMARY KEY (a, b));
CREATE TABLE events (id int PRIMARY KEY, at int NOT NULL);
INSERT INTO users SELECT i, 'user ' || i FROM generate_series(10, 1, -1) i;
INSERT INTO pairs SELECT i % 3, 'k' || i FROM generate_series(9, 1, -1) i;
INSERT INTO events SELECT i, i % 4 FROM generate_series(1, 8) i;`,
		config: `
version: 1
roots:
  - table: users
    limit: 3
  - table: pairs
    where: b <> 'k3'
    limit: 2
  - table: events
    order_by: at DESC, id
    limit: 3
`,
		want: map[string][]string{
			"public.users":  {"(1)", "(2)", "(3)"},
			"public.pairs":  {"(0,k6)", "(0,k9)"},
			"public.events": {"(3)", "(7)", "(2)"},
		},
	}.run(t)
}
