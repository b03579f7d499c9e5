package clone_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// formatsSchema holds values whose COPY text depends on the session's
// DateStyle, IntervalStyle and extra_float_digits.
const formatsSchema = `
CREATE TABLE events (
    id   int PRIMARY KEY,
    d    date,
    ts   timestamp,
    tstz timestamptz,
    iv   interval,
    f8   float8,
    f4   float4,
    dr   daterange,
    ivs  interval[]
);
INSERT INTO events VALUES
 (1, '2024-03-01', '2024-03-01 13:14:15.123456', '2024-03-01 13:14:15.5+02', '-1 year +2 days -03:04:05', 0.1::float8 * 3, 1.1,
  '[2024-03-01,2024-04-02)', ARRAY['1 day -02:00'::interval, '-3 mons']),
 (2, '1999-12-31', '1999-12-31 23:59:59', '1999-12-31 23:59:59-08', '1 mon 3 days 04:05:06.789', 1e-300 / 3, 3.4028235e38,
  '[1999-12-31,2000-01-13)', ARRAY['P1Y2M3DT4H5M6S'::interval]),
 (3, '0044-03-15 BC', 'infinity', '-infinity', '-00:00:01', 'NaN', '-0', 'empty', '{}');`

// setFormats is SQL that gives database db's new sessions the formats.
func setFormats(formats map[string]string) string {
	var s string
	for name, value := range formats {
		s += fmt.Sprintf("DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET %s = %%L', current_database(), %s); END $$;\n", name, quoteLit(value))
	}
	return s
}

func quoteLit(s string) string { return "'" + s + "'" }

// canonical reads every row of events as text in a session with fixed
// formats, so that two databases' rows compare by value.
func canonical(t *testing.T, db string) []string {
	t.Helper()
	conn := pgtest.Connect(t, db)
	pgtest.Exec(t, conn, "SET datestyle = ISO, YMD; SET intervalstyle = postgres; SET extra_float_digits = 3; SET timezone = 'UTC'")
	return pgtest.Strings(t, conn, "SELECT ROW(e.*)::text FROM events e ORDER BY id")
}

// TestValueFormats: COPY text travels from the source's session to the
// target's, so values must not depend on either database's DateStyle,
// IntervalStyle or extra_float_digits: a date written 01.03.2024 by a
// German source must not be read as January 3rd by an MDY target, nor a
// float rounded by a source with extra_float_digits = 0.
func TestValueFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		src, tgt map[string]string
	}{
		{"target SQL DMY", map[string]string{"datestyle": "ISO, MDY"}, map[string]string{"datestyle": "SQL, DMY", "intervalstyle": "sql_standard"}},
		{"target German", map[string]string{"datestyle": "ISO, MDY"}, map[string]string{"datestyle": "German", "intervalstyle": "iso_8601"}},
		{"source German", map[string]string{"datestyle": "German", "intervalstyle": "sql_standard", "extra_float_digits": "0"}, map[string]string{"datestyle": "ISO, MDY"}},
		{"source SQL DMY, target SQL MDY", map[string]string{"datestyle": "SQL, DMY", "intervalstyle": "postgres_verbose", "extra_float_digits": "-15"},
			map[string]string{"datestyle": "SQL, MDY", "intervalstyle": "sql_standard"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := pgtest.NewDB(t, formatsSchema, setFormats(tc.src))
			tgt := pgtest.NewDB(t, setFormats(tc.tgt))
			if _, err := runClone(src, tgt, "version: 1\ntables:\n  - table: events\n    copy: all\n", nil); err != nil {
				t.Fatalf("clone: %v", err)
			}
			if d := cmp.Diff(canonical(t, src), canonical(t, tgt)); d != "" {
				t.Errorf("rows of the twin differ from the source's (-source +twin):\n%s", d)
			}
		})
	}
}
