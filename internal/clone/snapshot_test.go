package clone_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/observe"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// snapshotTables, snapshotData and snapshotKeys make a source whose subset
// depends on many reads that follow one another: a long category chain
// (every level is one more lookup round), customers that refer customers,
// and the usual customers → orders → items → products tree. Every row has
// a version the writers bump, so a row read at another moment than its
// neighbours shows.
const snapshotTables = `
CREATE TABLE categories (id int PRIMARY KEY, parent_id int, version int NOT NULL DEFAULT 0);
CREATE TABLE products (id int PRIMARY KEY, category_id int NOT NULL, version int NOT NULL DEFAULT 0);
CREATE TABLE customers (id bigserial PRIMARY KEY, referred_by bigint, version int NOT NULL DEFAULT 0);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, version int NOT NULL DEFAULT 0);
CREATE TABLE items (id bigserial PRIMARY KEY, order_id bigint NOT NULL, product_id int NOT NULL, qty int NOT NULL, version int NOT NULL DEFAULT 0);`

// snapshotKeys adds the foreign keys and their indexes, after the data.
const snapshotKeys = `
ALTER TABLE categories ADD FOREIGN KEY (parent_id) REFERENCES categories;
ALTER TABLE products ADD FOREIGN KEY (category_id) REFERENCES categories;
ALTER TABLE customers ADD FOREIGN KEY (referred_by) REFERENCES customers;
ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE items ADD FOREIGN KEY (order_id) REFERENCES orders, ADD FOREIGN KEY (product_id) REFERENCES products;
CREATE INDEX ON categories (parent_id);
CREATE INDEX ON products (category_id);
CREATE INDEX ON customers (referred_by);
CREATE INDEX ON orders (customer_id);
CREATE INDEX ON items (order_id);
CREATE INDEX ON items (product_id);
ANALYZE;`

const (
	snapCategories = 120
	snapProducts   = 2000
	snapCustomers  = 10000
)

var snapshotData = fmt.Sprintf(`
INSERT INTO categories SELECT i, nullif(i - 1, 0) FROM generate_series(1, %[1]d) i;
INSERT INTO products SELECT i, %[1]d - i %% 20 FROM generate_series(1, %[2]d) i;
INSERT INTO customers (id, referred_by) SELECT i, CASE WHEN i %% 10 <> 1 THEN i - 1 END FROM generate_series(1, %[3]d) i;
INSERT INTO orders (id, customer_id) SELECT i, 1 + (i * 7919) %% %[3]d FROM generate_series(1, 3 * %[3]d) i;
INSERT INTO items (id, order_id, product_id, qty) SELECT i, 1 + (i::bigint * 104729) %% (3 * %[3]d), 1 + (i * 31) %% %[2]d, 1 + i %% 5
FROM generate_series(1, 8 * %[3]d) i;
SELECT setval('customers_id_seq', %[3]d), setval('orders_id_seq', 3 * %[3]d), setval('items_id_seq', 8 * %[3]d);`, snapCategories, snapProducts, snapCustomers)

const snapshotConfig = `
version: 1
roots:
  - table: customers
    where: id % 4 = 0
foreign_keys:
  - table: customers
    columns: [referred_by]
    follow_children: false
`

