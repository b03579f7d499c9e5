package catalog_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func fixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// read creates a database from the scripts and reads its catalog.
func read(t *testing.T, scripts ...string) (*catalog.Catalog, *pgx.Conn) {
	t.Helper()
	db := pgtest.NewDB(t, scripts...)
	conn := pgtest.Connect(t, db)
	c, err := catalog.Read(context.Background(), conn)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return c, conn
}

func table(t *testing.T, c *catalog.Catalog, schema, name string) *catalog.Table {
	t.Helper()
	tb := c.Table(catalog.Name{Schema: schema, Name: name})
	if tb == nil {
		t.Fatalf("table %s.%s not found", schema, name)
	}
	return tb
}

func tableNames(c *catalog.Catalog) []string {
	var names []string
	for _, t := range c.Tables {
		names = append(names, t.Name.Display())
	}
	return names
}

// fkString is a compact, complete form of a foreign key:
// name: child(cols) -> parent(cols) match on-delete/on-update [flags].
func fkString(fk *catalog.ForeignKey) string {
	s := fmt.Sprintf("%s: %s %s %s/%s", fk.Name, fk, fk.Match, fk.OnDelete, fk.OnUpdate)
	for _, f := range []struct {
		on   bool
		name string
	}{{fk.Deferrable, "deferrable"}, {fk.Deferred, "deferred"}, {fk.NotValid, "not valid"}, {fk.Nullable, "nullable"}, {fk.Virtual, "virtual"}} {
		if f.on {
			s += " " + f.name
		}
	}
	return s
}

func fkStrings(c *catalog.Catalog) []string {
	var s []string
	for _, fk := range c.ForeignKeys {
		s = append(s, fkString(fk))
	}
	return s
}

func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

var fixtureTables = []string{
	`"Sales Dept"."Customers"`,
	`"Sales Dept"."Order Lines"`,
	`"Sales Dept"."Quote""d"`,
	`public.archived_notes`,
	`public.audit_log`,
	`public.café`,
	`public.categories`,
	`public.countries`,
	`public.departments`,
	`public.employees`,
	`public.event_notes`,
	`public.events`,
	`public.notes`,
	`public.offices`,
	`public.order_items`,
	`public.orders`,
	`public.products`,
	`public.shipments`,
	`public.shops`,
	`public.users`,
}

var fixtureFKs = []string{
	`Order Lines_CustomerID_fkey: "Sales Dept"."Order Lines"("CustomerID") -> "Sales Dept"."Customers"("CustomerID") simple restrict/no action`,
	`Quote"d_CustomerID_fkey: "Sales Dept"."Quote""d"("CustomerID") -> "Sales Dept"."Customers"("CustomerID") simple set default/no action nullable`,
	`café_shop_id_fkey: public.café(shop_id) -> public.shops(id) simple no action/no action not valid nullable`,
	`categories_parent_id_fkey: public.categories(parent_id) -> public.categories(id) simple no action/no action nullable`,
	`departments_head_id_fkey: public.departments(head_id) -> public.employees(id) simple no action/no action nullable`,
	`employees_office_id_fkey: public.employees(office_id) -> public.offices(id) simple no action/cascade`,
	`event_notes_event_id_occurred_at_fkey: public.event_notes(event_id, occurred_at) -> public.events(id, occurred_at) simple no action/no action`,
	`events_2023_shop_id_fkey: public.events(shop_id) -> public.shops(id) simple no action/no action nullable`,
	`events_user_id_fkey: public.events(user_id) -> public.users(id) simple set null/no action nullable`,
	`offices_department_id_fkey: public.offices(department_id) -> public.departments(id) simple no action/no action deferrable deferred`,
	`order_items_order_id_shop_id_fkey: public.order_items(order_id, shop_id) -> public.orders(id, shop_id) simple cascade/no action`,
	`order_items_product_sku_fkey: public.order_items(product_sku) -> public.products(sku) simple no action/no action`,
	`orders_shop_id_fkey: public.orders(shop_id) -> public.shops(id) simple no action/no action`,
	`orders_user_id_fkey: public.orders(user_id) -> public.users(id) simple no action/no action nullable`,
	`products_category_id_fkey: public.products(category_id) -> public.categories(id) simple no action/no action`,
	`shipments_order_id_shop_id_fkey: public.shipments(order_id, shop_id) -> public.orders(id, shop_id) full no action/no action nullable`,
	`users_country_fkey: public.users(country) -> public.countries(iso) simple no action/no action nullable`,
}

