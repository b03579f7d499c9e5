package clone_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/pgtest"
	"github.com/pgtwin/pgtwin/internal/subset"
)

// accessVariants are the ways a run may read the source: every lookup
// forced onto one access path (probes in batches of 2 keys, so that every
// lookup takes several), and whole tables on the text path instead of
// binary pass-through.
var accessVariants = []struct {
	name  string
	tweak func(*clone.Options)
}{
	{"auto", nil},
	{"probe", func(o *clone.Options) { o.Access, o.BatchSize = subset.AccessProbe, 2 }},
	{"set", func(o *clone.Options) { o.Access = subset.AccessSet }},
	{"scan", func(o *clone.Options) { o.Access = subset.AccessScan }},
	{"scan, text only", func(o *clone.Options) { o.Access, o.TextOnly = subset.AccessScan, true }},
	{"three source readers", func(o *clone.Options) { o.Jobs = 3 }},
}

// wholeCases exercise whole tables: roots with all, tables reached whole
// down a NOT NULL key, children of whole tables through nullable, virtual
// and filtered keys, parents of whole tables, and a `copy: all` table
// reached down from a partial root that pulls children of its own.
var wholeCases = []twinCase{
	{
		name: "roots with all and what hangs off them",
		schema: `
CREATE TABLE regions (id int PRIMARY KEY, name text);
CREATE TABLE users (id int PRIMARY KEY, region_id int REFERENCES regions, referrer int REFERENCES users);
CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users, note text);
CREATE TABLE items (order_id int NOT NULL REFERENCES orders, line int NOT NULL, qty int);
CREATE TABLE tags (user_ref int, tag text);
CREATE TABLE reviews (id int PRIMARY KEY, user_id int REFERENCES users, stars int);
CREATE TABLE teams (id int PRIMARY KEY, lead int);
CREATE TABLE members (team_id int NOT NULL REFERENCES teams, user_id int NOT NULL, PRIMARY KEY (team_id, user_id));
INSERT INTO regions SELECT i, 'r' || i FROM generate_series(1, 5) i;
INSERT INTO users SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE 1 + i % 3 END, CASE WHEN i > 1 THEN i - 1 END FROM generate_series(1, 30) i;
INSERT INTO orders SELECT i, 1 + i % 30, E'tab\there' FROM generate_series(1, 60) i;
INSERT INTO items SELECT 1 + i % 60, i, i FROM generate_series(1, 120) i;
INSERT INTO tags SELECT i, 't' || i FROM generate_series(1, 40) i;
INSERT INTO reviews SELECT i, CASE WHEN i % 5 = 0 THEN NULL ELSE 1 + i % 30 END, i % 6 FROM generate_series(1, 50) i;
INSERT INTO teams VALUES (1, 3), (2, 7), (3, 9);
INSERT INTO members SELECT 1 + i % 3, i FROM generate_series(1, 12) i;
ALTER TABLE members ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID;`,
		config: `
version: 1
roots:
  - table: users
    all: true
virtual_foreign_keys:
  - table: tags
    columns: [user_ref]
    references: users
  - table: teams
    columns: [lead]
    references: users
foreign_keys:
  - table: reviews
    columns: [user_id]
    children_where: stars >= 3
`,
	},
	{
		name: "whole children of a partial root, parents of a whole table",
		schema: `
CREATE TABLE categories (id int PRIMARY KEY, parent_id int REFERENCES categories);
CREATE TABLE products (id int PRIMARY KEY, category_id int NOT NULL REFERENCES categories);
CREATE TABLE users (id int PRIMARY KEY);
CREATE TABLE carts (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users);
CREATE TABLE cart_lines (cart_id int NOT NULL REFERENCES carts, product_id int NOT NULL REFERENCES products);
INSERT INTO categories SELECT i, CASE WHEN i > 3 THEN i / 3 END FROM generate_series(1, 20) i;
INSERT INTO products SELECT i, 1 + i % 20 FROM generate_series(1, 50) i;
INSERT INTO users SELECT generate_series(1, 20);
INSERT INTO carts SELECT i, 1 + i % 20 FROM generate_series(1, 40) i;
INSERT INTO cart_lines SELECT 1 + i % 40, 1 + i % 50 FROM generate_series(1, 100) i;`,
		config: `
version: 1
roots:
  - table: users
    where: id <= 4
tables:
  - table: carts
    copy: all
  - table: cart_lines
    copy: all
`,
	},
	{
		name:   "whole partitioned tables: sub-partitions, defaults, a leaf attached with its own column order, a leaf in another schema",
		schema: partitionedLedger,
		config: `
version: 1
roots:
  - table: entries
    where: id <= 50
tables:
  - table: accounts
    copy: all
  - table: ledger
    copy: all
`,
	},
	{
		name: "every table a root with all",
		schema: `
CREATE TABLE a (id int PRIMARY KEY, b_id int);
CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);
ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE c (x int, y int, b_id int NOT NULL REFERENCES b);
BEGIN;
INSERT INTO a SELECT i, 1 + i % 10 FROM generate_series(1, 10) i;
INSERT INTO b SELECT i, 1 + (i * 3) % 10 FROM generate_series(1, 10) i;
COMMIT;
INSERT INTO c SELECT i, i, 1 + i % 10 FROM generate_series(1, 30) i;`,
		config: `
version: 1
roots:
  - table: a
    all: true
  - table: b
    all: true
  - table: c
    all: true
`,
	},
}