// TestSnapshotUnderConcurrentWrites twins a source while writers insert,
// re-point and delete rows all over its foreign-key graph, as fast as they
// can, before and during the run. The twin must be the subset of one
// moment of the source: that of the snapshot the run exported.
//
// To know what the source held at that moment, the test imports the run's
// own snapshot: when the run enters its "schema dump" phase (the snapshot
// is exported and the run's transaction is open), the test finds the
// snapshot among the server's exported ones (pg_snapshots/, by database)
// and opens a transaction of its own with SET TRANSACTION SNAPSHOT. After
// the run it copies the source as that transaction sees it into a frozen
// database, and checks the twin against the oracle and verifyTwin on the
// frozen copy: the same rows, and every row byte for byte the row of that
// moment. A run that read anything outside its snapshot (a later version
// of a row, a row inserted since, a row deleted since) fails that check;
// one that read a child without its parent fails to build its foreign keys.
func TestSnapshotUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := pgtest.NewDB(t, snapshotTables, snapshotData, snapshotKeys)
	tgt := pgtest.NewDB(t)
	admin := pgtest.Connect(t, src)
	var dbOID uint32
	if err := admin.QueryRow(ctx, "SELECT oid FROM pg_database WHERE datname = current_database()").Scan(&dbOID); err != nil {
		t.Fatal(err)
	}

	// The writers.
	wctx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	var commits, failures atomic.Int64
	maxCustomer, maxOrder, maxItem := &atomic.Int64{}, &atomic.Int64{}, &atomic.Int64{}
	maxCustomer.Store(snapCustomers)
	maxOrder.Store(3 * snapCustomers)
	maxItem.Store(8 * snapCustomers)
	var wg sync.WaitGroup
	var writerErr error
	var writerErrOnce sync.Once
	for w, job := range []writerJob{insertTree, insertTree, repoint, repoint, repoint, deleteTree, deleteTree} {
		conn, err := pgx.Connect(ctx, pgtest.DSN(src)+" options='-c lock_timeout=2s'")
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close(context.Background())
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			ids := writerIDs{customer: maxCustomer, order: maxOrder, item: maxItem}
			for wctx.Err() == nil {
				err := pgx.BeginFunc(wctx, conn, func(tx pgx.Tx) error { return job(wctx, tx, rng, ids) })
				switch {
				case err == nil:
					commits.Add(1)
				case wctx.Err() != nil:
					return
				case isExpectedWriteConflict(err):
					failures.Add(1)
				default:
					writerErrOnce.Do(func() { writerErr = err })
					failures.Add(1)
				}
			}
		}()
	}
	// Let the writers get going before the run takes its snapshot.
	waitCommits := func(n int64) {
		for deadline := time.Now().Add(2 * time.Minute); commits.Load() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				stopWriters()
				wg.Wait()
				t.Fatalf("the writers committed %d of %d transactions in 2 minutes (%d failed; %v)", commits.Load(), n, failures.Load(), writerErr)
			}
		}
	}
	waitCommits(200)

	// The run, with the test joining its snapshot.
	frozenTx := pgtest.Connect(t, src)
	var snapshotID string
	var atSnapshot, atData, atPost int64
	var dataStart, dataEnd time.Time
	cloneStart, commitsAtStart := time.Now(), commits.Load()
	rep, err := runClone(src, tgt, snapshotConfig, func(o *clone.Options) {
		o.Observer = phaseFunc(func(name string) {
			switch name {
			case "schema dump":
				snapshotID = importSnapshot(t, admin, frozenTx, dbOID)
				atSnapshot = commits.Load()
			case "data":
				// The snapshot is taken: let the writers change what the
				// run is about to read, however slow a loaded machine makes
				// them, so the race happens every time.
				waitCommits(commits.Load() + 50)
				atData, dataStart = commits.Load(), time.Now()
			case "indexes and constraints":
				atPost, dataEnd = commits.Load(), time.Now()
			}
		})
	})
	cloneTime, commitsDuringClone := time.Since(cloneStart), commits.Load()-commitsAtStart
	stopWriters()
	wg.Wait()
	if err != nil {
		t.Fatalf("clone under concurrent writes: %v", err)
	}
	if writerErr != nil {
		t.Errorf("a writer failed unexpectedly (its transaction rolled back): %v", writerErr)
	}
	if snapshotID == "" {
		t.Fatal("the run's snapshot was not found")
	}
	dataTime := dataEnd.Sub(dataStart)
	t.Logf("clone %.2fs (data phase %.2fs, %d rows); writers committed %d transactions during the clone (%.0f/s), %d during the data phase (%.0f/s); %d rolled back on conflicts",
		cloneTime.Seconds(), dataTime.Seconds(), rep.Rows, commitsDuringClone, float64(commitsDuringClone)/cloneTime.Seconds(),
		atPost-atData, float64(atPost-atData)/dataTime.Seconds(), failures.Load())
	if atPost-atSnapshot < 50 {
		t.Errorf("only %d writes committed between the snapshot and the end of the reads: the race did not happen", atPost-atSnapshot)
	}

	// The source as the run's snapshot saw it.
	frozen := pgtest.NewDB(t, snapshotTables)
	copyDatabase(t, frozenTx, frozen, []string{"categories", "products", "customers", "orders", "items"})
	frozenTx.Exec(ctx, "COMMIT")
	pgtest.Exec(t, pgtest.Connect(t, frozen), snapshotKeys)

	// The source has moved on: twinning it now would give another twin.
	twinRows := identities(t, tgt)
	if d := diffMaps(identities(t, frozen), identities(t, src)); d == "" {
		t.Error("the source did not change after the snapshot: the race did not happen")
	}
	want := oracle(t, frozen, snapshotConfig)
	live := oracle(t, src, snapshotConfig)
	if d := diffMaps(want, live); d == "" {
		t.Error("the subset of the source after the writes equals that of the snapshot: the writes missed the subset")
	}
	if d := diffMaps(want, twinRows); d != "" {
		t.Errorf("the twin is not the subset of the run's snapshot (-snapshot oracle +twin):\n%s", d)
	}
	verifyTwin(t, frozen, tgt, snapshotConfig)
}

