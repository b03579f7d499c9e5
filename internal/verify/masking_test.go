package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/pgtest"
	"github.com/pgtwin/pgtwin/internal/verify"
)

// maskSchema is the schema of both the source and the twin: a table with
// a bigint key, one with a composite key (and a name that needs quotes),
// one without a primary key, and one whose primary key is masked.
const maskSchema = `
CREATE TABLE users (id bigint PRIMARY KEY, email text, phone varchar(20), plan text, code text);
CREATE TABLE "Order Lines" (order_id int, line smallint, contact text, at timestamptz, PRIMARY KEY (order_id, line));
CREATE TABLE logs (msg text);
CREATE TABLE tokens (token text PRIMARY KEY, label text);
`

// maskSource is the source's data: 6,000 users (every tenth phone NULL,
// every hundredth code "-", which a text mask keeps), 300 order lines.
const maskSource = maskSchema + `
INSERT INTO users
SELECT g, 'person' || g || '@mail.example',
       CASE WHEN g % 10 = 0 THEN NULL ELSE '+1 555 ' || lpad(g::text, 6, '0') END,
       CASE WHEN g % 2 = 0 THEN 'free' ELSE 'paid' END,
       CASE WHEN g % 100 = 0 THEN '-' ELSE 'C' || g END
FROM generate_series(1, 6000) g;
INSERT INTO "Order Lines" SELECT g / 3, g % 3, 'contact ' || g, '2025-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 300) g;
INSERT INTO logs VALUES ('hello ann@mail.example');
INSERT INTO tokens VALUES ('abc', 'x');
`

// maskTwin is a twin of maskSource with every masked column masked: the
// users whose id is not a multiple of 3 (4,000), the order lines and one
// line the source does not have (deleted since the snapshot).
const maskTwin = maskSchema + `
INSERT INTO users
SELECT g, 'masked' || g || '@twin.example',
       CASE WHEN g % 10 = 0 THEN NULL ELSE '+7 318 ' || lpad((g * 7)::text, 6, '0') END,
       'free',
       CASE WHEN g % 100 = 0 THEN '-' ELSE 'X' || g END
FROM generate_series(1, 6000) g WHERE g % 3 <> 0;
INSERT INTO "Order Lines" SELECT g / 3, g % 3, 'someone ' || g, '2025-01-02'::timestamptz + g * interval '1 hour' FROM generate_series(1, 300) g;
INSERT INTO "Order Lines" VALUES (9999, 0, 'gone', now());
INSERT INTO logs VALUES ('hello xyz@twin.example');
INSERT INTO tokens VALUES ('xyz', 'y');
` + markerDDL + `
INSERT INTO pgtwin.runs (created_at, snapshot_at, source, config_sha256, pgtwin_version, schemas, rows, mask_key_fingerprint, masked)
VALUES (now(), now(), 'app@prod:5432/shop', 'c0ffee', 'test', '{public}', '{}', 'fp', '[
  {"table": {"schema": "public", "name": "users"}, "column": "email", "mask": "email"},
  {"table": {"schema": "public", "name": "users"}, "column": "phone", "mask": "digits"},
  {"table": {"schema": "public", "name": "users"}, "column": "plan", "mask": "value"},
  {"table": {"schema": "public", "name": "users"}, "column": "code", "mask": "text"},
  {"table": {"schema": "public", "name": "Order Lines"}, "column": "contact", "mask": "text"},
  {"table": {"schema": "public", "name": "Order Lines"}, "column": "at", "mask": "timestamp"},
  {"table": {"schema": "public", "name": "logs"}, "column": "msg", "mask": "text"},
  {"table": {"schema": "public", "name": "tokens"}, "column": "token", "mask": "text"},
  {"table": {"schema": "public", "name": "tokens"}, "column": "label", "mask": "text"},
  {"table": {"schema": "public", "name": "gone"}, "column": "x", "mask": "text"}
]');`

