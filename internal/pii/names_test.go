package pii

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// flagged builds a one-table catalog and returns the finding for column
// col, if any.
func flagged(table, col, typ string, extra ...func(*catalog.Column)) *Finding {
	c := &catalog.Column{Name: col, Num: 1, Type: typ, Base: typ}
	for _, f := range extra {
		f(c)
	}
	cat := &catalog.Catalog{Tables: []*catalog.Table{{Name: catalog.Name{Schema: "public", Name: table}, Columns: []*catalog.Column{c}}}}
	for _, f := range FromCatalog(cat, nil) {
		if f.Column == col {
			return &f
		}
	}
	return nil
}

func TestByName(t *testing.T) {
	for _, tc := range []struct {
		table, column, typ string
		suggest            string // "" when not flagged
	}{
		// Flagged, whatever the table.
		{"orders", "email", "text", "email"},
		{"orders", "customerEmail", "character varying(255)", "email"},
		{"orders", "e_mail", "text", "email"},
		{"orders", "email_address", "character varying(10)", "text"}, // too short for an email mask
		{"orders", "phone", "text", "digits"},
		{"orders", "mobile_number", "character varying(20)", "digits"},
		{"orders", "tel", "text", "digits"},
		{"orders", "fax", "text", "digits"},
		{"orders", "phone", "bigint", "int"},
		{"orders", "first_name", "text", "first_name"},
		{"orders", "lastName", "text", "last_name"},
		{"orders", "surname", "character varying(40)", "last_name"},
		{"orders", "full_name", "text", "name"},
		{"orders", "customer_name", "text", "name"},
		{"orders", "Full Name", "text", "name"},
		{"orders", "shipping_address", "text", "text"},
		{"orders", "street", "text", "text"},
		{"orders", "city", "text", "text"},
		{"orders", "zip", "character varying(10)", "digits"},
		{"orders", "postal_code", "text", "digits"},
		{"orders", "postcode", "text", "digits"},
		{"orders", "birth_date", "date", "date"},
		{"orders", "dob", "date", "date"},
		{"orders", "birthday", "timestamp without time zone", "timestamp"},
		{"orders", "ssn", "text", "digits"},
		{"orders", "national_id", "text", "digits"},
		{"orders", "passport_number", "text", "digits"},
		{"orders", "tax_id", "text", "digits"},
		{"orders", "iban", "text", "digits"},
		{"orders", "credit_card", "text", "digits"},
		{"orders", "card_number", "character varying(19)", "digits"},
		{"orders", "cvv", "character(3)", "digits"},
		{"orders", "pan", "text", "digits"},
		{"orders", "ip", "text", "digits"},
		{"orders", "ip_address", "inet", "null"},
		{"orders", "client_ip", "text", "digits"},
		{"orders", "user_agent", "text", "text"},
		{"orders", "lat", "double precision", "numeric"},
		{"orders", "longitude", "numeric(9,6)", "numeric"},
		{"orders", "password_hash", "text", "hash"},
		{"orders", "api_token", "text", "hash"},
		{"orders", "secret", "text", "hash"},
		{"orders", "gender", "text", "text"},
		{"orders", "salary", "numeric(10,2)", "numeric"},
		// Only on tables of people.
		{"users", "name", "text", "name"},
		{"customers", "name", "character varying(80)", "name"},
		{"customer", "name", "text", "name"},
		{"people", "notes", "text", "text"},
		{"patients", "comment", "text", "text"},
		{"accounts", "username", "text", "text"},
		// Not flagged.
		{"hotel", "hotel_name", "text", ""},
		{"hotels", "name", "text", ""},
		{"products", "name", "text", ""},
		{"products", "notes", "text", ""},
		{"hotel", "hotel_id", "integer", ""},
		{"orders", "email_id", "bigint", ""},
		{"orders", "email_status", "text", ""},
		{"orders", "email_verified", "boolean", ""},
		{"orders", "email_verified_at", "timestamp with time zone", ""},
		{"orders", "phone_type", "text", ""},
		{"orders", "card_type", "text", ""},
		{"orders", "gift_card_balance", "numeric(10,2)", ""},
		{"orders", "address_id", "integer", ""},
		{"orders", "created_at", "timestamp with time zone", ""},
		{"orders", "updated_at", "timestamp without time zone", ""},
		{"orders", "hotel", "text", ""},
		{"orders", "intel_cpu", "text", ""},
		{"orders", "telemetry", "jsonb", ""},
		{"orders", "latency_ms", "integer", ""},
		{"orders", "pipeline", "text", ""},
		{"orders", "capital_city_id", "integer", ""},
		{"orders", "gender", "public.gender", ""}, // an enum
		{"orders", "is_email_public", "boolean", ""},
		{"orders", "status", "text", ""},
		{"orders", "id", "uuid", ""},
		{"orders", "mailbox_size", "bigint", ""},
		{"orders", "tokens_used", "integer", ""},
		{"orders", "description", "text", ""},
	} {
		f := flagged(tc.table, tc.column, tc.typ)
		switch {
		case f == nil && tc.suggest != "":
			t.Errorf("%s.%s (%s): not flagged, want mask %s", tc.table, tc.column, tc.typ, tc.suggest)
		case f != nil && tc.suggest == "":
			t.Errorf("%s.%s (%s): flagged (%s), want not", tc.table, tc.column, tc.typ, f.Reason())
		case f != nil && f.Suggest != tc.suggest:
			t.Errorf("%s.%s (%s): mask %q, want %q (%s)", tc.table, tc.column, tc.typ, f.Suggest, tc.suggest, f.Reason())
		}
	}
}