// importSnapshot finds the one snapshot exported in database dbOID (the
// run's) among the server's exported snapshots and makes tx's connection
// open a transaction on it.
func importSnapshot(t *testing.T, admin, conn *pgx.Conn, dbOID uint32) string {
	t.Helper()
	ctx := context.Background()
	rows, err := admin.Query(ctx, `
SELECT f FROM pg_catalog.pg_ls_dir('pg_snapshots') AS f
WHERE pg_catalog.pg_read_file('pg_snapshots/' || f, 0, 10000, true) LIKE '%' || E'\ndbid:' || $1 || E'\n%'`, fmt.Sprint(dbOID))
	if err != nil {
		t.Errorf("list exported snapshots: %v", err)
		return ""
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ids) != 1 {
		t.Errorf("exported snapshots of the source: %v, %v; want exactly the run's", ids, err)
		return ""
	}
	if _, err := conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		t.Errorf("begin: %v", err)
		return ""
	}
	if _, err := conn.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+ids[0]+"'"); err != nil {
		t.Errorf("import the run's snapshot %s: %v", ids[0], err)
		return ""
	}
	return ids[0]
}

// copyDatabase copies the given tables' rows as from's open transaction
// sees them into database db, whose tables exist and are empty.
func copyDatabase(t *testing.T, from *pgx.Conn, db string, tables []string) {
	t.Helper()
	ctx := context.Background()
	to := pgtest.Connect(t, db)
	for _, tb := range tables {
		name := pgx.Identifier{tb}.Sanitize()
		r, w := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := to.PgConn().CopyFrom(ctx, r, "COPY "+name+" FROM STDIN")
			r.CloseWithError(err)
			done <- err
		}()
		_, err := from.PgConn().CopyTo(ctx, w, "COPY (SELECT * FROM ONLY "+name+") TO STDOUT")
		w.CloseWithError(err)
		if err2 := <-done; err == nil {
			err = err2
		}
		if err != nil {
			t.Fatalf("copy %s as of the snapshot: %v", tb, err)
		}
	}
}

// writerIDs are the highest ids the writers know of, for picking rows at
// random (a picked id may be gone; then the write does nothing).
type writerIDs struct{ customer, order, item *atomic.Int64 }

func (ids writerIDs) pick(rng *rand.Rand, max *atomic.Int64) int64 { return 1 + rng.Int64N(max.Load()) }

type writerJob func(ctx context.Context, tx pgx.Tx, rng *rand.Rand, ids writerIDs) error

// insertTree inserts a customer (referred by some customer) with two
// orders of two items each, and may hang a new category onto the chain.
func insertTree(ctx context.Context, tx pgx.Tx, rng *rand.Rand, ids writerIDs) error {
	var c int64
	if err := tx.QueryRow(ctx, "INSERT INTO customers (referred_by) VALUES ((SELECT id FROM customers WHERE id >= $1 ORDER BY id LIMIT 1)) RETURNING id",
		ids.pick(rng, ids.customer)).Scan(&c); err != nil {
		return err
	}
	storeMax(ids.customer, c)
	for range 2 {
		var o int64
		if err := tx.QueryRow(ctx, "INSERT INTO orders (customer_id) VALUES ($1) RETURNING id", c).Scan(&o); err != nil {
			return err
		}
		storeMax(ids.order, o)
		for range 2 {
			var i int64
			if err := tx.QueryRow(ctx, "INSERT INTO items (order_id, product_id, qty) VALUES ($1, $2, 1) RETURNING id",
				o, 1+rng.IntN(snapProducts)).Scan(&i); err != nil {
				return err
			}
			storeMax(ids.item, i)
		}
	}
	return nil
}

