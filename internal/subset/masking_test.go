package subset_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/copytext"
	"github.com/pgtwin/pgtwin/internal/mask"
	"github.com/pgtwin/pgtwin/internal/pgtest"
	"github.com/pgtwin/pgtwin/internal/plan"
	"github.com/pgtwin/pgtwin/internal/subset"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The personal values of maskSchema: none of them may reach the target.
var personal = []string{
	"ann.lee@example.org", "bob.stone@example.net", "cy.young@example.com",
	"Ann Lee", "Bob Stone", "Cy Young",
	"+1 (555) 010-2233", "+44 20 7946 0958", "+49 30 901820",
	"1-800-FLOWERS", "SKU-AB-1001", "SKU-CD-2002", "SKU-EF-3003",
	"ann.alt@example.org", "secret note about ann",
}

const maskSchema = `
CREATE TABLE users (
  id int PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name varchar(40),
  phone varchar(20),
  referred_by text REFERENCES users (email),
  profile jsonb
);
CREATE TABLE products (sku text PRIMARY KEY, title text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, user_email text NOT NULL REFERENCES users (email), sku text REFERENCES products, note text);
INSERT INTO users VALUES
  (1, 'ann.lee@example.org', 'Ann Lee', '+1 (555) 010-2233', NULL, '{"alt": "ann.alt@example.org", "age": 41}'),
  (2, 'bob.stone@example.net', 'Bob Stone', '+44 20 7946 0958', 'ann.lee@example.org', NULL),
  (3, 'cy.young@example.com', 'Cy Young', '+49 30 901820', 'bob.stone@example.net', '{"alt": null}');
INSERT INTO products VALUES ('SKU-AB-1001', 'pen'), ('SKU-CD-2002', 'ink'), ('SKU-EF-3003', 'pad');
INSERT INTO orders VALUES
  (10, 'ann.lee@example.org', 'SKU-AB-1001', 'secret note about ann'),
  (11, 'cy.young@example.com', 'SKU-CD-2002', '1-800-FLOWERS'),
  (12, 'bob.stone@example.net', 'SKU-EF-3003', NULL);`

const maskConfig = `
version: 1
roots:
  - table: users
    all: true
masking:
  columns:
    - table: users
      column: email
      mask: email
    - table: users
      column: name
      mask: name
    - table: users
      column: phone
      mask: digits
    - table: users
      column: profile
      paths:
        - path: $.alt
          mask: email
    - table: products
      column: sku
      mask: text
    - table: orders
      column: note
      mask: sql
      sql: "'note ' || id"
`

// captureSink keeps what the target's COPY would receive, per table; after
// failAfter rows in all it fails, as a target that breaks mid-load does.
type captureSink struct {
	mu        sync.Mutex
	rows      map[string][]string
	n         int
	failAfter int
}

func (c *captureSink) sink(_ context.Context, table catalog.Name, _ []string, r io.Reader) error {
	rd := copytext.NewReader(r)
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.rows[table.Display()] = append(c.rows[table.Display()], string(row.Line))
		c.n++
		stop := c.failAfter > 0 && c.n >= c.failAfter
		c.mu.Unlock()
		if stop {
			return errors.New("the target went away")
		}
	}
}

// runSubset streams maskConfig's twin of maskSchema into a capturing sink.
func runSubset(t *testing.T, failAfter int, key string) (*captureSink, []subset.TableStats, error) {
	t.Helper()
	ctx := context.Background()
	tx := pgtest.ReadOnlyTx(t, pgtest.NewDB(t, maskSchema, "ANALYZE"))
	cat, err := catalog.ReadTx(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("twin.yaml", []byte(maskConfig))
	if err != nil {
		t.Fatal(err)
	}
	res, err := plan.Check(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Build(cat, res, nil)
	if len(p.Problems) > 0 {
		t.Fatalf("plan problems: %v", p.Problems)
	}
	k, err := mask.ParseKey("PGTWIN_MASK_KEY", key)
	if err != nil {
		t.Fatal(err)
	}
	c := &captureSink{rows: map[string][]string{}, failAfter: failAfter}
	stats, err := subset.Run(ctx, tx.Conn().PgConn(), c.sink, cat, res, p, subset.Options{MaskKey: k})
	return c, stats, err
}

const testKey = "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"

// assertNoPersonal fails when any field the sink received holds, or
// contains, a personal value of the source.
func assertNoPersonal(t *testing.T, c *captureSink) {
	t.Helper()
	for table, rows := range c.rows {
		for _, line := range rows {
			for _, f := range strings.Split(line, "\t") {
				v := copytext.Decode([]byte(f))
				for _, p := range personal {
					if strings.Contains(v, p) {
						t.Errorf("%s: the target received the source's %q", table, p)
					}
				}
			}
		}
	}
}

func TestMaskedStream(t *testing.T) {
	c, stats, err := runSubset(t, 0, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.rows["public.users"]) + len(c.rows["public.orders"]) + len(c.rows["public.products"]); got != 9 {
		t.Fatalf("the sink received %d rows, want 9: %v", got, c.rows)
	}
	assertNoPersonal(t, c)
	masked := map[string]int64{}
	for _, s := range stats {
		for _, m := range s.Masked {
			masked[s.Table.Display()+"."+m.Column] = m.Values
		}
	}
	// Non-NULL values masked in the stream (orders.note is masked by the
	// source's sql, users.referred_by and orders.user_email by their link
	// to users.email, orders.sku by its link to products.sku).
	want := map[string]int64{
		"public.users.email": 3, "public.users.name": 3, "public.users.phone": 3, "public.users.referred_by": 2, "public.users.profile": 2,
		"public.products.sku": 3, "public.orders.user_email": 3, "public.orders.sku": 3,
	}
	for k, n := range want {
		if masked[k] != n {
			t.Errorf("masked values of %s = %d, want %d (all: %v)", k, masked[k], n, masked)
		}
	}
	for _, line := range c.rows["public.orders"] {
		if f := strings.Split(line, "\t"); !strings.HasPrefix(f[3], "note ") {
			t.Errorf("orders.note = %q, want the sql mask's value", f[3])
		}
	}
}

func TestMaskedStreamFailingMidLoad(t *testing.T) {
	c, _, err := runSubset(t, 2, testKey)
	if err == nil || !strings.Contains(err.Error(), "the target went away") {
		t.Fatalf("err = %v, want the sink's error", err)
	}
	if c.n == 0 {
		t.Fatal("the sink received nothing before it failed")
	}
	assertNoPersonal(t, c)
}

func TestMaskedStreamIsDeterministic(t *testing.T) {
	a, _, err := runSubset(t, 0, testKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := runSubset(t, 0, testKey)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := runSubset(t, 0, "ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d")
	if err != nil {
		t.Fatal(err)
	}
	for table := range a.rows {
		if got, want := strings.Join(b.rows[table], "\n"), strings.Join(a.rows[table], "\n"); got != want {
			t.Errorf("%s differs between two runs with the same key:\n%s\n---\n%s", table, want, got)
		}
	}
	if bytes.Equal([]byte(strings.Join(a.rows["public.users"], "")), []byte(strings.Join(other.rows["public.users"], ""))) {
		t.Error("another key gave the same masked users")
	}
}
