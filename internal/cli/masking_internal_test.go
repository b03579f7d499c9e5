package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/pii"
)

// TestMaskingSection: the section init writes is read back by the strict
// config parser as the rules it meant, constants and quoted names
// included; a finding no built-in mask fits is left as a comment.
func TestMaskingSection(t *testing.T) {
	users := catalog.Name{Schema: "public", Name: "users"}
	odd := catalog.Name{Schema: "Sales Dept", Name: "Customers"}
	text := "version: 1\n" + maskingSection([]pii.Finding{
		{Table: odd, Column: "Full Name", Reasons: []string{"name suggests a person's name"}, Suggest: "name"},
		{Table: users, Column: "email", Reasons: []string{"sampled values look like emails (18 of 20)"}, Suggest: "email"},
		{Table: users, Column: "origin", Reasons: []string{"type inet holds IP addresses"}, Suggest: "value", Value: "192.0.2.1"},
		{Table: users, Column: "allowed_ip", Reasons: []string{"type inet holds IP addresses", "a\nnew line"}},
	})
	cfg, err := config.Parse("init.yaml", []byte(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	type rule struct{ Table, Column, Mask, Value string }
	var got []rule
	for _, r := range cfg.Masking.Columns {
		v := ""
		if r.Value != nil {
			v = *r.Value
		}
		got = append(got, rule{r.Table, r.Column, r.Mask, v})
	}
	want := []rule{
		{`"Sales Dept"."Customers"`, `"Full Name"`, "name", ""},
		{"public.users", "email", "email", ""},
		{"public.users", "origin", "value", "192.0.2.1"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rules (-want +got):\n%s\n%s", d, text)
	}
	if cfg.Masking.KeyEnv != "PGTWIN_MASK_KEY" || cfg.Masking.Unlisted != "refuse" {
		t.Errorf("key_env %q, unlisted %q", cfg.Masking.KeyEnv, cfg.Masking.Unlisted)
	}

	empty, err := config.Parse("init.yaml", []byte("version: 1\n"+maskingSection(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if empty.Masking == nil || len(empty.Masking.Columns) != 0 {
		t.Errorf("no findings: masking %+v", empty.Masking)
	}
}
