package copytext

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

const roundTripSchema = `
CREATE TYPE pair AS (a int, b text);
CREATE TABLE t (
	id   int PRIMARY KEY,
	txt  text,
	bin  bytea,
	js   jsonb,
	num  numeric,
	ts   timestamptz,
	f8   float8,
	ints int[],
	txts text[],
	comp pair
);
CREATE TABLE t2 (LIKE t);

INSERT INTO t (id, txt) VALUES
	(1, E'tab\there'),
	(2, E'line1\nline2\n'),
	(3, E'cr\rhere\r\n'),
	(4, E'back\\slash \\\\ two \\'),
	(5, '\N'),
	(6, '\.'),
	(7, ''),
	(8, NULL),
	(9, (SELECT string_agg(chr(i), '') FROM generate_series(1, 127) i)),
	(10, 'zürich 東京 🐘 ǅ ' || chr(8232) || chr(65279)),
	(11, repeat(E'x\\y\tz\n', 200000)),
	(12, E'\t'),
	(13, E'\\'),
	(14, 'N'),
	(15, E'\\N\t\\N');

INSERT INTO t (id, bin, js, num, ts, f8, ints, txts, comp) VALUES
	(20, '\x00ff80005c0a09'::bytea, '{"a": "tab\there", "b": [1, null, "x\\y", "q\"uote"], "c": "é\n"}',
	 'NaN', 'infinity', 'NaN', '{1,NULL,3}',
	 ARRAY['a"quote', NULL, 'NULL', 'back\slash', E'tab\t', '', 'com,ma', '{brace}', E'nl\n'],
	 ROW(1, E'x"y\\z,\t( )')::pair),
	(21, '\x'::bytea, '"just a string with \\ and \""', 'Infinity', '-infinity', 'Infinity', '{}',
	 '{}', ROW(NULL, NULL)::pair),
	(22, decode(repeat('00ff', 50000), 'hex'), '[]', '-Infinity', '2024-02-29 12:34:56.789+05:30',
	 '-0', '{{1,2},{3,4}}', ARRAY[NULL]::text[], ROW(2, '')::pair),
	(23, NULL, 'null', 12345678901234567890.0123456789, '1999-12-31 23:59:59.999999+00', 1e-310,
	 NULL, ARRAY['\N', E'\\N'], ROW(3, '\N')::pair),
	(24, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
`

var roundTripCols = []string{"id", "txt", "bin", "js", "num", "ts", "f8", "ints", "txts", "comp"}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t, roundTripSchema)
	conn := pgtest.Connect(t, db)
	pg := conn.PgConn()

	// What the server says each value is, as text.
	want := map[string][]*string{}
	rows, err := conn.Query(ctx, "SELECT "+strings.Join(roundTripCols, "::text, ")+"::text FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals := make([]*string, len(roundTripCols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		want[*vals[0]] = vals
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	var stream bytes.Buffer
	tag, err := pg.CopyTo(ctx, &stream, "COPY t TO STDOUT")
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != int64(len(want)) {
		t.Fatalf("COPY TO: %d rows, want %d", tag.RowsAffected(), len(want))
	}
	if stream.Len() < 1<<20 {
		t.Fatalf("stream is only %d bytes; the long rows are missing", stream.Len())
	}

	for _, size := range []int{64, DefaultBufferSize} {
		t.Run(fmt.Sprint("buffer", size), func(t *testing.T) {
			r := NewReaderSize(bytes.NewReader(stream.Bytes()), size)
			var out []byte
			var fields [][]byte
			seen := map[string]bool{}
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				fields = row.Split(fields)
				if len(fields) != len(roundTripCols) || row.NumFields() != len(fields) {
					t.Fatalf("row %q: %d fields, NumFields %d", row.Line, len(fields), row.NumFields())
				}
				id := Decode(fields[0])
				exp, ok := want[id]
				if !ok || seen[id] {
					t.Fatalf("unexpected or repeated id %q", id)
				}
				seen[id] = true
				for i, f := range fields {
					if g, _ := row.Field(i); !bytes.Equal(g, f) {
						t.Errorf("id %s: Field(%d) = %.40q, Split gave %.40q", id, i, g, f)
					}
					if exp[i] == nil {
						if !IsNull(f) || !row.IsNull(i) {
							t.Errorf("id %s %s: got %.60q, want NULL", id, roundTripCols[i], f)
						}
						continue
					}
					if row.IsNull(i) {
						t.Errorf("id %s %s: NULL, want %.60q", id, roundTripCols[i], *exp[i])
						continue
					}
					if got := Decode(f); got != *exp[i] {
						t.Errorf("id %s %s: Decode = %.60q, want %.60q", id, roundTripCols[i], got, *exp[i])
					}
					// Encode escapes exactly what the server escapes.
					if enc := Encode(nil, *exp[i]); !bytes.Equal(enc, f) {
						t.Errorf("id %s %s: Encode = %.60q, server wrote %.60q", id, roundTripCols[i], enc, f)
					}
				}
				out = AppendRow(out, fields)
			}
			if len(seen) != len(want) {
				t.Fatalf("read %d rows, want %d", len(seen), len(want))
			}
			if !bytes.Equal(out, stream.Bytes()) {
				t.Errorf("re-assembled stream differs from the server's")
			}

			pgtest.Exec(t, conn, "TRUNCATE t2")
			tag, err := pg.CopyFrom(ctx, bytes.NewReader(out), "COPY t2 FROM STDIN")
			if err != nil {
				t.Fatal(err)
			}
			if tag.RowsAffected() != int64(len(want)) {
				t.Fatalf("COPY FROM: %d rows, want %d", tag.RowsAffected(), len(want))
			}
			assertSameTables(t, conn, "t", "t2")
		})
	}
}

