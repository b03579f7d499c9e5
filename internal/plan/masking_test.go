package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/plan"
)

// people is a catalog whose keys carry personal data: users(email) is
// referenced by orders(user_email) and by users(referred_by); accounts
// have a composite key (org, login) referenced by sessions.
func people() *catalog.Catalog {
	col := func(n, typ string, notNull bool) *catalog.Column {
		return &catalog.Column{Name: n, Type: typ, NotNull: notNull}
	}
	cat := &catalog.Catalog{Database: "people", Schemas: []string{"public"}, Tables: []*catalog.Table{
		{Name: name("accounts"), Columns: []*catalog.Column{col("org", "text", true), col("login", "character varying(12)", true), col("pin", "character(4)", false)},
			PrimaryKey: []string{"org", "login"}},
		{Name: name("orders"), Columns: []*catalog.Column{col("id", "integer", true), col("user_email", "text", true), col("note", "text", false)}, PrimaryKey: []string{"id"}},
		{Name: name("sessions"), Columns: []*catalog.Column{col("id", "bigint", true), col("org", "text", true), col("login", "character varying(12)", true)}, PrimaryKey: []string{"id"}},
		{Name: name("users"), Columns: []*catalog.Column{col("id", "integer", true), col("email", "text", true), col("name", "text", false),
			col("referred_by", "text", false), col("born", "date", false), col("uid", "uuid", false)}, PrimaryKey: []string{"id"}, UniqueKeys: [][]string{{"email"}}},
	}}
	for _, t := range cat.Tables {
		for i, c := range t.Columns {
			c.Num = int16(i + 1)
		}
	}
	cat.ForeignKeys = []*catalog.ForeignKey{
		{Name: "orders_user_email_fkey", Child: name("orders"), ChildColumns: []string{"user_email"}, Parent: name("users"), ParentColumns: []string{"email"}},
		{Name: "sessions_account_fkey", Child: name("sessions"), ChildColumns: []string{"org", "login"}, Parent: name("accounts"), ParentColumns: []string{"org", "login"}},
		{Name: "users_referred_by_fkey", Child: name("users"), ChildColumns: []string{"referred_by"}, Parent: name("users"), ParentColumns: []string{"email"}, Nullable: true},
	}
	return cat
}

