package main

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
)

// The generator's SQL: two independent groups of tables, filled in
// parallel on two connections (one per core of a small machine), then the
// foreign keys that join them.
var (
	//go:embed sql/tables_a.sql
	tablesASQL string
	//go:embed sql/tables_b.sql
	tablesBSQL string
	//go:embed sql/constraints.sql
	constraintsSQL string
)

// Per user: 1 user, 2 addresses, 3 orders, 9 order items, 3 payments.
const (
	rowsPerUser   = 18
	categories    = 60
	usersPerProd  = 5    // one product for every 5 users …
	minProducts   = 1000 // … but at least this many (see tables_b.sql)
	productFactor = 7919 // the multiplier that spreads items over products
)

// Scale is the size of a generated shop.
type Scale struct {
	Users    int64
	Products int64
}

// ScaleFor returns the scale whose total row count is about total.
func ScaleFor(total int64) Scale {
	// total ≈ categories + users*rowsPerUser + users/usersPerProd
	users := max(1, (total-categories)*usersPerProd/(rowsPerUser*usersPerProd+1))
	products := max(users/usersPerProd, minProducts)
	if products%productFactor == 0 { // keep the item → product map a bijection
		products++
	}
	return Scale{Users: users, Products: products}
}

// Tables are the generated tables, parents first.
var Tables = []string{"categories", "users", "addresses", "products", "orders", "order_items", "payments"}

// Counts returns the number of rows each table gets.
func (s Scale) Counts() map[string]int64 {
	return map[string]int64{
		"categories":  categories,
		"users":       s.Users,
		"addresses":   2 * s.Users,
		"products":    s.Products,
		"orders":      3 * s.Users,
		"order_items": 9 * s.Users,
		"payments":    3 * s.Users,
	}
}

// Total is the number of rows of the whole shop.
func (s Scale) Total() int64 {
	var n int64
	for _, c := range s.Counts() {
		n += c
	}
	return n
}

// SubsetRows is the number of rows a twin rooted at the first roots users
// (by id) holds, with categories copied whole: the users, their addresses,
// orders, items and payments, one distinct product per item, and every
// category. It holds while roots*9+8 < Products.
func (s Scale) SubsetRows(roots int64) int64 {
	roots = min(roots, s.Users)
	return roots*rowsPerUser + roots*9 + categories
}

func (s Scale) sql(text string) string {
	return strings.NewReplacer(
		":users", strconv.FormatInt(s.Users, 10),
		":products", strconv.FormatInt(s.Products, 10),
	).Replace(text)
}

// Generate creates the shop's tables in the empty database dsn points at,
// fills them, adds keys, indexes and foreign keys, and vacuums and analyzes
// them, like a production database that autovacuum has caught up with.
// Each group of tables is created and filled in one transaction, which lets
// a server with wal_level=minimal skip writing their WAL.
func Generate(ctx context.Context, dsn string, s Scale) error {
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if err := conn.PgConn().Exec(ctx, "SET maintenance_work_mem = '256MB'").Close(); err != nil {
			return err
		}
		// A multi-statement simple query runs as one transaction.
		return conn.PgConn().Exec(ctx, s.sql(sql)).Close()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return exec(gctx, tablesASQL) })
	g.Go(func() error { return exec(gctx, tablesBSQL) })
	if err := g.Wait(); err != nil {
		return fmt.Errorf("generate the shop's tables: %w", err)
	}
	if err := exec(ctx, constraintsSQL); err != nil {
		return fmt.Errorf("add the shop's foreign keys: %w", err)
	}
	// VACUUM cannot run in a transaction: one table per statement, on two
	// connections.
	g, gctx = errgroup.WithContext(ctx)
	for _, group := range [][]string{{"order_items", "products", "categories"}, {"orders", "payments", "addresses", "users"}} {
		g.Go(func() error {
			for _, t := range group {
				if err := exec(gctx, "VACUUM (ANALYZE) "+t); err != nil {
					return fmt.Errorf("vacuum %s: %w", t, err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// generateDB creates database name on the server (dropping an old one) and
// generates the shop in it.
func generateDB(ctx context.Context, adminDSN, dsn, name string, s Scale) (time.Duration, error) {
	if err := recreateDB(ctx, adminDSN, name); err != nil {
		return 0, err
	}
	start := time.Now()
	err := Generate(ctx, dsn, s)
	return time.Since(start), err
}

func recreateDB(ctx context.Context, adminDSN, name string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	id := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+id)
	return err
}

func dropDB(ctx context.Context, adminDSN, name string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}