func TestReadFixture(t *testing.T) {
	c, conn := read(t, fixture(t))

	if c.ServerVersion < 150000 {
		t.Errorf("ServerVersion = %d, want >= 150000", c.ServerVersion)
	}
	if !strings.HasPrefix(c.Database, "pgtwin_t") {
		t.Errorf("Database = %q", c.Database)
	}
	diff(t, "schemas", []string{"Sales Dept", "public"}, c.Schemas)
	diff(t, "tables", fixtureTables, tableNames(c))
	diff(t, "foreign keys", fixtureFKs, fkStrings(c))

	t.Run("columns", func(t *testing.T) {
		diff(t, "users", []*catalog.Column{
			{Name: "id", Num: 1, Type: "bigint", Base: "bigint", NotNull: true, Identity: "always", Unique: true},
			{Name: "email", Num: 2, Type: "text", Base: "text", NotNull: true, Unique: true},
			{Name: "country", Num: 3, Type: "text", Base: "text"},
			{Name: "mood", Num: 4, Type: "public.mood", Base: "public.mood"},
			{Name: "past_moods", Num: 5, Type: "public.mood[]", Base: "public.mood", Array: true, NotNull: true, Default: "'{}'::public.mood[]"},
			{Name: "created_at", Num: 6, Type: "timestamp with time zone", Base: "timestamp with time zone", NotNull: true, Default: "now()"},
		}, table(t, c, "public", "users").Columns, cmpopts.IgnoreFields(catalog.Column{}, "TypeOID", "Stats", "NDistinct", "NullFrac"))
		diff(t, "order_items", []*catalog.Column{
			{Name: "order_id", Num: 1, Type: "integer", Base: "integer", NotNull: true, Unique: true},
			{Name: "shop_id", Num: 2, Type: "integer", Base: "integer", NotNull: true, Unique: true},
			{Name: "line", Num: 3, Type: "integer", Base: "integer", NotNull: true, Unique: true},
			{Name: "product_sku", Num: 4, Type: "text", Base: "text", NotNull: true},
			{Name: "qty", Num: 5, Type: "integer", Base: "integer", NotNull: true},
			{Name: "unit_price", Num: 6, Type: "numeric(10,2)", Base: "numeric(10,2)", NotNull: true},
			{Name: "total", Num: 7, Type: "numeric", Base: "numeric", Generated: true},
		}, table(t, c, "public", "order_items").Columns, cmpopts.IgnoreFields(catalog.Column{}, "TypeOID", "Stats", "NDistinct", "NullFrac"))
		diff(t, "categories", []*catalog.Column{
			{Name: "id", Num: 1, Type: "integer", Base: "integer", NotNull: true, Default: "nextval('public.categories_id_seq'::regclass)", Unique: true},
			{Name: "parent_id", Num: 2, Type: "integer", Base: "integer"},
			{Name: "name", Num: 3, Type: "text", Base: "text", NotNull: true},
		}, table(t, c, "public", "categories").Columns, cmpopts.IgnoreFields(catalog.Column{}, "TypeOID", "Stats", "NDistinct", "NullFrac"))
		diff(t, "shipments", []*catalog.Column{
			{Name: "id", Num: 1, Type: "integer", Base: "integer", NotNull: true, Identity: "by default", Unique: true},
			{Name: "order_id", Num: 2, Type: "integer", Base: "integer"},
			{Name: "shop_id", Num: 3, Type: "integer", Base: "integer"},
		}, table(t, c, "public", "shipments").Columns, cmpopts.IgnoreFields(catalog.Column{}, "TypeOID", "Stats", "NDistinct", "NullFrac"))
		diff(t, "Order Lines", []*catalog.Column{
			{Name: "id", Num: 1, Type: "integer", Base: "integer", NotNull: true, Unique: true},
			{Name: "CustomerID", Num: 2, Type: "integer", Base: "integer", NotNull: true},
		}, table(t, c, "Sales Dept", "Order Lines").Columns, cmpopts.IgnoreFields(catalog.Column{}, "TypeOID", "Stats", "NDistinct", "NullFrac"))
		// Domains (over a domain), arrays of a domain, typmods, a comment,
		// and columns that only an expression or a partial unique index
		// makes unique.
		diff(t, "employees", []*catalog.Column{
			{Name: "id", Num: 1, Type: "integer", Base: "integer", NotNull: true, Unique: true},
			{Name: "office_id", Num: 2, Type: "integer", Base: "integer", NotNull: true},
			{Name: "login", Num: 3, Type: "character varying(30)", Base: "character varying(30)", Unique: true},
			{Name: "badge", Num: 4, Type: "character(8)", Base: "character(8)", Unique: true},
			{Name: "salary", Num: 5, Type: "numeric(9,2)", Base: "numeric(9,2)", Unique: true, Comment: "Confidential: personal pay"},
			{Name: "phone", Num: 6, Type: "public.mobile_phone", Base: "character varying(20)"},
			{Name: "phones", Num: 7, Type: "public.phone[]", Base: "character varying(20)", Array: true},
			{Name: "tags", Num: 8, Type: "character varying(10)[]", Base: "character varying(10)", Array: true},
		}, table(t, c, "public", "employees").Columns, cmpopts.IgnoreFields(catalog.Column{}, "TypeOID", "Stats", "NDistinct", "NullFrac"))
		// The key of UNIQUE (sku) INCLUDE (price) is sku alone; the
		// expression and partial unique indexes of countries read name and
		// (in the predicate) active.
		unique := map[string][]string{}
		for _, tb := range []string{"products", "countries", "notes", "archived_notes", "events"} {
			for _, col := range table(t, c, "public", tb).Columns {
				if col.Unique {
					unique[tb] = append(unique[tb], col.Name)
				}
			}
		}
		diff(t, "unique columns", map[string][]string{
			"products":  {"id", "sku"},
			"countries": {"iso", "name", "active"},
			"notes":     {"id"},
			"events":    {"id", "occurred_at"},
			// archived_notes: keys are not inherited
		}, unique)

		var int4, moodArray uint32
		if err := conn.QueryRow(context.Background(), `SELECT 'int4'::regtype::oid, '_mood'::regtype::oid`).Scan(&int4, &moodArray); err != nil {
			t.Fatal(err)
		}
		if got := table(t, c, "public", "shops").Column("id").TypeOID; got != int4 {
			t.Errorf("shops.id TypeOID = %d, want %d", got, int4)
		}
		if got := table(t, c, "public", "users").Column("past_moods").TypeOID; got != moodArray {
			t.Errorf("users.past_moods TypeOID = %d, want %d", got, moodArray)
		}
		// The fixture is analyzed: a primary key's values are all distinct.
		users := table(t, c, "public", "users")
		if id := users.Column("id"); !id.Stats || id.NDistinct != -1 || id.Distinct(users.EstimatedRows) != float64(users.EstimatedRows) {
			t.Errorf("users.id statistics = %v, n_distinct %v; want n_distinct -1 (every value distinct)", id.Stats, id.NDistinct)
		}
	})

	t.Run("keys", func(t *testing.T) {
		type keys struct {
			PK     []string
			Unique [][]string
		}
		want := map[string]keys{
			`"Sales Dept"."Customers"`:   {PK: []string{"CustomerID"}},
			`"Sales Dept"."Order Lines"`: {PK: []string{"id"}},
			`"Sales Dept"."Quote""d"`:    {},
			`public.archived_notes`:      {}, // keys are not inherited
			`public.audit_log`:           {},
			`public.café`:                {PK: []string{"id"}},
			`public.categories`:          {PK: []string{"id"}},
			// Only countries_iso_key: the expression and partial indexes are no keys.
			`public.countries`:   {Unique: [][]string{{"iso"}}},
			`public.departments`: {PK: []string{"id"}},
			`public.employees`:   {PK: []string{"id"}},
			`public.event_notes`: {PK: []string{"id"}},
			`public.events`:      {PK: []string{"id", "occurred_at"}},
			`public.notes`:       {PK: []string{"id"}},
			`public.offices`:     {PK: []string{"id"}},
			`public.order_items`: {PK: []string{"order_id", "shop_id", "line"}},
			`public.orders`:      {PK: []string{"id", "shop_id"}},
			// UNIQUE (sku) INCLUDE (price): price is not part of the key.
			`public.products`:  {PK: []string{"id"}, Unique: [][]string{{"sku"}}},
			`public.shipments`: {PK: []string{"id"}},
			`public.shops`:     {PK: []string{"id"}},
			// users_email_key and users_email_dup_key are one key.
			`public.users`: {PK: []string{"id"}, Unique: [][]string{{"email"}}},
		}
		got := map[string]keys{}
		for _, tb := range c.Tables {
			got[tb.Name.Display()] = keys{PK: tb.PrimaryKey, Unique: tb.UniqueKeys}
		}
		diff(t, "keys", want, got)
	})

	t.Run("partitions and inheritance", func(t *testing.T) {
		events := table(t, c, "public", "events")
		if events.Kind != catalog.Partitioned {
			t.Errorf("events.Kind = %q", events.Kind)
		}
		diff(t, "events partitions", []catalog.Name{
			{Schema: "public", Name: "events_2023"},
			{Schema: "public", Name: "events_2024_h1"},
			{Schema: "public", Name: "events_2024_h2"},
		}, events.Partitions)
		diff(t, "archived_notes inherits", []catalog.Name{{Schema: "public", Name: "notes"}},
			table(t, c, "public", "archived_notes").InheritsFrom)
		for _, tb := range c.Tables {
			if tb.Name.Name != "events" && (tb.Kind != catalog.Ordinary || tb.Partitions != nil) {
				t.Errorf("%s: kind %q, partitions %v", tb.Name, tb.Kind, tb.Partitions)
			}
			if tb.Name.Name != "archived_notes" && tb.InheritsFrom != nil {
				t.Errorf("%s inherits from %v", tb.Name, tb.InheritsFrom)
			}
		}
	})

	t.Run("estimates", func(t *testing.T) {
		want := map[string]int64{
			`"Sales Dept"."Customers"`:   -1,
			`"Sales Dept"."Order Lines"`: -1,
			`"Sales Dept"."Quote""d"`:    -1,
			`public.archived_notes`:      1,
			`public.audit_log`:           -1,
			`public.café`:                -1,
			`public.categories`:          3,
			`public.countries`:           3,
			`public.departments`:         1,
			`public.employees`:           1,
			`public.event_notes`:         1,
			`public.events`:              5,
			`public.notes`:               2, // its own rows, not archived_notes'
			`public.offices`:             1,
			`public.order_items`:         4,
			`public.orders`:              3,
			`public.products`:            2,
			`public.shipments`:           2,
			`public.shops`:               2,
			`public.users`:               3,
		}
		got := map[string]int64{}
		for _, tb := range c.Tables {
			got[tb.Name.Display()] = tb.EstimatedRows
			if tb.Bytes <= 0 {
				t.Errorf("%s: Bytes = %d", tb.Name, tb.Bytes)
			}
		}
		diff(t, "estimated rows", want, got)

		var leaves int64
		err := conn.QueryRow(context.Background(), `
			SELECT sum(pg_table_size(relid)) FROM pg_partition_tree('events') WHERE isleaf`).Scan(&leaves)
		if err != nil {
			t.Fatal(err)
		}
		if got := table(t, c, "public", "events").Bytes; got != leaves {
			t.Errorf("events.Bytes = %d, want the leaves' %d", got, leaves)
		}
	})

	t.Run("sequences", func(t *testing.T) {
		var got []string
		for _, s := range c.Sequences {
			line := s.Name.Display()
			if s.OwnedBy != nil {
				line += " owned by " + s.OwnedBy.Display() + "." + s.Column
			}
			if s.Identity {
				line += " identity"
			}
			got = append(got, line)
		}
		diff(t, "sequences", []string{
			"public.categories_id_seq owned by public.categories.id",
			"public.events_id_seq owned by public.events.id",
			"public.invoice_numbers",
			"public.notes_id_seq owned by public.notes.id",
			"public.products_id_seq owned by public.products.id",
			"public.shipments_id_seq owned by public.shipments.id identity",
			"public.users_id_seq owned by public.users.id identity",
		}, got)
	})

	t.Run("quoted names", func(t *testing.T) {
		for name, want := range map[catalog.Name]string{
			{Schema: "Sales Dept", Name: "Order Lines"}: `"Sales Dept"."Order Lines"`,
			{Schema: "Sales Dept", Name: `Quote"d`}:     `"Sales Dept"."Quote""d"`,
			{Schema: "public", Name: "café"}:            `"public"."café"`,
		} {
			tb := table(t, c, name.Schema, name.Name)
			if got := tb.Name.String(); got != want {
				t.Errorf("String() = %s, want %s", got, want)
			}
			// The quoted form names the same table on the server.
			var oid uint32
			if err := conn.QueryRow(context.Background(), "SELECT $1::regclass::oid", tb.Name.String()).Scan(&oid); err != nil {
				t.Fatalf("%s: %v", tb.Name, err)
			}
			if oid != tb.OID {
				t.Errorf("%s: OID %d, server says %d", tb.Name, tb.OID, oid)
			}
		}
	})
}