// repoint moves foreign keys to other rows (an item to another order and
// product, an order to another customer, a customer to another referrer, a
// product to another category, a category to another parent) and bumps
// the versions of the rows on both ends.
func repoint(ctx context.Context, tx pgx.Tx, rng *rand.Rand, ids writerIDs) error {
	var err error
	switch rng.IntN(5) {
	case 0:
		_, err = tx.Exec(ctx, `UPDATE items SET order_id = coalesce((SELECT id FROM orders WHERE id >= $2 ORDER BY id LIMIT 1), order_id),
  product_id = $3, version = version + 1 WHERE id = $1`, ids.pick(rng, ids.item), ids.pick(rng, ids.order), 1+rng.IntN(snapProducts))
	case 1:
		var old int64
		err = tx.QueryRow(ctx, "SELECT customer_id FROM orders WHERE id = $1", ids.pick(rng, ids.order)).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err == nil {
			_, err = tx.Exec(ctx, `UPDATE orders SET customer_id = coalesce((SELECT id FROM customers WHERE id >= $2 ORDER BY id LIMIT 1), customer_id),
  version = version + 1 WHERE customer_id = $1`, old, ids.pick(rng, ids.customer))
		}
		if err == nil {
			_, err = tx.Exec(ctx, "UPDATE customers SET version = version + 1 WHERE id = $1", old)
		}
	case 2:
		_, err = tx.Exec(ctx, `UPDATE customers SET referred_by = (SELECT id FROM customers WHERE id >= $2 ORDER BY id LIMIT 1), version = version + 1
WHERE id = $1`, ids.pick(rng, ids.customer), ids.pick(rng, ids.customer))
	case 3:
		_, err = tx.Exec(ctx, "UPDATE products SET category_id = $2, version = version + 1 WHERE id = $1", 1+rng.IntN(snapProducts), 1+rng.IntN(snapCategories))
	case 4:
		// Re-parent a category to a lower one: the chain stays acyclic but
		// changes length under the run's lookups.
		id := 2 + rng.IntN(snapCategories-1)
		_, err = tx.Exec(ctx, "UPDATE categories SET parent_id = $2, version = version + 1 WHERE id = $1", id, 1+rng.IntN(id-1))
	}
	return err
}

// deleteTree deletes an order with its items, or a customer with its
// orders and items (children first), unhooking the customers it referred.
func deleteTree(ctx context.Context, tx pgx.Tx, rng *rand.Rand, ids writerIDs) error {
	if rng.IntN(3) == 0 {
		c := ids.pick(rng, ids.customer)
		for _, sql := range []string{
			"DELETE FROM items WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1)",
			"DELETE FROM orders WHERE customer_id = $1",
			"UPDATE customers SET referred_by = NULL, version = version + 1 WHERE referred_by = $1",
			"DELETE FROM customers WHERE id = $1",
		} {
			if _, err := tx.Exec(ctx, sql, c); err != nil {
				return err
			}
		}
		return nil
	}
	o := ids.pick(rng, ids.order)
	if _, err := tx.Exec(ctx, "DELETE FROM items WHERE order_id = $1", o); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "DELETE FROM orders WHERE id = $1", o)
	return err
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// isExpectedWriteConflict reports whether a writer's transaction failed
// because of another writer: a foreign key whose row another writer
// deleted or referenced meanwhile, a deadlock, a lock timeout.
func isExpectedWriteConflict(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "23503", "40P01", "40001", "55P03":
		return true
	}
	return false
}

// phaseFunc is an observer that is told only when each phase starts.
type phaseFunc func(name string)

func (f phaseFunc) PhaseStarted(name string) { f(name) }

func (phaseFunc) PhaseEnded(string, time.Duration, error) {}
func (phaseFunc) Done(time.Duration, error)               {}
func (phaseFunc) Estimate([]observe.Table)                {}
func (phaseFunc) Rows(string, int64, int64)               {}
func (phaseFunc) Waiting(string)                          {}
func (phaseFunc) Warning(string)                          {}
func (phaseFunc) Connected(observe.Connection)            {}
func (phaseFunc) Query(observe.Query)                     {}
