package main

import (
	"context"
	"testing"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestScaleFor(t *testing.T) {
	for _, total := range []int64{100_000, 10_000_000} {
		s := ScaleFor(total)
		if got := s.Total(); got < total*95/100 || got > total*105/100 {
			t.Errorf("ScaleFor(%d) gives %d rows (%+v)", total, got, s)
		}
		if s.Products <= 9*100+8 || s.Products%productFactor == 0 {
			t.Errorf("ScaleFor(%d): %d products break the subset's bijection", total, s.Products)
		}
	}
}

// TestGenerate generates a tiny shop and checks its row counts, its
// foreign keys (declared, valid, and no orphans), and that the first users'
// items point at distinct products, which keeps a subset's size the same
// at every scale.
func TestGenerate(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	s := ScaleFor(3000)
	if err := Generate(ctx, pgtest.DSN(db), s); err != nil {
		t.Fatal(err)
	}
	conn := pgtest.Connect(t, db)
	for table, want := range s.Counts() {
		var got int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}

	var fks, invalid int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT convalidated)
		FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`).Scan(&fks, &invalid); err != nil {
		t.Fatal(err)
	}
	if fks != 8 || invalid != 0 {
		t.Errorf("%d foreign keys (%d not valid), want 8 valid ones", fks, invalid)
	}
	orphans := map[string]string{
		"categories.parent_id":          "SELECT count(*) FROM categories c WHERE parent_id IS NOT NULL AND NOT EXISTS (SELECT FROM categories p WHERE p.id = c.parent_id)",
		"addresses.user_id":             "SELECT count(*) FROM addresses c WHERE NOT EXISTS (SELECT FROM users p WHERE p.id = c.user_id)",
		"products.category_id":          "SELECT count(*) FROM products c WHERE NOT EXISTS (SELECT FROM categories p WHERE p.id = c.category_id)",
		"orders.user_id":                "SELECT count(*) FROM orders c WHERE NOT EXISTS (SELECT FROM users p WHERE p.id = c.user_id)",
		"orders.shipping_address_id":    "SELECT count(*) FROM orders c WHERE NOT EXISTS (SELECT FROM addresses p WHERE p.id = c.shipping_address_id AND p.user_id = c.user_id)",
		"order_items.order_id":          "SELECT count(*) FROM order_items c WHERE NOT EXISTS (SELECT FROM orders p WHERE p.id = c.order_id)",
		"order_items.product_id":        "SELECT count(*) FROM order_items c WHERE NOT EXISTS (SELECT FROM products p WHERE p.id = c.product_id)",
		"payments.order_id":             "SELECT count(*) FROM payments c WHERE NOT EXISTS (SELECT FROM orders p WHERE p.id = c.order_id)",
		"every order has 3 items":       "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) <> 3",
		"every user has 3 orders":       "SELECT count(*) FROM users u WHERE (SELECT count(*) FROM orders o WHERE o.user_id = u.id) <> 3",
		"every child column is indexed": childIndexCheck,
	}
	for what, q := range orphans {
		var n int64
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d offending rows", what, n)
		}
	}

	// The subset of the bench: 100 users (fewer at this scale) and what
	// hangs off them, with one product per item.
	roots := min(int64(100), s.Users)
	var items, products int64
	if err := conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT i.product_id)
		FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id <= $1`, roots).Scan(&items, &products); err != nil {
		t.Fatal(err)
	}
	if items != 9*roots || products != items {
		t.Errorf("the first %d users have %d items over %d products, want %d distinct", roots, items, products, 9*roots)
	}
}

// childIndexCheck counts foreign keys whose child columns lead no index.
const childIndexCheck = `
SELECT count(*) FROM pg_constraint c
WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])`
