package report_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/plan"
	"github.com/pgtwin/pgtwin/internal/report"
	"github.com/pgtwin/pgtwin/internal/subset"
)

func sample() *report.Report {
	r := report.New()
	r.Source, r.Target = "readonly@prod.example.com:5432/shop", "app@dev.example.com:5432/shop"
	r.SnapshotAt = time.Date(2025, 6, 1, 2, 0, 0, 123e6, time.UTC)
	p := &plan.Plan{Tables: []*plan.Table{{Table: "public.orders", EstimatedRows: 480}, {Table: "public.users", EstimatedRows: 50}}}
	r.AddTables([]subset.TableStats{
		{Table: catalog.Name{Schema: "public", Name: "orders"}, Rows: 500, Bytes: 3000, Queries: 3, Duration: 210 * time.Millisecond},
		{Table: catalog.Name{Schema: "public", Name: "users"}, Rows: 50, Bytes: 1000, Queries: 1, Duration: 40 * time.Millisecond,
			Masked: []subset.MaskedCount{{Column: "email", Values: 50}, {Column: "Full Name", Values: 48}}},
	}, p)
	r.MaskKeyFingerprint = "sha256:0123456789abcdef"
	r.CutKeys = append(r.CutKeys, report.CutReport{Key: "public.orders(coupon_id) -> public.coupons(id)", Rows: 12})
	r.Phases = append(r.Phases, report.Phase{Name: "plan", Seconds: 0.05}, report.Phase{Name: "data", Seconds: 1.9})
	r.Seconds = 4.2
	r.Warnings = append(r.Warnings, "a <warning> & more")
	return r
}

// TestJSON pins report_version 1 byte for byte: field names, order,
// indentation, and no HTML escaping. A change here breaks the README's
// promise to the scripts that read it.
func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	want := `{
  "report_version": 1,
  "source": "readonly@prod.example.com:5432/shop",
  "target": "app@dev.example.com:5432/shop",
  "snapshot_at": "2025-06-01T02:00:00.123Z",
  "tables": [
    {
      "table": "public.orders",
      "rows": 500,
      "bytes": 3000,
      "seconds": 0.21,
      "queries": 3,
      "share": 0.75,
      "estimated_rows": 480
    },
    {
      "table": "public.users",
      "rows": 50,
      "bytes": 1000,
      "seconds": 0.04,
      "queries": 1,
      "share": 0.25,
      "estimated_rows": 50
    }
  ],
  "cut_keys": [
    {
      "key": "public.orders(coupon_id) -> public.coupons(id)",
      "rows": 12
    }
  ],
  "masked": [
    {
      "table": "public.users",
      "column": "email",
      "values": 50
    },
    {
      "table": "public.users",
      "column": "Full Name",
      "values": 48
    }
  ],
  "mask_key_fingerprint": "sha256:0123456789abcdef",
  "phases": [
    {
      "name": "plan",
      "seconds": 0.05
    },
    {
      "name": "data",
      "seconds": 1.9
    }
  ],
  "rows": 550,
  "bytes": 4000,
  "seconds": 4.2,
  "warnings": [
    "a <warning> & more"
  ]
}
`
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("JSON (-want +got):\n%s", d)
	}
	// Without cut keys the field is left out; empty lists stay lists.
	b.Reset()
	if err := report.New().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if want := `{"report_version":1,"source":"","target":"","snapshot_at":"0001-01-01T00:00:00Z","tables":[],"phases":[],"rows":0,"bytes":0,"seconds":0,"warnings":[]}`; compact(b.String()) != want {
		t.Errorf("empty report:\n%s\nwant\n%s", compact(b.String()), want)
	}
}

func compact(s string) string {
	var b bytes.Buffer
	for _, l := range bytes.Split([]byte(s), []byte("\n")) {
		b.Write(bytes.TrimSpace(l))
	}
	return string(bytes.ReplaceAll(b.Bytes(), []byte(`": `), []byte(`":`)))
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `Twin of readonly@prod.example.com:5432/shop in app@dev.example.com:5432/shop, as of 2025-06-01T02:00:00Z

           table   rows    bytes   seconds   share
   public.orders    500   2.9 kB      0.21   75.0%
    public.users     50   1000 B      0.04   25.0%
           total    550   3.9 kB      4.20        

cut public.orders(coupon_id) -> public.coupons(id): 12 rows set to NULL
Masked values (key sha256:0123456789abcdef): public.users.email 50, public.users."Full Name" 48
Phases: plan 0.05s, data 1.90s
! a <warning> & more
`
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("text (-want +got):\n%s", d)
	}
}