// runMasking verifies a twin made from twinSQL against a source made from
// maskSource, with the marker's source name unless sourceName is set.
func runMasking(t *testing.T, twinSQL, sourceName string) (*verify.Report, error) {
	t.Helper()
	src := pgtest.Connect(t, pgtest.NewDB(t, maskSource))
	twin := pgtest.Connect(t, pgtest.NewDB(t, twinSQL))
	if sourceName == "" {
		sourceName = "app@prod:5432/shop"
	}
	return verify.RunWith(context.Background(), twin, verify.Options{Source: src, SourceName: sourceName})
}

// wantClean is the masking check of maskTwin.
func wantClean() []verify.MaskedColumnCheck {
	users, lines := name("public", "users"), name("public", "Order Lines")
	noPK := "the table has no primary key: its rows cannot be matched with the source's"
	maskedPK := "its primary key (token) is masked: its rows cannot be matched with the source's"
	none := []verify.Key{}
	return []verify.MaskedColumnCheck{
		{Table: users, Column: "email", Mask: "email", Checked: true, Rows: 4000, Masked: 4000, Examples: none},
		// Multiples of 10 that are not multiples of 3: NULL on both sides.
		{Table: users, Column: "phone", Mask: "digits", Checked: true, Rows: 4000, Masked: 3600, Null: 400, Examples: none},
		// A constant that happens to be the source's value is not a leak.
		{Table: users, Column: "plan", Mask: "value", Checked: true, Rows: 4000, Masked: 2000, Unchanged: 2000, Examples: none},
		// "-" has nothing a text mask replaces.
		{Table: users, Column: "code", Mask: "text", Checked: true, Rows: 4000, Masked: 3960, Unchanged: 40, Examples: none},
		{Table: lines, Column: "contact", Mask: "text", Checked: true, Rows: 300, NotInSource: 1, Masked: 300, Examples: none},
		{Table: lines, Column: "at", Mask: "timestamp", Checked: true, Rows: 300, NotInSource: 1, Masked: 300, Examples: none},
		{Table: name("public", "logs"), Column: "msg", Mask: "text", NotChecked: noPK, Examples: none},
		{Table: name("public", "tokens"), Column: "token", Mask: "text", NotChecked: maskedPK, Examples: none},
		{Table: name("public", "tokens"), Column: "label", Mask: "text", NotChecked: maskedPK, Examples: none},
		{Table: name("public", "gone"), Column: "x", Mask: "text", NotChecked: "the twin has no such table", Examples: none},
	}
}

// TestVerifyMaskingClean: a well-masked twin passes, with the counts of every
// column, over many batches (128 keys each).
func TestVerifyMaskingClean(t *testing.T) {
	defer verify.SetBatchSize(128)()
	rep, err := runMasking(t, maskTwin, "")
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Masking
	if !m.Checked || m.Source != "app@prod:5432/shop" || m.Masked != 10 || len(m.Warnings) != 0 {
		t.Errorf("masking = %+v", m)
	}
	if d := cmp.Diff(wantClean(), m.Columns); d != "" {
		t.Errorf("columns (-want +got):\n%s", d)
	}
	if !rep.OK() {
		t.Errorf("a masked twin fails: %+v", rep)
	}
}

// TestVerifyMaskingOneBatch: the default batch size gives the same counts as
// small batches (4,000 users in one batch).
func TestVerifyMaskingOneBatch(t *testing.T) {
	rep, err := runMasking(t, maskTwin, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantClean(), rep.Masking.Columns); d != "" {
		t.Errorf("columns (-want +got):\n%s", d)
	}
}