// TestAccessPaths twins each case once per access variant and requires
// the same twin every time: the same rows byte for byte, the oracle's
// rows, and every guarantee verifyTwin checks.
func TestAccessPaths(t *testing.T) {
	cases := append(append([]twinCase{}, subsetCases...), wholeCases...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := pgtest.NewDB(t, tc.schema, "ANALYZE")
			want := oracle(t, src, tc.config)
			var first map[string][]string
			for _, v := range accessVariants {
				tgt := pgtest.NewDB(t)
				if _, err := runClone(src, tgt, tc.config, v.tweak); err != nil {
					t.Fatalf("%s: clone: %v", v.name, err)
				}
				if d := cmp.Diff(want, identities(t, tgt)); d != "" {
					t.Errorf("%s: twin rows differ from the SQL oracle (-oracle +twin):\n%s", v.name, d)
				}
				rows := rowTexts(t, tgt)
				if first == nil {
					first = rows
				} else if d := cmp.Diff(first, rows); d != "" {
					t.Errorf("%s: rows differ from those of %s (-%[2]s +%[1]s):\n%s", v.name, accessVariants[0].name, d)
				}
				verifyTwin(t, src, tgt, tc.config)
			}
		})
	}
}

// rowTexts returns every row of every table as text, sorted.
func rowTexts(t *testing.T, db string) map[string][]string {
	t.Helper()
	conn := pgtest.Connect(t, db)
	out := map[string][]string{}
	for _, tb := range readOCatalog(t, conn, &oconfig{}).tables {
		out[tb.key] = column(t, db, fmt.Sprintf("SELECT t::text FROM %s AS t ORDER BY 1", tb.from()))
		if out[tb.key] == nil {
			out[tb.key] = []string{}
		}
	}
	return out
}