// TestReadTx reads inside the caller's transaction, whose search_path is
// put back afterwards, and renders names the same whatever search_path is.
func TestReadTx(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t, `
		CREATE SCHEMA app;
		CREATE TYPE app.state AS ENUM ('new', 'done');
		CREATE TABLE app.jobs (id serial PRIMARY KEY, state app.state NOT NULL DEFAULT 'new');`)
	conn := pgtest.Connect(t, db)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL search_path = app, public`); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.ReadTx(ctx, tx)
	if err != nil {
		t.Fatalf("ReadTx: %v", err)
	}
	var path string
	if err := tx.QueryRow(ctx, `SHOW search_path`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	if path != "app, public" {
		t.Errorf("search_path after ReadTx = %q", path)
	}
	diff(t, "jobs columns", []*catalog.Column{
		{Name: "id", Num: 1, Type: "integer", Base: "integer", NotNull: true, Default: "nextval('app.jobs_id_seq'::regclass)", Unique: true},
		{Name: "state", Num: 2, Type: "app.state", Base: "app.state", NotNull: true, Default: "'new'::app.state"},
	}, table(t, c, "app", "jobs").Columns, cmpopts.IgnoreFields(catalog.Column{}, "TypeOID", "Stats", "NDistinct", "NullFrac"))
}

// TestExtensionMembers checks that schemas, tables and sequences that belong
// to an extension are left out, with the foreign keys that touch them.
// plpgsql is always installed, and a superuser may add objects to it.
func TestExtensionMembers(t *testing.T) {
	c, _ := read(t, `
		CREATE SCHEMA ext;
		CREATE TABLE ext.settings (id int PRIMARY KEY);
		CREATE TABLE ext_lookup (id serial PRIMARY KEY);
		CREATE SEQUENCE ext_seq;
		CREATE TABLE mine (
			id serial PRIMARY KEY,
			setting_id int REFERENCES ext.settings,
			lookup_id int REFERENCES ext_lookup
		);
		CREATE TABLE ext_child (mine_id int REFERENCES mine);
		ALTER EXTENSION plpgsql ADD SCHEMA ext;
		ALTER EXTENSION plpgsql ADD TABLE ext_lookup;
		ALTER EXTENSION plpgsql ADD SEQUENCE ext_lookup_id_seq;
		ALTER EXTENSION plpgsql ADD SEQUENCE ext_seq;
		ALTER EXTENSION plpgsql ADD TABLE ext_child;`)
	diff(t, "schemas", []string{"public"}, c.Schemas)
	diff(t, "tables", []string{"public.mine"}, tableNames(c))
	diff(t, "foreign keys", []string(nil), fkStrings(c))
	diff(t, "sequences", 1, len(c.Sequences))
	if s := c.Sequences[0]; s.Name.Display() != "public.mine_id_seq" {
		t.Errorf("sequence %s", s.Name)
	}
}

// TestPartitionEdges covers partitions whose columns are laid out unlike
// their root's, foreign keys declared on or pointing at a single partition,
// and never-analyzed partitions.
func TestPartitionEdges(t *testing.T) {
	c, _ := read(t, `
		CREATE TABLE accounts (id int PRIMARY KEY);
		CREATE TABLE ledger (
			dropped int,
			id int,
			account_id int,
			booked date NOT NULL,
			amount numeric NOT NULL
		) PARTITION BY RANGE (booked);
		ALTER TABLE ledger DROP COLUMN dropped;
		-- Created on its own, with another column order, then attached.
		CREATE TABLE ledger_2024 (amount numeric NOT NULL, booked date NOT NULL, account_id int NOT NULL, id int UNIQUE);
		ALTER TABLE ledger_2024 ADD CONSTRAINT ledger_2024_account_fk FOREIGN KEY (account_id) REFERENCES accounts;
		ALTER TABLE ledger ATTACH PARTITION ledger_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
		CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
		-- References one partition's unique key.
		CREATE TABLE receipts (ledger_id int REFERENCES ledger_2024 (id));
		INSERT INTO accounts VALUES (1);
		INSERT INTO ledger_2024 VALUES (5, '2024-02-02', 1, 1), (6, '2024-03-03', 1, 2);
		INSERT INTO ledger VALUES (10, 1, '2025-02-02', 7);
		ANALYZE ledger_2024;`)
	diff(t, "tables", []string{"public.accounts", "public.ledger", "public.receipts"}, tableNames(c))
	diff(t, "foreign keys", []string{
		`ledger_2024_account_fk: public.ledger(account_id) -> public.accounts(id) simple no action/no action`,
		`receipts_ledger_id_fkey: public.receipts(ledger_id) -> public.ledger(id) simple no action/no action nullable`,
	}, fkStrings(c))
	ledger := table(t, c, "public", "ledger")
	diff(t, "ledger columns", []string{"id", "account_id", "booked", "amount"}, columnNames(ledger))
	// ledger_2025 was never analyzed: it counts as empty next to an analyzed sibling.
	if ledger.EstimatedRows != 2 {
		t.Errorf("ledger.EstimatedRows = %d, want 2", ledger.EstimatedRows)
	}
	if got := table(t, c, "public", "accounts").EstimatedRows; got != -1 {
		t.Errorf("accounts.EstimatedRows = %d, want -1", got)
	}
}

// TestForeignPartitions checks that a partitioned table with a foreign
// partition says so and lists only its ordinary leaves, which then do not
// hold all its rows.
func TestForeignPartitions(t *testing.T) {
	c, _ := read(t, `
		CREATE EXTENSION file_fdw;
		CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
		CREATE TABLE readings (at date NOT NULL, value int) PARTITION BY RANGE (at);
		CREATE TABLE readings_new PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO (MAXVALUE) PARTITION BY RANGE (at);
		CREATE TABLE readings_2025 PARTITION OF readings_new FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
		CREATE FOREIGN TABLE readings_later PARTITION OF readings_new DEFAULT SERVER files OPTIONS (filename '/dev/null');
		CREATE FOREIGN TABLE readings_old PARTITION OF readings FOR VALUES FROM (MINVALUE) TO ('2025-01-01')
		  SERVER files OPTIONS (filename '/dev/null');
		CREATE TABLE counts (at date NOT NULL) PARTITION BY RANGE (at);
		CREATE TABLE counts_all PARTITION OF counts DEFAULT;`)
	diff(t, "tables", []string{"public.counts", "public.readings"}, tableNames(c))
	readings, counts := table(t, c, "public", "readings"), table(t, c, "public", "counts")
	diff(t, "readings partitions", []string{"public.readings_2025"}, names(readings.Partitions))
	if !readings.ForeignPartitions {
		t.Error("readings.ForeignPartitions = false, want true")
	}
	diff(t, "counts partitions", []string{"public.counts_all"}, names(counts.Partitions))
	if counts.ForeignPartitions {
		t.Error("counts.ForeignPartitions = true, want false")
	}
}

func names(ns []catalog.Name) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Display())
	}
	return out
}

func columnNames(t *catalog.Table) []string {
	var names []string
	for _, c := range t.Columns {
		names = append(names, c.Name)
	}
	return names
}

// TestPartitionDeclaredKeysMerge checks that one relationship declared on
// every partition (instead of on the partitioned table) is one edge.
func TestPartitionDeclaredKeysMerge(t *testing.T) {
	db := pgtest.NewDB(t, `
CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE payments (id int, at date, customer_id int, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE payments_2023 PARTITION OF payments FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE payments_2024 PARTITION OF payments FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE payments_2023 ADD CONSTRAINT payments_2023_customer_fkey FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE payments_2024 ADD CONSTRAINT payments_2024_customer_fkey FOREIGN KEY (customer_id) REFERENCES customers;`)
	c, err := catalog.Read(context.Background(), pgtest.Connect(t, db))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fk := range c.ForeignKeys {
		got = append(got, fk.Name+": "+fk.String())
	}
	want := []string{"payments_2023_customer_fkey: public.payments(customer_id) -> public.customers(id)"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("foreign keys (-want +got):\n%s", d)
	}
}

// TestColumnDetails covers the per-column facts masking relies on, beyond
// the fixture: a domain over an array, a multi-dimensional array of a
// domain over a domain, a unique index on one partition only (whose
// attnums differ from its root's), a whole-row expression index, an
// INCLUDE column that an index expression also reads, and an invalid
// unique index, which pg_dump does not copy and which therefore does not
// count.
func TestColumnDetails(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t, `
		CREATE DOMAIN code AS varchar(12);
		CREATE DOMAIN short_code AS code CHECK (length(VALUE) > 1);
		CREATE DOMAIN int_list AS int[];
		CREATE TABLE things (
			gone int,
			id int,
			codes short_code[][],
			ints int_list,
			amount numeric(12, 4) NOT NULL,
			label char(3),
			a text,
			b text,
			c text,
			note text
		);
		ALTER TABLE things DROP COLUMN gone;
		COMMENT ON COLUMN things.note IS 'free text';
		CREATE UNIQUE INDEX things_upper_a ON things (upper(a)) INCLUDE (a, b);
		CREATE TABLE rows_whole (x int, y text);
		CREATE UNIQUE INDEX rows_whole_key ON rows_whole ((rows_whole));
		CREATE TABLE ledger (id int, booked date NOT NULL, ref text) PARTITION BY RANGE (booked);
		CREATE TABLE ledger_2024 (ref text, booked date NOT NULL, id int);
		CREATE UNIQUE INDEX ledger_2024_ref ON ledger_2024 (ref);
		ALTER TABLE ledger ATTACH PARTITION ledger_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
		CREATE TABLE dups (v text);
		INSERT INTO dups VALUES ('x'), ('x');`)
	conn := pgtest.Connect(t, db)
	// A failed concurrent build leaves an invalid index behind.
	if _, err := conn.Exec(ctx, `CREATE UNIQUE INDEX CONCURRENTLY dups_v ON dups (v)`); err == nil {
		t.Fatal("CREATE UNIQUE INDEX on duplicates succeeded")
	}
	c, err := catalog.Read(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreFields(catalog.Column{}, "TypeOID")
	diff(t, "things", []*catalog.Column{
		{Name: "id", Num: 2, Type: "integer", Base: "integer"},
		{Name: "codes", Num: 3, Type: "public.short_code[]", Base: "character varying(12)", Array: true},
		{Name: "ints", Num: 4, Type: "public.int_list", Base: "integer", Array: true},
		{Name: "amount", Num: 5, Type: "numeric(12,4)", Base: "numeric(12,4)", NotNull: true},
		{Name: "label", Num: 6, Type: "character(3)", Base: "character(3)"},
		{Name: "a", Num: 7, Type: "text", Base: "text", Unique: true},
		{Name: "b", Num: 8, Type: "text", Base: "text"},
		{Name: "c", Num: 9, Type: "text", Base: "text"},
		{Name: "note", Num: 10, Type: "text", Base: "text", Comment: "free text"},
	}, table(t, c, "public", "things").Columns, ignore)
	for _, tc := range []struct {
		table  string
		unique []string
	}{
		{"rows_whole", []string{"x", "y"}},
		{"ledger", []string{"ref"}},
		{"dups", nil},
	} {
		var got []string
		for _, col := range table(t, c, "public", tc.table).Columns {
			if col.Unique {
				got = append(got, col.Name)
			}
		}
		diff(t, tc.table+" unique columns", tc.unique, got)
	}
}

// TestIndexedForeignKeys checks which foreign keys count as indexed: those
// whose child columns, in any order, are the leading key columns of a
// plain btree index of the child. Keys are named as pg_dump's headers name
// them ("<table> <constraint>"), including a partitioned table's key (not
// its copies on the partitions) and a key declared on one partition.
func TestIndexedForeignKeys(t *testing.T) {
	c, _ := read(t, `
CREATE SCHEMA "odd schema";
CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE leads (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON leads (b, a, id);
CREATE TABLE second (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON second (id, a, b);
CREATE TABLE half (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON half (a);
CREATE TABLE included (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON included (a) INCLUDE (b);
CREATE TABLE partial (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON partial (a, b) WHERE id > 0;
CREATE TABLE q (a int PRIMARY KEY);
CREATE TABLE hashed (a int REFERENCES q);
CREATE INDEX ON hashed USING hash (a);
CREATE TABLE single (a int REFERENCES q);
CREATE INDEX ON single (a);
CREATE TABLE expr (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON expr ((a + 0), b);
CREATE TABLE "odd schema"."my table" (a int, b int, CONSTRAINT "the key" FOREIGN KEY (a, b) REFERENCES p);
CREATE INDEX ON "odd schema"."my table" (a, b);
CREATE TABLE parts (a int, b int, FOREIGN KEY (a, b) REFERENCES p) PARTITION BY LIST (a);
CREATE TABLE parts_1 PARTITION OF parts FOR VALUES IN (1);
CREATE INDEX ON parts (a, b);
CREATE TABLE bare (a int, b int) PARTITION BY LIST (a);
CREATE TABLE bare_1 PARTITION OF bare FOR VALUES IN (1);
CREATE INDEX ON bare_1 (b, a);
ALTER TABLE bare_1 ADD CONSTRAINT bare_1_fkey FOREIGN KEY (a, b) REFERENCES p;`)
	var got []string
	for k := range c.IndexedForeignKeys {
		got = append(got, k.Schema+": "+k.Tag)
	}
	slices.Sort(got)
	want := []string{
		"odd schema: my table the key",
		"public: bare_1 bare_1_fkey",
		"public: leads leads_a_b_fkey",
		"public: parts parts_a_b_fkey",
		"public: single single_a_fkey",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("indexed foreign keys (-want +got):\n%s", d)
	}
}
