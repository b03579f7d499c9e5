package clone_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/demo"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestSubsetCases(t *testing.T) {
	for _, tc := range subsetCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t)
		})
	}
}

var subsetCases = []twinCase{
	{
		name: "down from roots, up from every row, not down from parents",
		schema: `
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users);
CREATE TABLE items (order_id int REFERENCES orders, line int, product_id int NOT NULL REFERENCES products, PRIMARY KEY (order_id, line));
INSERT INTO users VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
INSERT INTO products VALUES (10, 'pen'), (11, 'ink'), (12, 'pad');
INSERT INTO orders VALUES (100, 1), (101, 1), (102, 2), (103, 3);
INSERT INTO items VALUES (100, 1, 10), (100, 2, 11), (101, 1, 11), (102, 1, 10), (103, 1, 12);`,
		config: `
version: 1
roots:
  - table: users
    where: name = 'ann'
`,
		// ann's orders and items come down; their products come up; the
		// pen and ink do not bring bob's order 102 (parents pull no children).
		want: map[string][]string{
			"public.users":    {"(1)"},
			"public.orders":   {"(100)", "(101)"},
			"public.items":    {"(100,1)", "(100,2)", "(101,1)"},
			"public.products": {"(10)", "(11)"},
		},
	},
	{
		name: "self-reference and a multi-table cycle with a deferrable NOT NULL edge",
		schema: `
CREATE TABLE employees (id int PRIMARY KEY, boss_id int REFERENCES employees);
INSERT INTO employees VALUES (1, NULL), (2, 1), (3, 2), (4, 3), (5, 1);
CREATE TABLE a (id int PRIMARY KEY, b_id int NOT NULL);
CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a);
ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b DEFERRABLE INITIALLY DEFERRED;
BEGIN;
INSERT INTO a VALUES (1, 10), (2, 20), (3, 30);
INSERT INTO b VALUES (10, 2), (20, 1), (30, 3);
COMMIT;`,
		config: `
version: 1
roots:
  - table: employees
    where: id = 4
  - table: a
    where: id = 1
foreign_keys:
  - table: employees
    columns: [boss_id]
    follow_children: false
`,
		// Employee 4's bosses up the chain; a1 -> b10 -> a2 -> b20 -> a1,
		// and b rows reached down from a1 (b20 references a1) pull a2's …
		want: map[string][]string{
			"public.employees": {"(1)", "(2)", "(3)", "(4)"},
			"public.a":         {"(1)", "(2)"},
			"public.b":         {"(10)", "(20)"},
		},
	},
	{
		name: "composite key to a UNIQUE constraint, MATCH SIMPLE with partly NULL keys, no primary key",
		schema: `
CREATE TABLE shops (id int PRIMARY KEY, code text NOT NULL, region text NOT NULL, UNIQUE (code, region));
CREATE TABLE sales (shop_code text, shop_region text, amount numeric NOT NULL,
  FOREIGN KEY (shop_code, shop_region) REFERENCES shops (code, region));
INSERT INTO shops VALUES (1, 'a', 'eu'), (2, 'b', 'eu'), (3, 'a', 'us');
INSERT INTO sales VALUES ('a', 'eu', 1), ('a', NULL, 2), (NULL, 'us', 3), ('b', 'eu', 4), ('a', 'us', 5), ('a', 'us', 5);`,
		config: `
version: 1
roots:
  - table: sales
    where: amount IN (1, 2, 3, 5)
`,
		want: map[string][]string{
			"public.shops": {"(1)", "(3)"},
			"public.sales": {"(a,eu,1)", "(a,,2)", "(,us,3)", "(a,us,5)", "(a,us,5)"},
		},
	},
	{
		name: "cut a nullable key, copy a lookup table whole, schema only, unreached",
		schema: `
CREATE TABLE countries (iso text PRIMARY KEY);
CREATE TABLE coupons (id int PRIMARY KEY);
CREATE TABLE users (id int PRIMARY KEY, country text REFERENCES countries);
CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users, coupon_id int REFERENCES coupons);
CREATE TABLE audit (id int PRIMARY KEY, user_id int REFERENCES users);
CREATE TABLE lonely (id int PRIMARY KEY);
INSERT INTO countries VALUES ('de'), ('fr'), ('jp');
INSERT INTO coupons VALUES (7), (8);
INSERT INTO users VALUES (1, 'de'), (2, NULL);
INSERT INTO orders VALUES (1, 1, 7), (2, 1, NULL), (3, 2, 8);
INSERT INTO audit VALUES (1, 1);
INSERT INTO lonely VALUES (1);`,
		config: `
version: 1
roots:
  - table: orders
    where: id <= 2
tables:
  - table: countries
    copy: all
  - table: audit
    copy: schema
  - table: coupons
    copy: schema
foreign_keys:
  - table: orders
    columns: [coupon_id]
    cut: true
`,
		want: map[string][]string{
			"public.countries": {"(de)", "(fr)", "(jp)"},
			"public.users":     {"(1)"},
			"public.orders":    {"(1)", "(2)"},
		},
	},
	{
		name: "partitioned tables on both sides, inheritance, virtual key, limit and percent",
		schema: `
CREATE TABLE users (id int PRIMARY KEY);
CREATE TABLE events (id int, at date, user_id int REFERENCES users, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE notes (id int PRIMARY KEY, event_id int, event_at date, FOREIGN KEY (event_id, event_at) REFERENCES events);
CREATE TABLE logs (id int PRIMARY KEY, user_ref int);
CREATE TABLE old_logs () INHERITS (logs);
INSERT INTO users SELECT generate_series(1, 20);
INSERT INTO events SELECT i, date '2023-06-01' + i * 10, 1 + i % 20 FROM generate_series(1, 40) i;
INSERT INTO notes SELECT i, i, date '2023-06-01' + i * 10 FROM generate_series(1, 40, 3) i;
INSERT INTO logs VALUES (1, 3), (2, 4);
INSERT INTO old_logs VALUES (3, 5), (4, 6);`,
		config: `
version: 1
roots:
  - table: events
    order_by: at DESC
    limit: 5
  - table: old_logs
    percent: 100
virtual_foreign_keys:
  - table: logs
    columns: [user_ref]
    references: users
  - table: old_logs
    columns: [user_ref]
    references: users
`,
	},
}