func assertSameTables(t *testing.T, conn *pgx.Conn, a, b string) {
	t.Helper()
	for _, q := range []string{
		fmt.Sprintf("SELECT count(*) FROM (TABLE %s EXCEPT ALL TABLE %s) x", a, b),
		fmt.Sprintf("SELECT count(*) FROM (TABLE %s EXCEPT ALL TABLE %s) x", b, a),
	} {
		var n int
		if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d", q, n)
		}
	}
}

// TestServerParsesLikeDecode feeds hand-written lines using escapes the
// server never writes to COPY FROM and checks that the server's values are
// what Split and Decode make of the same lines.
func TestServerParsesLikeDecode(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t, "CREATE TABLE u (id int PRIMARY KEY, v text, w text)")
	conn := pgtest.Connect(t, db)

	var all []byte
	for i := 1; i < 128; i++ {
		all = append(all, byte(i))
	}
	all = append(all, "ü€🐘"...)
	lines := []string{
		`1	\101\x42\x4a\x4\xg\q\1234\18\x	w`,
		"2\ta\\\tb\tw\\\tx", // backslash before a raw tab: data, not a separator
		"3\ta\\\nb\t\\\n",   // backslash before a raw newline: data, not a row end
		`4	\303\244\xc3\xa4\xC3\xA4	\\\\\\`,
		`5	\N	\\N`,
		"6\t\t",
		`7	x\Ny	\"\'\,`,
		"8\t" + string(Encode(nil, string(all))) + "\t" + string(Encode(nil, `\N`)),
		`9	\b\f\n\r\t\v	\\\b`,
		"10\tx\tends with a backslash\\", // last row: no newline, trailing backslash
	}
	in := strings.Join(lines, "\n")
	if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(in), "COPY u FROM STDIN"); err != nil {
		t.Fatal(err)
	}

	// PostgreSQL 15 takes "\." anywhere in a line as an end-of-data
	// marker (and rejects it when no newline follows); the Reader only
	// takes a whole line. The server never writes "\." as data.
	_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("11\tx\\.y\n"), "COPY u FROM STDIN")
	if err == nil || !strings.Contains(err.Error(), "end-of-copy marker corrupt") {
		t.Logf(`COPY FROM with \. inside a line: %v (PostgreSQL 15 says "end-of-copy marker corrupt")`, err)
	}

	want := map[string][2]*string{}
	rows, _ := conn.Query(ctx, "SELECT id, v, w FROM u")
	for rows.Next() {
		var id string
		var v [2]*string
		if err := rows.Scan(&id, &v[0], &v[1]); err != nil {
			t.Fatal(err)
		}
		want[id] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	r := NewReaderSize(strings.NewReader(in), 16)
	n := 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		f := row.Split(nil)
		if len(f) > 3 || len(f) < 2 {
			t.Fatalf("row %q: %d fields", row.Line, len(f))
		}
		id := Decode(f[0])
		exp, ok := want[id]
		if !ok {
			t.Fatalf("row %q: id %q not in the table", row.Line, id)
		}
		for i := range exp {
			var got *string
			if i+1 < len(f) && !IsNull(f[i+1]) {
				s := Decode(f[i+1])
				got = &s
			}
			if (got == nil) != (exp[i] == nil) || got != nil && *got != *exp[i] {
				t.Errorf("id %s column %d: we read %s, server stored %s", id, i+1, show(got), show(exp[i]))
			}
		}
	}
	if n != len(lines) || len(want) != len(lines) {
		t.Errorf("read %d rows, server stored %d, want %d", n, len(want), len(lines))
	}
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *s)
}