// partitionedLedger is a partitioned table whose rows live in leaves of
// every kind: one attached with its own column order (the partitioned
// table has a dropped column), one in another schema, two under a
// sub-partitioned leaf (one its default), the default, and an empty one.
const partitionedLedger = `
CREATE SCHEMA archive;
CREATE TABLE accounts (id int PRIMARY KEY);
CREATE TABLE ledger (dropped int, id int NOT NULL, account_id int REFERENCES accounts, booked date NOT NULL, amount numeric NOT NULL,
  PRIMARY KEY (id, booked)) PARTITION BY RANGE (booked);
ALTER TABLE ledger DROP COLUMN dropped;
CREATE TABLE ledger_2024 (amount numeric NOT NULL, booked date NOT NULL, account_id int, id int NOT NULL);
ALTER TABLE ledger ATTACH PARTITION ledger_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE archive.ledger_old PARTITION OF ledger FOR VALUES FROM (MINVALUE) TO ('2024-01-01');
CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (booked);
CREATE TABLE ledger_2025_h1 PARTITION OF ledger_2025 FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
CREATE TABLE ledger_2025_rest PARTITION OF ledger_2025 DEFAULT;
CREATE TABLE ledger_later PARTITION OF ledger DEFAULT;
CREATE TABLE ledger_2030 PARTITION OF ledger FOR VALUES FROM ('2030-01-01') TO ('2031-01-01');
CREATE TABLE entries (id int PRIMARY KEY, ledger_id int, booked date, FOREIGN KEY (ledger_id, booked) REFERENCES ledger);
INSERT INTO accounts SELECT generate_series(1, 5);
INSERT INTO ledger SELECT i, 1 + i % 5, date '2023-01-01' + i % 1500, i * 1.5 FROM generate_series(1, 3000) i;
INSERT INTO entries SELECT i, i * 7, date '2023-01-01' + (i * 7) % 1500 FROM generate_series(1, 200) i;`

// TestWholePartitionsFrozen checks that a whole partitioned table passed
// through lands leaf by leaf: each leaf holds the rows of the source's
// leaf, and its pages are all-visible, which only COPY … FREEZE into the
// leaf itself makes them (a COPY routed through the partitioned table
// cannot freeze).
func TestWholePartitionsFrozen(t *testing.T) {
	t.Parallel()
	src := pgtest.NewDB(t, partitionedLedger, "ANALYZE")
	srcConn := pgtest.Connect(t, src)
	leaves := pgtest.Strings(t, srcConn, `SELECT relid::regclass::text FROM pg_catalog.pg_partition_tree('ledger') WHERE isleaf ORDER BY 1`)
	if len(leaves) != 6 {
		t.Fatalf("leaves of ledger: %q, want 6", leaves)
	}
	config := "version: 1\ntables:\n  - table: accounts\n    copy: all\n  - table: ledger\n    copy: all\n"
	for _, v := range []struct {
		name  string
		tweak func(*clone.Options)
	}{{"one reader", nil}, {"three readers", func(o *clone.Options) { o.Jobs = 3 }}} {
		t.Run(v.name, func(t *testing.T) {
			tgt := pgtest.NewDB(t)
			if _, err := runClone(src, tgt, config, v.tweak); err != nil {
				t.Fatalf("clone: %v", err)
			}
			tgtConn := pgtest.Connect(t, tgt)
			filled := 0
			for _, leaf := range leaves {
				q := "SELECT t::text FROM ONLY " + leaf + " AS t ORDER BY 1"
				want := pgtest.Strings(t, srcConn, q)
				if d := cmp.Diff(want, pgtest.Strings(t, tgtConn, q)); d != "" {
					t.Errorf("rows of %s (-source +twin):\n%s", leaf, d)
				}
				if len(want) == 0 {
					continue
				}
				filled++
				pgtest.Exec(t, tgtConn, "ANALYZE "+leaf)
				var pages, visible int32
				if err := tgtConn.QueryRow(context.Background(), "SELECT relpages, relallvisible FROM pg_catalog.pg_class WHERE oid = $1::regclass", leaf).Scan(&pages, &visible); err != nil {
					t.Fatal(err)
				}
				if pages == 0 || visible != pages {
					t.Errorf("%s: %d of %d pages all-visible, want every page: the leaf was not loaded WITH (FREEZE)", leaf, visible, pages)
				}
			}
			if filled != 5 {
				t.Errorf("%d leaves hold rows, want 5", filled)
			}
		})
	}
}
