package plan

import (
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
)

// testCatalog is a hand-built source catalog: several schemas, a table
// name in two schemas, nullable and NOT NULL keys, a composite key, two
// keys on the same column, and a table without a primary key.
func testCatalog() *catalog.Catalog {
	col := func(name, typ string, notNull bool) *catalog.Column {
		return &catalog.Column{Name: name, Type: typ, NotNull: notNull}
	}
	n := func(s, t string) catalog.Name { return catalog.Name{Schema: s, Name: t} }
	tables := []*catalog.Table{
		{Name: n("Sales Dept", "Order Lines"), Columns: []*catalog.Column{col("id", "integer", true), col("status", "text", false)}, PrimaryKey: []string{"id"}},
		{Name: n("audit", "log"), Columns: []*catalog.Column{col("id", "bigint", true)}, PrimaryKey: []string{"id"}},
		{Name: n("public", "countries"), Columns: []*catalog.Column{col("code", "character(2)", true)}, PrimaryKey: []string{"code"}},
		{Name: n("public", "customers"), Columns: []*catalog.Column{col("id", "bigint", true)}, PrimaryKey: []string{"id"}},
		{Name: n("public", "event_log"), Columns: []*catalog.Column{col("id", "bigint", false), col("user_id", "bigint", false)}},
		{Name: n("public", "order_items"), Columns: []*catalog.Column{
			col("order_id", "bigint", true), col("line", "integer", true), col("product_id", "integer", true),
		}, PrimaryKey: []string{"order_id", "line"}},
		{Name: n("public", "orders"), Columns: []*catalog.Column{
			col("id", "bigint", true), col("user_id", "bigint", true), col("placed_at", "timestamp with time zone", false),
		}, PrimaryKey: []string{"id"}},
		{Name: n("public", "payments"), Columns: []*catalog.Column{col("id", "bigint", true), col("user_id", "bigint", false)}, PrimaryKey: []string{"id"}},
		{Name: n("public", "products"), Columns: []*catalog.Column{col("id", "integer", true), col("name", "text", false)}, PrimaryKey: []string{"id"}},
		{Name: n("public", "returns"), Columns: []*catalog.Column{
			col("id", "bigint", true), col("order_id", "bigint", false), col("line", "integer", false),
		}, PrimaryKey: []string{"id"}},
		{Name: n("public", "users"), Columns: []*catalog.Column{
			col("id", "bigint", true), col("email", "text", true), col("external_id", "character varying(40)", false),
			col("last_order_id", "bigint", false), col("created_at", "timestamp with time zone", false),
			col("first_name", "text", false), col("last_name", "text", false), col("phone", "character varying(20)", false),
			col("country", "character(2)", false), col("login_count", "integer", false), col("birth_date", "date", false),
			col("notes", "text", false), col("avatar_url", "text", false), col("display_name", "text", false), col("profile", "jsonb", false),
		}, PrimaryKey: []string{"id"}, UniqueKeys: [][]string{{"external_id"}}},
		{Name: n("sales", "customers"), Columns: []*catalog.Column{col("id", "bigint", true)}, PrimaryKey: []string{"id"}},
		{Name: n("sales", "invoices"), Columns: []*catalog.Column{
			col("id", "bigint", true), col("customer_ref", "character varying(20)", false), col("user_id", "integer", true),
			col("order_id", "bigint", true), col("line", "integer", true),
		}, PrimaryKey: []string{"id"}},
		{Name: n("sales", "regions"), Columns: []*catalog.Column{col("id", "integer", true)}, PrimaryKey: []string{"id"}},
	}
	fk := func(name string, child catalog.Name, cc []string, parent catalog.Name, pc []string, nullable bool) *catalog.ForeignKey {
		return &catalog.ForeignKey{Name: name, Child: child, ChildColumns: cc, Parent: parent, ParentColumns: pc,
			Match: catalog.MatchSimple, OnDelete: "no action", OnUpdate: "no action", Nullable: nullable}
	}
	return &catalog.Catalog{
		ServerVersion: 170000,
		Database:      "prod",
		Schemas:       []string{"Sales Dept", "audit", "public", "sales"},
		Tables:        tables,
		ForeignKeys: []*catalog.ForeignKey{
			fk("order_items_order_id_fkey", n("public", "order_items"), []string{"order_id"}, n("public", "orders"), []string{"id"}, false),
			fk("order_items_product_id_fkey", n("public", "order_items"), []string{"product_id"}, n("public", "products"), []string{"id"}, false),
			fk("orders_user_id_fkey", n("public", "orders"), []string{"user_id"}, n("public", "users"), []string{"id"}, false),
			fk("payments_customer_fk", n("public", "payments"), []string{"user_id"}, n("sales", "customers"), []string{"id"}, true),
			fk("payments_user_fk", n("public", "payments"), []string{"user_id"}, n("public", "users"), []string{"id"}, true),
			fk("returns_item_fk", n("public", "returns"), []string{"order_id", "line"}, n("public", "order_items"), []string{"order_id", "line"}, true),
			fk("users_last_order_fk", n("public", "users"), []string{"last_order_id"}, n("public", "orders"), []string{"id"}, true),
		},
	}
}