// TestVerifyMaskingLeak: source values planted in the twin are found, counted
// and located by primary key, in plain and composite keys, and no value
// appears in the report.
func TestVerifyMaskingLeak(t *testing.T) {
	defer verify.SetBatchSize(100)()
	leaks := []string{"person4@mail.example", "person5999@mail.example", "+1 555 000007", "contact 5"}
	rep, err := runMasking(t, maskTwin+`
UPDATE users SET email = 'person4@mail.example' WHERE id = 4;
UPDATE users SET email = 'person5999@mail.example' WHERE id = 5999;
UPDATE users SET phone = '+1 555 000007' WHERE id = 7;
UPDATE "Order Lines" SET contact = 'contact 5' WHERE order_id = 1 AND line = 2;
-- Another row's source value is not this check's business.
UPDATE users SET email = 'person1@mail.example' WHERE id = 2;`, "")
	if err != nil {
		t.Fatal(err)
	}
	want := wantClean()
	want[0].Masked, want[0].Unmasked, want[0].Examples = 3998, 2, []verify.Key{key("4"), key("5999")}
	want[1].Masked, want[1].Unmasked, want[1].Examples = 3599, 1, []verify.Key{key("7")}
	want[4].Masked, want[4].Unmasked, want[4].Examples = 299, 1, []verify.Key{key("1", "2")}
	if d := cmp.Diff(want, rep.Masking.Columns); d != "" {
		t.Errorf("columns (-want +got):\n%s", d)
	}
	if rep.OK() {
		t.Error("OK() with unmasked values")
	}
	if n := len(rep.Masking.Leaks()); n != 3 {
		t.Errorf("%d leaking columns, want 3", n)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range leaks {
		if strings.Contains(string(js), v) {
			t.Errorf("the report holds the value %q", v)
		}
	}
}

// TestVerifyMaskingNoSource: without a source the check does not run, and the
// report says so.
func TestVerifyMaskingNoSource(t *testing.T) {
	rep := run(t, maskTwin)
	m := rep.Masking
	if m.Checked || m.Reason != "no source given" || m.Masked != 10 || len(m.Columns) != 0 || m.Columns == nil {
		t.Errorf("masking = %+v", m)
	}
	if !rep.OK() {
		t.Errorf("not checking masking fails: %+v", rep)
	}
}

// TestVerifyMaskingOtherSource: a source other than the marker's is warned
// about, and one that is the twin itself is refused.
func TestVerifyMaskingOtherSource(t *testing.T) {
	rep, err := runMasking(t, maskTwin, "ro@replica:5432/shop")
	if err != nil {
		t.Fatal(err)
	}
	if w := rep.Masking.Warnings; len(w) != 1 || !strings.Contains(w[0], "made from app@prod:5432/shop, and is compared with ro@replica:5432/shop") {
		t.Errorf("warnings = %q", w)
	}
	if !rep.OK() {
		t.Error("a warning fails the report")
	}

	db := pgtest.NewDB(t, maskTwin)
	twin, same := pgtest.Connect(t, db), pgtest.Connect(t, db)
	_, err = verify.RunWith(context.Background(), twin, verify.Options{Source: same, SourceName: "x"})
	if !errors.Is(err, verify.ErrSourceIsTwin) {
		t.Errorf("source = twin: err = %v, want ErrSourceIsTwin", err)
	}
	// Another database of the same server is a source like any other.
	other := pgtest.Connect(t, pgtest.NewDB(t, maskSource))
	if _, err := verify.RunWith(context.Background(), twin, verify.Options{Source: other, SourceName: "x"}); err != nil {
		t.Errorf("another database on the same server: %v", err)
	}
}

// TestVerifyMaskingTypes: keys and values of other types compare as the values
// do, whatever the sessions' settings: a timestamptz and a numeric key,
// a text[] column, and a source whose session prints dates differently.
func TestVerifyMaskingTypes(t *testing.T) {
	schema := `CREATE TABLE ev (at timestamptz, amount numeric, tags text[], born date, PRIMARY KEY (at, amount));`
	src := pgtest.Connect(t, pgtest.NewDB(t, schema+`
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET DateStyle = %L', current_database(), 'SQL, DMY');
  EXECUTE format('ALTER DATABASE %I SET TimeZone = %L', current_database(), 'Asia/Tokyo');
END $$;
INSERT INTO ev VALUES ('2025-01-01 10:00+00', 1.50, '{ann,bob}', '1990-05-01'), ('2025-01-01 11:00+00', 2, '{"-",NULL}', 'infinity'),
                      ('2025-01-01 12:00+00', 3, '{carol}', '1980-01-01');`))
	twin := pgtest.Connect(t, pgtest.NewDB(t, schema+`
INSERT INTO ev VALUES ('2025-01-01 10:00+00', 1.50, '{xyz,qrs}', '1990-06-01'), ('2025-01-01 11:00+00', 2, '{"-",NULL}', 'infinity'),
                      ('2025-01-01 12:00+00', 3, '{carol}', '1980-01-01');`+markerDDL+`
INSERT INTO pgtwin.runs (created_at, snapshot_at, source, config_sha256, pgtwin_version, schemas, rows, masked)
VALUES (now(), now(), 's', 'c', 'test', '{public}', '{}', '[
  {"table": {"schema": "public", "name": "ev"}, "column": "tags", "mask": "text"},
  {"table": {"schema": "public", "name": "ev"}, "column": "born", "mask": "date"}]');`))
	rep, err := verify.RunWith(context.Background(), twin, verify.Options{Source: src, SourceName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ev := name("public", "ev")
	k := key("2025-01-01 12:00:00+00", "3")
	want := []verify.MaskedColumnCheck{
		{Table: ev, Column: "tags", Mask: "text", Checked: true, Rows: 3, Masked: 1, Unchanged: 1, Unmasked: 1, Examples: []verify.Key{k}},
		{Table: ev, Column: "born", Mask: "date", Checked: true, Rows: 3, Masked: 1, Unchanged: 1, Unmasked: 1, Examples: []verify.Key{k}},
	}
	if d := cmp.Diff(want, rep.Masking.Columns); d != "" {
		t.Errorf("columns (-want +got):\n%s", d)
	}
}

func TestVerifyKeptByDesign(t *testing.T) {
	for _, tc := range []struct {
		mask  string
		array bool
		v     string
		want  bool
	}{
		{"text", false, "", true},
		{"text", false, "- / -", true},
		{"text", false, "ann", false},
		{"email", false, "@.", true},
		{"email", false, "a@b.c", false},
		{"digits", false, "n/a", true},
		{"digits", false, "+1 555", false},
		{"date", false, "infinity", true},
		{"date", false, "-infinity", true},
		{"date", false, "0044-03-15 BC", true},
		{"date", false, "2025-01-01", false},
		{"timestamp", false, "2025-01-01 00:00:00+00", false},
		{"numeric", false, "NaN", true},
		{"numeric", false, "-Infinity", true},
		{"numeric", false, "0.000", true},
		{"numeric", false, "-0", true},
		{"numeric", false, "0e5", true},
		{"numeric", false, "10", false},
		{"numeric", false, "1e-5", false},
		{"int", false, "0", false},
		{"email", false, "", true},
		{"uuid", false, "", false},
		{"hash", false, "", false},
		{"text", true, "{}", true},
		{"text", true, `{"-",NULL,""}`, true},
		{"text", true, `{"NULL"}`, false},
		{"text", true, `{"a\"b"}`, false},
		{"date", true, "{infinity,NULL}", true},
		{"date", true, "{infinity,2025-01-01}", false},
		{"text", true, "[0:1]={-,-}", false},
	} {
		if got := verify.KeptByDesign(tc.mask, tc.array, tc.v); got != tc.want {
			t.Errorf("keptByDesign(%s, %v, %q) = %v, want %v", tc.mask, tc.array, tc.v, got, tc.want)
		}
	}
}

func TestVerifyArrayElements(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		v    string
		want []*string
	}{
		{"{}", nil},
		{"{a,b}", []*string{str("a"), str("b")}},
		{`{"a,b",NULL,"NULL","x\\y\"z",""}`, []*string{str("a,b"), nil, str("NULL"), str(`x\y"z`), str("")}},
		{"{{1,2},{3,NULL}}", []*string{str("1"), str("2"), str("3"), nil}},
	} {
		got, ok := verify.ArrayElements(tc.v)
		if !ok {
			t.Errorf("%s: not understood", tc.v)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.v, d)
		}
	}
	if _, ok := verify.ArrayElements(`{"open`); ok {
		t.Error("an unterminated quote is understood")
	}
}
