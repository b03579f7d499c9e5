package plan_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/plan"
)

func name(s string) catalog.Name { return catalog.Name{Schema: "public", Name: s} }

// shop is a hand-built catalog:
//
//	users <- orders <- items -> products -> categories -> categories
//	orders -> coupons (nullable), users -> countries, logs -> users,
//	users -> users (referred_by), orphan (no keys)
func shop() (*catalog.Catalog, map[string]*catalog.ForeignKey) {
	cat := &catalog.Catalog{Database: "shop", Schemas: []string{"public"}}
	for _, t := range []struct {
		name string
		rows int64
	}{{"users", 1000}, {"orders", 50000}, {"items", 200000}, {"products", 300}, {"categories", 20}, {"coupons", 10}, {"countries", 200}, {"logs", 900000}, {"orphan", 5}} {
		cat.Tables = append(cat.Tables, &catalog.Table{Name: name(t.name), EstimatedRows: t.rows, PrimaryKey: []string{"id"}})
	}
	fks := map[string]*catalog.ForeignKey{}
	for _, e := range []struct{ fk, child, col, parent string }{
		{"orders_user_id_fkey", "orders", "user_id", "users"},
		{"items_order_id_fkey", "items", "order_id", "orders"},
		{"items_product_id_fkey", "items", "product_id", "products"},
		{"products_category_id_fkey", "products", "category_id", "categories"},
		{"categories_parent_id_fkey", "categories", "parent_id", "categories"},
		{"orders_coupon_id_fkey", "orders", "coupon_id", "coupons"},
		{"users_country_fkey", "users", "country", "countries"},
		{"logs_user_id_fkey", "logs", "user_id", "users"},
		{"users_referred_by_fkey", "users", "referred_by", "users"},
	} {
		fk := &catalog.ForeignKey{Name: e.fk, Child: name(e.child), ChildColumns: []string{e.col}, Parent: name(e.parent), ParentColumns: []string{"id"}, Nullable: true}
		fks[e.fk] = fk
		cat.ForeignKeys = append(cat.ForeignKeys, fk)
	}
	return cat, fks
}

func TestRolesAndDirections(t *testing.T) {
	cat, fks := shop()
	limit := int64(10)
	res := &plan.Resolved{
		Schemas: []string{"public"},
		Copy:    map[catalog.Name]string{name("countries"): config.CopyAll, name("logs"): config.CopySchema},
		Roots:   []plan.ResolvedRoot{{Table: name("users"), OrderBy: "id", Limit: &limit}},
		Rules: map[*catalog.ForeignKey]plan.ResolvedFKRule{
			fks["orders_coupon_id_fkey"]:  {FollowChildren: true, Cut: true},
			fks["users_referred_by_fkey"]: {FollowChildren: false},
		},
	}
	p := plan.Build(cat, res, nil)

	roles := map[string]string{}
	for _, tb := range p.Tables {
		roles[tb.Name.Name] = tb.Role
	}
	wantRoles := map[string]string{
		"users": "root", "orders": "child", "items": "child", "products": "parent", "categories": "parent",
		"coupons": "unreached", "countries": "all", "logs": "schema only", "orphan": "unreached",
	}
	if d := cmp.Diff(wantRoles, roles); d != "" {
		t.Errorf("roles (-want +got):\n%s", d)
	}

	dirs := map[string]string{}
	for _, e := range p.Edges {
		d := ""
		if e.Up {
			d += "up"
		}
		if e.Cut {
			d += "cut"
		}
		if e.Down {
			d += "+down"
		}
		dirs[e.Name] = d
	}
	wantDirs := map[string]string{
		"orders_user_id_fkey":       "up+down",
		"items_order_id_fkey":       "up+down",
		"items_product_id_fkey":     "up",
		"products_category_id_fkey": "up",
		"categories_parent_id_fkey": "up", // products are parents only: no down
		"orders_coupon_id_fkey":     "cut",
		"users_country_fkey":        "up",
		"logs_user_id_fkey":         "", // logs are schema only
		"users_referred_by_fkey":    "up",
	}
	if d := cmp.Diff(wantDirs, dirs); d != "" {
		t.Errorf("directions (-want +got):\n%s", d)
	}
	if d := cmp.Diff([][]string{{"public.categories"}, {"public.users"}}, p.Cycles); d != "" {
		t.Errorf("cycles (-want +got):\n%s", d)
	}

	est := map[string]int64{}
	for _, tb := range p.Tables {
		est[tb.Name.Name] = tb.EstimatedRows
	}
	// 10 of 1000 users (1%) → 1% of orders and items; products are capped by size.
	wantEst := map[string]int64{"users": 10, "orders": 500, "items": 2000, "products": 300, "categories": 20,
		"coupons": 0, "countries": 200, "logs": 0, "orphan": 0}
	if d := cmp.Diff(wantEst, est); d != "" {
		t.Errorf("estimates (-want +got):\n%s", d)
	}
}

func TestWarnings(t *testing.T) {
	cat, _ := shop()
	res := &plan.Resolved{
		Schemas: []string{"public"},
		Copy:    map[catalog.Name]string{name("users"): config.CopySchema},
		Roots:   []plan.ResolvedRoot{{Table: name("orders"), All: true}},
	}
	p := plan.Build(cat, res, nil)
	want := []string{
		"public.items: about 200000 of its 200000 rows (100%) would be copied (child of public.orders via items_order_id_fkey); narrow the roots, switch off follow_children, or cut a key",
		"public.orders: about 50000 of its 50000 rows (100%) would be copied (root, all rows); narrow the roots, switch off follow_children, or cut a key",
		"nothing reaches 3 tables: public.countries, public.logs, public.orphan will get the schema and no rows (add a root or a `copy: all` table rule)",
		// The catalog is made up, without column statistics.
		"no column statistics on the source for public.categories(parent_id), public.items(order_id), public.items(product_id), public.orders(coupon_id), public.orders(user_id), public.products(category_id), so the estimates of the rows they reach are guesses (run ANALYZE there)",
	}
	if d := cmp.Diff(want, p.Warnings); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
	problems := []string{
		"public.orders(user_id) -> public.users(id) references public.users, which is copied schema only: its rows would be orphans; cut the key or copy the parent",
	}
	if d := cmp.Diff(problems, p.Problems); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}
