package pii

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// shop is a realistic schema with personal columns (some that only their
// values give away) and look-alikes that are not personal.
const shop = `
CREATE TYPE user_status AS ENUM ('active', 'blocked');
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    phone         varchar(20),
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    is_admin      boolean NOT NULL DEFAULT false,
    status        user_status NOT NULL DEFAULT 'active',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_ip inet,
    contact       text,
    country       char(2)
);
CREATE TABLE hotel (
    id         int PRIMARY KEY,
    hotel_name text NOT NULL,
    stars      int,
    website    text
);
CREATE TABLE orders (
    id               int PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users,
    hotel_id         int REFERENCES hotel,
    shipping_address text,
    shipping_city    text,
    shipping_zip     varchar(10),
    delivery_contact text,
    coupon_code      text,
    total            numeric(10, 2) NOT NULL,
    placed_at        timestamptz NOT NULL
);
CREATE TABLE notes (
    id         serial PRIMARY KEY,
    user_id    bigint REFERENCES users,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE payments (
    id       int PRIMARY KEY,
    order_id int NOT NULL REFERENCES orders,
    cards    text,
    account  text,
    amount   numeric(10, 2) NOT NULL,
    ref      text
);
CREATE TABLE devices (
    id          uuid PRIMARY KEY,
    user_id     bigint REFERENCES users,
    device_uuid text NOT NULL,
    app_version text,
    placed_on   text
);
-- Big enough (> 256 pages) to be read through TABLESAMPLE.
CREATE TABLE mail_log (id int, recipient text, padding text);

INSERT INTO users (email, phone, first_name, last_name, last_login_ip, contact, country)
SELECT 'user' || i || '@example.com', '+44 20 7946 ' || lpad(i::text, 4, '0'), 'First' || i, 'Last' || i,
       ('10.1.0.' || i)::inet,
       CASE WHEN i <= 18 THEN 'contact' || i || '@example.org' ELSE 'n/a' END,
       'GB'
FROM generate_series(1, 20) i;
INSERT INTO hotel SELECT i, 'Hotel ' || i, i % 5 + 1, 'https://hotel' || i || '.example.com' FROM generate_series(1, 10) i;
INSERT INTO orders
SELECT i, 1 + i % 20, 1 + i % 10, i || ' High Street', 'London', 'SW1A ' || i, '(555) 123-' || lpad(i::text, 4, '0'),
       'SAVE' || i, 10 * i, '2024-01-01'::timestamptz + i * interval '1 day'
FROM generate_series(1, 30) i;
INSERT INTO notes (user_id, body) SELECT 1 + i % 20, 'called about order ' || i FROM generate_series(1, 10) i;
INSERT INTO payments VALUES
    (1, 1, '4111111111111111', 'DE89370400440532013000', 10, '2024-01-15'),
    (2, 2, '5555555555554444', 'GB82WEST12345698765432', 20, '2024-01-16'),
    (3, 3, '3782 822463 10005', 'NL91ABNA0417164300', 30, '2024-01-17'),
    (4, 4, '6011111111111117', 'FR1420041010050500013M02606', 40, '12345678'),
    (5, 5, NULL, 'cash', 50, '87654321'),
    (6, 6, '4012888888881881', NULL, 60, NULL);
INSERT INTO devices
SELECT md5(i::text)::uuid, 1 + i % 20, md5('d' || i)::uuid::text, '1.' || i || '.0', '2024-02-' || lpad((i % 28 + 1)::text, 2, '0')
FROM generate_series(1, 40) i;
INSERT INTO mail_log SELECT i, 'rcpt' || i || '@example.net', repeat('x', 100) FROM generate_series(1, 30000) i;
ANALYZE;
`

type result struct {
	Mask, Value, Reasons string
}

func results(fs []Finding) map[string]result {
	m := map[string]result{}
	for _, f := range fs {
		m[f.Table.Name+"."+f.Column] = result{f.Suggest, f.Value, f.Reason()}
	}
	return m
}