// TestDemoShop twins the demo's shop database with the demo's config and
// with every table whole, and checks both against the oracle.
func TestDemoShop(t *testing.T) {
	t.Parallel()
	src := pgtest.NewDB(t)
	if err := demo.CreateShop(context.Background(), pgtest.Connect(t, src), 1); err != nil {
		t.Fatal(err)
	}
	// The subset of the demo's config; its masks are tested on their own
	// (the rows here are compared with the source's).
	sample, _, _ := strings.Cut(string(demo.Config), "\nmasking:")
	for name, yaml := range map[string]string{"sample": sample, "everything": allConfig(t, src)} {
		t.Run(name, func(t *testing.T) {
			tgt := pgtest.NewDB(t)
			rep := twin(t, src, tgt, yaml)
			if rep.Rows == 0 {
				t.Fatal("twin is empty")
			}
			if d := diffMaps(oracle(t, src, yaml), identities(t, tgt)); d != "" {
				t.Errorf("twin differs from the oracle (-oracle +twin):\n%s", d)
			}
			verifyTwin(t, src, tgt, yaml)
		})
	}
}

// TestDeterministic twins the same source twice and expects identical twins.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	src := pgtest.NewDB(t)
	if err := demo.CreateShop(context.Background(), pgtest.Connect(t, src), 1); err != nil {
		t.Fatal(err)
	}
	yaml := `
version: 1
roots:
  - table: orders
    percent: 5
  - table: users
    where: id % 97 = 0
`
	a, b := pgtest.NewDB(t), pgtest.NewDB(t)
	twin(t, src, a, yaml)
	twin(t, src, b, yaml)
	if d := diffMaps(identities(t, a), identities(t, b)); d != "" {
		t.Errorf("two twins of one source differ:\n%s", d)
	}
}

// TestAnalyzeOnlyTheTwin: after the commit pgtwin analyzes the tables it
// loaded, and leaves the target's other schemas alone.
func TestAnalyzeOnlyTheTwin(t *testing.T) {
	t.Parallel()
	src := pgtest.NewDB(t, `CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 100);`)
	tgt := pgtest.NewDB(t, `CREATE SCHEMA other; CREATE TABLE other.notes (id int); INSERT INTO other.notes SELECT generate_series(1, 100);`)
	if _, err := runClone(src, tgt, "version: 1\nroots:\n  - table: users\n    all: true\n", func(o *clone.Options) {
		o.OverwriteNonTwin = true
	}); err != nil {
		t.Fatal(err)
	}
	got := column(t, tgt, `SELECT c.oid::regclass::text || ' ' || (c.reltuples >= 0)::text FROM pg_class c
WHERE c.oid IN ('public.users'::regclass, 'other.notes'::regclass) ORDER BY 1`)
	want := []string{"other.notes false", "users true"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("analyzed tables (-want +got):\n%s", d)
	}
}

// TestFragmentEndingInComment: a where or children_where may end in a --
// comment; every query that embeds it (check, estimate, extraction) puts
// it on lines of its own.
func TestFragmentEndingInComment(t *testing.T) {
	t.Parallel()
	twinCase{
		name:   "comment",
		schema: subsetCases[0].schema,
		config: `
version: 1
roots:
  - table: users
    where: name = 'ann' -- the first user
    order_by: id -- oldest first
    limit: 5
foreign_keys:
  - table: orders
    columns: [user_id]
    children_where: id > 0 -- all of them
`,
		want: subsetCases[0].want,
	}.run(t)
}