// src joins lines into a YAML document, so that line numbers are easy to
// read off the test case.
func src(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func mustParse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("twin.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cfg
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown schema", src("version: 1", "schemas:", "  include: [pubic, sales]", "  exclude: [nope]"),
			"twin.yaml:3: schemas.include[0]: schema pubic does not exist; did you mean public?\n" +
				"twin.yaml:4: schemas.exclude[0]: schema nope does not exist"},
		{"unknown table", src("version: 1", "roots:", "  - {table: user, all: true}"),
			`twin.yaml:3: roots[0].table: table "user" does not exist; did you mean users?`},
		{"unknown qualified table", src("version: 1", "roots:", "  - {table: public.usres, all: true}"),
			`twin.yaml:3: roots[0].table: table public.usres does not exist; did you mean public.users?`},
		{"unknown table, nothing close", src("version: 1", "roots:", "  - {table: invoices_2019, all: true}"),
			`twin.yaml:3: roots[0].table: table invoices_2019 does not exist`},
		{"quoted name is case-sensitive", src("version: 1", "roots:", `  - {table: '"Users"', all: true}`),
			`twin.yaml:3: roots[0].table: table "Users" does not exist; did you mean users?`},
		{"ambiguous", src("version: 1", "roots:", "  - {table: customers, limit: 5}"),
			`twin.yaml:3: roots[0].table: table customers is ambiguous: public.customers and sales.customers; qualify it`},
		{"excluded schema", src("version: 1", "schemas:", "  exclude: [audit]", "tables:", "  - {table: audit.log, copy: all}", "roots:", "  - {table: log, all: true}"),
			"twin.yaml:5: tables[0].table: table audit.log is in schema audit, which is excluded (schemas.exclude)\n" +
				"twin.yaml:7: roots[0].table: table log is in schema audit, which is excluded (schemas.exclude)"},
		{"schema not included", src("version: 1", "schemas:", "  include: [public]", "roots:", "  - {table: regions, all: true}"),
			`twin.yaml:5: roots[0].table: table regions is in schema sales, which is not in schemas.include`},
		{"root and table rule on one table", src("version: 1", "roots:", "  - {table: users, limit: 10}", "tables:", "  - {table: public.users, copy: all}"),
			`twin.yaml:5: tables[0].table: public.users has both a root and a table rule (roots[0], line 3); keep one`},
		{"two roots on one table", src("version: 1", "roots:", "  - {table: users, limit: 10}", "  - {table: public.users, where: id < 5}"),
			`twin.yaml:4: roots[1].table: public.users already has a root (roots[0], line 3); one root per table: combine the conditions`},
		{"fk rule: unknown column", src("version: 1", "foreign_keys:", "  - table: orders", "    columns: [usr_id]", "    cut: true"),
			`twin.yaml:4: foreign_keys[0].columns[0]: column usr_id does not exist in table public.orders; did you mean user_id?`},
		{"fk rule: no such key", src("version: 1", "foreign_keys:", "  - table: public.orders", "    columns: [placed_at]", "    follow_children: false"),
			`twin.yaml:3: foreign_keys[0]: no foreign key of public.orders matches columns (placed_at); its foreign keys: orders_user_id_fkey (public.orders(user_id) -> public.users(id))`},
		{"fk rule: no such name", src("version: 1", "foreign_keys:", "  - table: order_items", "    name: order_items_fk", "    follow_children: false"),
			`twin.yaml:3: foreign_keys[0]: no foreign key of public.order_items matches name order_items_fk; its foreign keys: order_items_order_id_fkey (public.order_items(order_id) -> public.orders(id)), order_items_product_id_fkey (public.order_items(product_id) -> public.products(id))`},
		{"fk rule: table without keys", src("version: 1", "foreign_keys:", "  - table: products", "    columns: [id]", "    follow_children: false"),
			`twin.yaml:3: foreign_keys[0]: no foreign key of public.products matches columns (id); public.products has no foreign keys, but is referenced by order_items_product_id_fkey (public.order_items(product_id) -> public.products(id)): table names the referencing table`},
		{"fk rule: ambiguous", src("version: 1", "foreign_keys:", "  - table: payments", "    columns: [user_id]", "    cut: true"),
			`twin.yaml:3: foreign_keys[0]: columns (user_id) match 2 foreign keys of public.payments: payments_customer_fk (public.payments(user_id) -> sales.customers(id)), payments_user_fk (public.payments(user_id) -> public.users(id)); add references or name to pick one`},
		{"fk rule: cut on NOT NULL key", src("version: 1", "foreign_keys:", "  - table: public.orders", "    columns: [user_id]", "    cut: true"),
			`twin.yaml:5: foreign_keys[0].cut: foreign key orders_user_id_fkey (public.orders(user_id) -> public.users(id)) has NOT NULL columns (user_id); cut needs a nullable key`},
		{"fk rule: two rules for one key", src("version: 1", "foreign_keys:", "  - {table: users, columns: [last_order_id], cut: true}", "  - {table: users, name: users_last_order_fk, follow_children: false}"),
			`twin.yaml:4: foreign_keys[1]: is about the same foreign key as foreign_keys[0] (line 3); combine them`},
		{"virtual fk: types differ", src("version: 1", "virtual_foreign_keys:", "  - table: invoices", "    columns: [user_id]", "    references: users"),
			`twin.yaml:4: virtual_foreign_keys[0].columns: column sales.invoices.user_id is integer but public.users.id is bigint; the types must match`},
		{"virtual fk: not a key", src("version: 1", "virtual_foreign_keys:", "  - table: event_log", "    columns: [user_id]", "    references: payments", "    referenced_columns: [user_id]"),
			`twin.yaml:5: virtual_foreign_keys[0].references: columns (user_id) of public.payments are not its primary key or a unique key; a virtual foreign key must point at one, so that each row has one parent`},
		{"virtual fk: parent without primary key", src("version: 1", "virtual_foreign_keys:", "  - table: payments", "    columns: [user_id]", "    references: event_log"),
			`twin.yaml:5: virtual_foreign_keys[0].references: table public.event_log has no primary key; list the referenced_columns`},
		{"virtual fk: column count vs primary key", src("version: 1", "virtual_foreign_keys:", "  - table: invoices", "    columns: [order_id]", "    references: order_items"),
			`twin.yaml:4: virtual_foreign_keys[0].columns: has 1 column but the primary key of public.order_items has 2 (order_id, line)`},
		{"virtual fk: unknown columns", src("version: 1", "virtual_foreign_keys:", "  - table: invoices", "    columns: [customer]", "    references: users", "    referenced_columns: [external]"),
			"twin.yaml:4: virtual_foreign_keys[0].columns[0]: column customer does not exist in table sales.invoices; did you mean customer_ref?\n" +
				"twin.yaml:6: virtual_foreign_keys[0].referenced_columns[0]: column external does not exist in table public.users; did you mean external_id?"},
		{"virtual fk: duplicates a real one", src("version: 1", "virtual_foreign_keys:", "  - table: public.orders", "    columns: [user_id]", "    references: users"),
			`twin.yaml:3: virtual_foreign_keys[0]: duplicates foreign key orders_user_id_fkey (public.orders(user_id) -> public.users(id))`},
		{"virtual fk: declared twice", src("version: 1", "virtual_foreign_keys:",
			"  - {table: invoices, columns: [customer_ref], references: users, referenced_columns: [external_id]}",
			"  - {table: invoices, columns: [customer_ref], references: users, referenced_columns: [external_id]}"),
			`twin.yaml:4: virtual_foreign_keys[1]: declares virtual: sales.invoices(customer_ref) -> public.users(external_id) twice`},
		{"virtual fk: in an excluded schema", src("version: 1", "schemas:", "  exclude: [sales]", "virtual_foreign_keys:", "  - {table: sales.invoices, columns: [customer_ref], references: users, referenced_columns: [external_id]}"),
			`twin.yaml:5: virtual_foreign_keys[0].table: table sales.invoices is in schema sales, which is excluded (schemas.exclude)`},
		{"masking: unknown column", src("version: 1", "masking:", "  columns:", "    - {table: users, column: emial, mask: email}"),
			`twin.yaml:4: masking.columns[0].column: column emial does not exist in table public.users; did you mean email?`},
		{"masking: unknown table", src("version: 1", "masking:", "  columns:", "    - {table: usres, column: email, mask: email}"),
			`twin.yaml:4: masking.columns[0].table: table usres does not exist; did you mean users?`},
		{"masking: a column with two rules", src("version: 1", "masking:", "  columns:", "    - {table: users, column: email, mask: email}", "    - {table: public.users, columns: [external_id, email], mask: text}"),
			`twin.yaml:5: masking.columns[1].columns: column email of public.users already has a rule (masking.columns[0], line 4)`},
		{"masking: template names an unknown column", src("version: 1", "masking:", "  columns:", "    - {table: users, column: email, mask: template, template: 'u{idd}@example.com'}"),
			`twin.yaml:4: masking.columns[0].template: {idd}: column idd does not exist in table public.users; did you mean id?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Check(mustParse(t, tc.yaml), testCatalog())
			if err == nil {
				t.Fatalf("no error; got %+v", res)
			}
			if res != nil {
				t.Errorf("got a result along with the error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	cat := testCatalog()
	cfg := mustParse(t, src(
		"version: 1",
		"schemas:",
		"  include: [public, sales, '\"Sales Dept\"', audit]",
		"  exclude: [audit]",
		"tables:",
		"  - {table: countries, copy: all}",
		"  - {table: event_log, copy: schema}",
		"roots:",
		"  - {table: users, where: id < 100, order_by: id, limit: 10}",
		"  - {table: '\"Sales Dept\".\"Order Lines\"', percent: 10}",
		"  - {table: sales.customers, all: true}",
		"foreign_keys:",
		"  - {table: users, name: users_last_order_fk, cut: true}",                             // nullable: cut is fine
		"  - {table: returns, columns: [line, order_id], follow_children: false}",              // composite, any order
		"  - {table: payments, columns: [user_id], references: users, children_where: id > 0}", // narrowed by references
		"  - {table: invoices, columns: [customer_ref], cut: true}",                            // the virtual key
		"virtual_foreign_keys:",
		"  - {table: invoices, columns: [customer_ref], references: users, referenced_columns: [external_id]}",
		"  - {table: invoices, columns: [line, order_id], references: order_items, referenced_columns: [line, order_id]}",
	))
	res, err := Check(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Schemas, ","); got != "Sales Dept,public,sales" {
		t.Errorf("schemas %s", got)
	}
	if res.File != "twin.yaml" {
		t.Errorf("file %q", res.File)
	}
	users := catalog.Name{Schema: "public", Name: "users"}
	if len(res.Copy) != 2 || res.Copy[catalog.Name{Schema: "public", Name: "countries"}] != config.CopyAll ||
		res.Copy[catalog.Name{Schema: "public", Name: "event_log"}] != config.CopySchema {
		t.Errorf("copy %v", res.Copy)
	}
	if len(res.Roots) != 3 {
		t.Fatalf("roots %+v", res.Roots)
	}
	r := res.Roots[0]
	if r.Table != users || r.Where != "id < 100" || r.OrderBy != "id" || *r.Limit != 10 || r.Line != 9 {
		t.Errorf("roots[0] %+v", r)
	}
	if r := res.Roots[1]; r.Table != (catalog.Name{Schema: "Sales Dept", Name: "Order Lines"}) || *r.Percent != 10 {
		t.Errorf("roots[1] %+v", r)
	}
	if r := res.Roots[2]; r.Table != (catalog.Name{Schema: "sales", Name: "customers"}) || !r.All {
		t.Errorf("roots[2] %+v", r)
	}

	if len(res.VirtualFKs) != 2 {
		t.Fatalf("virtual fks %+v", res.VirtualFKs)
	}
	v := res.VirtualFKs[0]
	want := catalog.ForeignKey{
		Name:  "virtual: sales.invoices(customer_ref) -> public.users(external_id)",
		Child: catalog.Name{Schema: "sales", Name: "invoices"}, ChildColumns: []string{"customer_ref"},
		Parent: users, ParentColumns: []string{"external_id"},
		Match: catalog.MatchSimple, OnDelete: "no action", OnUpdate: "no action", Nullable: true, Virtual: true,
	}
	if v.String() != want.String() || v.Name != want.Name || !v.Virtual || !v.Nullable || v.Match != catalog.MatchSimple {
		t.Errorf("virtual fk %+v, want %+v", v, want)
	}
	if v := res.VirtualFKs[1]; v.Nullable || strings.Join(v.ParentColumns, ",") != "line,order_id" {
		t.Errorf("composite virtual fk %+v", v)
	}

	byName := map[string]*catalog.ForeignKey{}
	for _, fk := range cat.ForeignKeys {
		byName[fk.Name] = fk
	}
	if len(res.Rules) != 4 {
		t.Fatalf("rules %v", res.Rules)
	}
	if got := res.Rules[byName["users_last_order_fk"]]; !got.Cut || !got.FollowChildren || got.Line != 13 {
		t.Errorf("users_last_order_fk rule %+v", got)
	}
	if got := res.Rules[byName["returns_item_fk"]]; got.FollowChildren || got.Cut {
		t.Errorf("returns_item_fk rule %+v", got)
	}
	if got := res.Rules[byName["payments_user_fk"]]; got.ChildrenWhere != "id > 0" || !got.FollowChildren {
		t.Errorf("payments_user_fk rule %+v", got)
	}
	if got, ok := res.Rules[res.VirtualFKs[0]]; !ok || !got.Cut {
		t.Errorf("virtual fk rule %+v", got)
	}
	if !res.Included(users) || res.Included(catalog.Name{Schema: "audit", Name: "log"}) {
		t.Errorf("Included")
	}
}

func TestCheckFull(t *testing.T) {
	res, err := Check(mustLoad(t, "../config/testdata/full.yaml"), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Schemas, ","); got != "Sales Dept,public,sales" {
		t.Errorf("schemas %s", got)
	}
	m := res.Masking
	if m == nil || m.KeyEnv != "PGTWIN_MASK_KEY" || m.Unlisted != config.UnlistedRefuse || len(m.Rules) != 11 {
		t.Fatalf("masking %+v", m)
	}
	if r := m.Rules[2]; r.Column != "last_name" || r.Rule.Mask != "name" || r.Entry != "masking.columns[1]" || r.Line != 73 {
		t.Errorf("rule for last_name %+v", r)
	}
	if r := m.Rules[5]; r.Column != "login_count" || r.Rule.Noise != 50 {
		t.Errorf("rule for login_count %+v", r)
	}
	if r := m.Rules[10]; r.Column != "profile" || len(r.Rule.Paths) != 5 || r.Rule.Paths[1].Rule.Noise != 5 || r.Rule.Paths[0].Path != "$.contact.email" {
		t.Errorf("rule for profile %+v", r)
	}
	if r := m.Rules[9]; r.SQL != "'user ' || id" {
		t.Errorf("sql rule %+v", r)
	}
	if len(res.Copy) != 2 || len(res.Roots) != 4 || len(res.Rules) != 3 || len(res.VirtualFKs) != 1 {
		t.Errorf("resolved %+v", res)
	}
}

func mustLoad(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCheckDefaultsToAllSchemas(t *testing.T) {
	res, err := Check(mustParse(t, src("version: 1", "roots:", "  - {table: regions, all: true}")), testCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Schemas, ","); got != "Sales Dept,audit,public,sales" {
		t.Errorf("schemas %s", got)
	}
}

func TestCheckHandBuiltConfig(t *testing.T) {
	// A Config built in code has no recorded key lines; entries' Line is
	// used.
	cfg := &config.Config{File: "code", Version: 1, Roots: []config.Root{{Table: "nosuch", All: true, Line: 42}}}
	_, err := Check(cfg, testCatalog())
	if err == nil || err.Error() != "code:42: roots[0].table: table nosuch does not exist" {
		t.Fatalf("err = %v", err)
	}
}