func TestByTypeAndComment(t *testing.T) {
	notNull := func(c *catalog.Column) { c.NotNull = true }
	unique := func(c *catalog.Column) { c.Unique = true }
	comment := func(s string) func(*catalog.Column) { return func(c *catalog.Column) { c.Comment = s } }
	for _, tc := range []struct {
		column, typ   string
		extra         []func(*catalog.Column)
		suggest, val  string
		reason        string
		notFlaggedWhy string
	}{
		{column: "origin", typ: "inet", suggest: "null", reason: "type inet holds IP addresses"},
		{column: "origin", typ: "inet", extra: []func(*catalog.Column){notNull}, suggest: "value", val: "192.0.2.1"},
		{column: "net", typ: "cidr", extra: []func(*catalog.Column){notNull}, suggest: "value", val: "192.0.2.0/24"},
		{column: "hw", typ: "macaddr", extra: []func(*catalog.Column){notNull}, suggest: "value", val: "02:00:00:00:00:00"},
		{column: "hw", typ: "macaddr8", suggest: "null", reason: "type macaddr8 holds hardware addresses"},
		// No built-in mask keeps a unique inet column valid: a person decides.
		{column: "origin", typ: "inet", extra: []func(*catalog.Column){notNull, unique}, suggest: ""},
		{column: "x", typ: "text", extra: []func(*catalog.Column){comment("Customer's personal remarks")}, suggest: "text", reason: `comment says "personal"`},
		{column: "x", typ: "integer", extra: []func(*catalog.Column){comment("GDPR: delete on request")}, suggest: "int", reason: `comment says "gdpr"`},
		{column: "x", typ: "text", extra: []func(*catalog.Column){comment("Not personal: a product code")}, notFlaggedWhy: "negated"},
		{column: "x", typ: "text", extra: []func(*catalog.Column){comment("no PII here")}, notFlaggedWhy: "negated"},
		{column: "x", typ: "text", extra: []func(*catalog.Column){comment("the sensitivity level")}, notFlaggedWhy: "not a word match"},
		// Unique columns get one-to-one masks.
		{column: "full_name", typ: "text", extra: []func(*catalog.Column){unique}, suggest: "text"},
		{column: "password", typ: "text", extra: []func(*catalog.Column){unique}, suggest: "text"},
	} {
		f := flagged("events", tc.column, tc.typ, tc.extra...)
		if tc.notFlaggedWhy != "" {
			if f != nil {
				t.Errorf("%s %s: flagged (%s), want not (%s)", tc.column, tc.typ, f.Reason(), tc.notFlaggedWhy)
			}
			continue
		}
		if f == nil {
			t.Errorf("%s %s: not flagged", tc.column, tc.typ)
			continue
		}
		if f.Suggest != tc.suggest || f.Value != tc.val {
			t.Errorf("%s %s: mask %q value %q, want %q %q", tc.column, tc.typ, f.Suggest, f.Value, tc.suggest, tc.val)
		}
		if tc.reason != "" && f.Reason() != tc.reason {
			t.Errorf("%s %s: reason %q, want %q", tc.column, tc.typ, f.Reason(), tc.reason)
		}
	}
}

// TestLinkedColumns: a column linked by a foreign key to a flagged one is
// flagged too, and both get the mask that fits the narrower, unique one.
func TestLinkedColumns(t *testing.T) {
	users := catalog.Name{Schema: "public", Name: "users"}
	invites := catalog.Name{Schema: "public", Name: "invites"}
	cat := &catalog.Catalog{
		Tables: []*catalog.Table{
			{Name: invites, Columns: []*catalog.Column{
				{Name: "id", Num: 1, Type: "integer", Base: "integer", NotNull: true, Unique: true},
				{Name: "sent_to", Num: 2, Type: "character varying(12)", Base: "character varying(12)", NotNull: true},
			}},
			{Name: users, Columns: []*catalog.Column{
				{Name: "email", Num: 1, Type: "text", Base: "text", NotNull: true, Unique: true},
			}},
		},
		ForeignKeys: []*catalog.ForeignKey{{Name: "invites_sent_to_fkey", Child: invites, ChildColumns: []string{"sent_to"}, Parent: users, ParentColumns: []string{"email"}}},
	}
	got := results(FromCatalog(cat, nil))
	want := map[string]result{
		"invites.sent_to": {"text", "", "linked by foreign key invites_sent_to_fkey to public.users.email"},
		"users.email":     {"text", "", "name suggests an email address"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// Without the link, each column on its own.
	cat.ForeignKeys = nil
	if d := cmp.Diff(map[string]result{"users.email": {"email", "", "name suggests an email address"}}, results(FromCatalog(cat, nil))); d != "" {
		t.Errorf("unlinked (-want +got):\n%s", d)
	}
}