func TestDetectShop(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t, shop)
	tx := pgtest.ReadOnlyTx(t, db)
	cat, err := catalog.ReadTx(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}

	byDef := FromCatalog(cat, nil)
	want := map[string]result{
		"notes.body":              {"text", "", "free text in a notes table about people (the table references public.users)"},
		"orders.shipping_address": {"text", "", "name suggests a postal address"},
		"orders.shipping_city":    {"text", "", "name suggests a postal address"},
		"orders.shipping_zip":     {"digits", "", "name suggests a postal code"},
		"users.email":             {"email", "", "name suggests an email address"},
		"users.phone":             {"digits", "", "name suggests a phone number"},
		"users.first_name":        {"first_name", "", "name suggests a first name"},
		"users.last_name":         {"last_name", "", "name suggests a last name"},
		"users.last_login_ip":     {"null", "", "name suggests an IP address; type inet holds IP addresses"},
	}
	if d := cmp.Diff(want, results(byDef)); d != "" {
		t.Errorf("by definition (-want +got):\n%s", d)
	}

	sampled, warnings, err := Sample(ctx, tx, cat, nil, byDef)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if d := cmp.Diff(map[string]result{
		"mail_log.recipient":      {"email", "", fmt.Sprintf("sampled values look like emails (%d of %d)", SampleRows, SampleRows)},
		"orders.delivery_contact": {"digits", "", "sampled values look like phone numbers (30 of 30)"},
		"payments.account":        {"digits", "", "sampled values look like IBANs (4 of 5)"},
		"payments.cards":          {"digits", "", "sampled values look like payment card numbers (5 of 5)"},
		"users.contact":           {"email", "", "sampled values look like emails (18 of 20)"},
	}, results(sampled)); d != "" {
		t.Errorf("by sample (-want +got):\n%s", d)
	}

	// Sorted by table, then column order.
	var order []string
	for _, f := range Merge(cat, byDef, sampled) {
		order = append(order, f.Table.Name+"."+f.Column)
	}
	if d := cmp.Diff([]string{
		"mail_log.recipient", "notes.body",
		"orders.shipping_address", "orders.shipping_city", "orders.shipping_zip", "orders.delivery_contact",
		"payments.cards", "payments.account",
		"users.email", "users.phone", "users.first_name", "users.last_name", "users.last_login_ip", "users.contact",
	}, order); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}

	// include limits both.
	onlyUsers := func(n catalog.Name) bool { return n.Name == "users" }
	s2, _, err := Sample(ctx, tx, cat, onlyUsers, FromCatalog(cat, onlyUsers))
	if err != nil {
		t.Fatal(err)
	}
	if len(s2) != 1 || s2[0].Column != "contact" {
		t.Errorf("sample of users alone: %v", results(s2))
	}

	// No reason quotes a value: every text value of the database is
	// absent from every reason.
	all := Merge(cat, byDef, sampled)
	values := pgtest.Strings(t, tx, `
		SELECT v FROM (
			SELECT email AS v FROM users UNION SELECT phone FROM users UNION SELECT contact FROM users
			UNION SELECT host(last_login_ip) FROM users
			UNION SELECT shipping_address FROM orders UNION SELECT shipping_city FROM orders
			UNION SELECT shipping_zip FROM orders UNION SELECT delivery_contact FROM orders
			UNION SELECT cards FROM payments UNION SELECT account FROM payments
			UNION SELECT recipient FROM mail_log UNION SELECT body FROM notes
		) s WHERE v IS NOT NULL`)
	if len(values) < 100 {
		t.Fatalf("only %d values", len(values))
	}
	for _, f := range all {
		for _, v := range values {
			for _, r := range f.Reasons {
				if strings.Contains(r, v) {
					t.Errorf("%s.%s: reason %q quotes the value %q", f.Table.Name, f.Column, r, v)
				}
			}
		}
	}
}

// TestSampleSkipsUnreadable: a table the role may not read is skipped with
// a warning, and the caller's transaction stays usable.
func TestSampleSkipsUnreadable(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t, `
		CREATE TABLE open_t (contact text);
		CREATE TABLE secret_t (contact text);
		INSERT INTO open_t SELECT 'a' || i || '@example.com' FROM generate_series(1, 5) i;
		INSERT INTO secret_t SELECT 'b' || i || '@example.com' FROM generate_series(1, 5) i;
		DROP ROLE IF EXISTS pgtwin_pii_reader;
		CREATE ROLE pgtwin_pii_reader;
		GRANT SELECT ON open_t TO pgtwin_pii_reader;`)
	t.Cleanup(func() {
		c := pgtest.Connect(t, "postgres")
		c.Exec(context.Background(), "DROP OWNED BY pgtwin_pii_reader")
	})
	tx := pgtest.ReadOnlyTx(t, db)
	cat, err := catalog.ReadTx(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SET LOCAL ROLE pgtwin_pii_reader"); err != nil {
		t.Fatal(err)
	}
	found, warnings, err := Sample(ctx, tx, cat, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]result{"open_t.contact": {"email", "", "sampled values look like emails (5 of 5)"}}, results(found)); d != "" {
		t.Errorf("found (-want +got):\n%s", d)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "could not sample public.secret_t") || !strings.Contains(warnings[0], "permission denied") {
		t.Errorf("warnings = %q", warnings)
	}
	var one int
	if err := tx.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Errorf("transaction unusable after a skipped table: %v", err)
	}
}