func maskPlan(t *testing.T, yaml string) *plan.Plan {
	t.Helper()
	cfg, err := config.Parse("twin.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	res, err := plan.Check(cfg, people())
	if err != nil {
		t.Fatal(err)
	}
	return plan.Build(people(), res, nil)
}

func TestMasksFollowForeignKeys(t *testing.T) {
	p := maskPlan(t, `version: 1
masking:
  columns:
    - {table: orders, column: user_email, mask: email}
    - {table: sessions, column: login, mask: text}
    - {table: users, column: name, mask: name}
    - {table: accounts, column: pin, mask: keep}
`)
	if len(p.Problems) > 0 {
		t.Fatalf("problems: %v", p.Problems)
	}
	type row struct{ Col, Mask, Rule, Linked, Via string }
	var got []row
	for _, m := range p.Masks {
		got = append(got, row{m.Table + "." + m.Column, m.Mask, m.Rule, m.LinkedTo, m.Via})
	}
	want := []row{
		{"public.accounts.login", "text", "twin.yaml:5: masking.columns[1]", "public.sessions.login", "sessions_account_fkey"},
		{"public.accounts.pin", "keep", "twin.yaml:7: masking.columns[3]", "", ""},
		{"public.orders.user_email", "email", "twin.yaml:4: masking.columns[0]", "", ""},
		{"public.sessions.login", "text", "twin.yaml:5: masking.columns[1]", "", ""},
		{"public.users.email", "email", "twin.yaml:4: masking.columns[0]", "public.orders.user_email", "orders_user_email_fkey"},
		{"public.users.name", "name", "twin.yaml:6: masking.columns[2]", "", ""},
		{"public.users.referred_by", "email", "twin.yaml:4: masking.columns[0]", "public.users.email", "users_referred_by_fkey"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("masked columns (-want +got):\n%s", d)
	}
	for _, m := range p.Masks {
		// Linked to users.email (unique) or part of the accounts key.
		wantUnique := m.Column != "name" && m.Column != "pin"
		if m.Unique != wantUnique {
			t.Errorf("%s.%s: unique = %v, want %v", m.Table, m.Column, m.Unique, wantUnique)
		}
	}
	var text strings.Builder
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"Masked columns (7)",
		"public.users.referred_by   email (one-to-one)   linked to public.users.email by users_referred_by_fkey: twin.yaml:4: masking.columns[0]",
	} {
		if !strings.Contains(text.String(), line) {
			t.Errorf("plan text lacks %q:\n%s", line, text.String())
		}
	}
}

func TestMaskProblems(t *testing.T) {
	tests := []struct{ name, rules, want string }{
		{"two rules on linked columns", `
    - {table: users, column: email, mask: email}
    - {table: orders, column: user_email, mask: text}`,
			"twin.yaml:5: masking.columns[1]: public.orders.user_email is masked by text (masking.columns[1]) and, through foreign keys, by email (twin.yaml:4: masking.columns[0]); linked columns must share one rule"},
		{"not one-to-one on a unique column", `
    - {table: users, column: email, mask: name}`,
			"twin.yaml:4: masking.columns[0]: public.users.email"},
		{"sql on a linked column", `
    - {table: users, column: email, mask: sql, sql: "'x' || id"}`,
			"twin.yaml:4: masking.columns[0]: a sql mask cannot mask public.users.email: it is linked by foreign keys to public.orders.user_email, public.users.referred_by, and only a mask of the value alone keeps them matching; use text or digits"},
		{"sql on a primary key", `
    - {table: orders, column: id, mask: sql, sql: "id + 1"}`,
			"twin.yaml:4: masking.columns[0]: a sql mask cannot mask public.orders.id, part of the primary key of public.orders: pgtwin tells rows apart by it; use int"},
		{"uuid on an integer", `
    - {table: orders, column: id, mask: uuid}`,
			"twin.yaml:4: masking.columns[0]: public.orders.id"},
		{"null on NOT NULL", `
    - {table: orders, column: note, mask: keep}
    - {table: sessions, column: id, mask: "null"}`,
			"twin.yaml:5: masking.columns[1]: public.sessions.id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := maskPlan(t, "version: 1\nmasking:\n  columns:"+tt.rules+"\n")
			if len(p.Problems) != 1 || !strings.HasPrefix(p.Problems[0], tt.want) {
				t.Fatalf("problems = %q\nwant one starting with %q", p.Problems, tt.want)
			}
		})
	}
}

func TestPersonalColumns(t *testing.T) {
	found := []plan.PersonalColumn{
		{Table: "public.users", Column: "email", Reasons: []string{"name suggests an email address"}, Suggest: "email"},
		{Table: "public.users", Column: "born", Reasons: []string{"name suggests a birth date"}, Suggest: "date"},
	}
	for _, tt := range []struct {
		name, masking      string
		warnings, problems int
	}{
		{"no masking section: a warning", "", 1, 0},
		{"refuse: a problem per unmasked column", "masking:\n  columns:\n    - {table: users, column: email, mask: email}\n", 0, 1},
		{"warn: a warning per unmasked column", "masking:\n  unlisted: warn\n  columns:\n    - {table: users, column: email, mask: email}\n", 1, 0},
		{"reviewed with keep", "masking:\n  columns:\n    - {table: users, column: email, mask: email}\n    - {table: users, column: born, mask: keep}\n", 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("twin.yaml", []byte("version: 1\n"+tt.masking))
			if err != nil {
				t.Fatal(err)
			}
			res, err := plan.Check(cfg, people())
			if err != nil {
				t.Fatal(err)
			}
			p := plan.Build(people(), res, nil)
			p.CheckPersonal(found, res)
			var warns []string
			for _, w := range p.Warnings {
				if strings.Contains(w, "personal") {
					warns = append(warns, w)
				}
			}
			if len(warns) != tt.warnings || len(p.Problems) != tt.problems {
				t.Fatalf("warnings %q, problems %q", warns, p.Problems)
			}
			for _, s := range append(warns, p.Problems...) {
				if !strings.Contains(s, "public.users.born") || tt.masking != "" && !strings.Contains(s, "public.users.born (name suggests a birth date)") {
					t.Errorf("%q does not name the unmasked column and why", s)
				}
			}
		})
	}
}
