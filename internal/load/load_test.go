package load_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// previousTwin is what the target holds before a load: a twin of its own
// and a table of another schema that a load must not touch.
const previousTwin = `
CREATE TABLE public.old (id int PRIMARY KEY);
INSERT INTO public.old VALUES (1), (2);
CREATE SCHEMA keep;
CREATE TABLE keep.notes (id int);
INSERT INTO keep.notes VALUES (7);
`

// twinDDL is the pre-data of the twin the tests load: quoted names, a
// sequence, a nullable key to cut, a materialized view.
const twinDDL = `
CREATE TABLE public."Parent" (id int NOT NULL, name text);
CREATE TABLE public.child (id int NOT NULL, parent_id int, note text);
CREATE SEQUENCE public.child_seq;
CREATE MATERIALIZED VIEW public.child_count AS SELECT count(*) AS n FROM public.child WITH NO DATA;
`

// TestLoad drives a Loader as a run does and reads the result back with
// SQL of its own: schemas replaced (others untouched), text and binary
// COPY with FREEZE, a cut key counted, sequences, a refreshed view, the
// marker; and a rolled-back load that leaves the previous twin.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t, previousTwin)
	conn := pgtest.Connect(t, db)
	parent := catalog.Name{Schema: "public", Name: "Parent"}
	child := catalog.Name{Schema: "public", Name: "child"}

	// begin starts a load: public replaced by the twin's tables.
	begin := func() *load.Loader {
		t.Helper()
		l, err := load.Begin(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.ReplaceSchemas(ctx, []string{"public"}, "CREATE SCHEMA public;\n"); err != nil {
			t.Fatal(err)
		}
		if err := l.Exec(ctx, twinDDL); err != nil {
			t.Fatal(err)
		}
		return l
	}

	// A load that fails half-way leaves the target as it was.
	l := begin()
	if err := l.Copy(ctx, parent, []string{"id", "name"}, strings.NewReader("1\tnot a row\tthree fields\n")); err == nil {
		t.Fatal("a bad COPY row was taken")
	}
	l.Rollback(ctx)
	if got := pgtest.Strings(t, conn, "SELECT id::text FROM public.old ORDER BY 1"); !cmp.Equal(got, []string{"1", "2"}) {
		t.Fatalf("after a rolled-back load public.old holds %v", got)
	}

	l = begin()
	l.Freeze([]catalog.Name{parent, child})
	if err := l.Copy(ctx, parent, []string{"id", "name"}, strings.NewReader("1\tAda\n2\t\\N\n")); err != nil {
		t.Fatal(err)
	}
	// The same rows as binary COPY: a header, one tuple of two fields, the trailer.
	binary := "PGCOPY\n\xff\r\n\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00" +
		"\x00\x02" + "\x00\x00\x00\x04\x00\x00\x00\x03" + "\x00\x00\x00\x03Bob" + "\xff\xff"
	if err := l.CopyBinary(ctx, parent, []string{"id", "name"}, strings.NewReader(binary)); err != nil {
		t.Fatal(err)
	}
	if err := l.Copy(ctx, child, []string{"id", "parent_id", "note"}, strings.NewReader("10\t1\ta\n11\t9\tparent 9 is not in the twin\n12\t\\N\tno parent\n13\t9\tnor here\n")); err != nil {
		t.Fatal(err)
	}
	fk := &catalog.ForeignKey{Child: child, ChildColumns: []string{"parent_id"}, Parent: parent, ParentColumns: []string{"id"}}
	cut, err := l.CutKey(ctx, fk)
	if err != nil {
		t.Fatal(err)
	}
	if cut != 2 {
		t.Errorf("CutKey cut %d rows, want 2 (the children of parent 9)", cut)
	}
	if err := l.Exec(ctx, `ALTER TABLE public."Parent" ADD PRIMARY KEY (id); ALTER TABLE public.child ADD FOREIGN KEY (parent_id) REFERENCES public."Parent"`); err != nil {
		t.Fatalf("the twin's key does not hold after the cut: %v", err)
	}
	if err := l.SetSequences(ctx, []load.SequenceValue{{Name: catalog.Name{Schema: "public", Name: "child_seq"}, Value: 41, IsCalled: true}}); err != nil {
		t.Fatal(err)
	}
	if err := l.RefreshMatviews(ctx, []string{"public"}); err != nil {
		t.Fatal(err)
	}
	snap := time.Date(2026, 12, 2, 1, 2, 3, 456000000, time.UTC)
	marker := load.Marker{CreatedAt: snap.Add(time.Minute), SnapshotAt: snap, Source: "o'brien@prod:5432/shop", ConfigHash: strings.Repeat("ab", 32),
		Version: "test", Schemas: []string{"public"}, Rows: map[string]int64{"public.Parent": 3, "public.child": 4},
		MaskKeyFingerprint: "sha256:0123456789ab", Masked: []load.MaskedColumn{{Table: parent, Column: "name", Mask: "name"}}}
	if err := l.WriteMarker(ctx, marker); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	for sql, want := range map[string][]string{
		`SELECT id || ':' || coalesce(name, 'NULL') FROM public."Parent" ORDER BY id`:                    {"1:Ada", "2:NULL", "3:Bob"},
		`SELECT id || ':' || coalesce(parent_id::text, 'NULL') FROM public.child ORDER BY id`:            {"10:1", "11:NULL", "12:NULL", "13:NULL"},
		`SELECT last_value || ' ' || is_called FROM public.child_seq`:                                    {"41 true"},
		`SELECT n::text FROM public.child_count`:                                                         {"4"},
		`SELECT id::text FROM keep.notes`:                                                                {"7"},
		`SELECT count(*)::text FROM pg_class WHERE relname = 'old'`:                                      {"0"},
		`SELECT source || ' ' || snapshot_at AT TIME ZONE 'UTC' || ' ' || masked::text FROM pgtwin.runs`: {`o'brien@prod:5432/shop 2026-12-02 01:02:03.456 [{"mask": "name", "table": {"name": "Parent", "schema": "public"}, "column": "name"}]`},
	} {
		if got := pgtest.Strings(t, conn, sql); !cmp.Equal(got, want) {
			t.Errorf("%s\n got %q\nwant %q", sql, got, want)
		}
	}
	got, err := load.ReadMarker(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(marker, *got); d != "" {
		t.Errorf("ReadMarker (-written +read):\n%s", d)
	}
}

// TestIndexedForeignKeysSQL checks that a key added with hash joins off is
// still checked: an orphan row fails it, whole rows make it valid, and the
// session's planner settings are its defaults again afterwards.
func TestIndexedForeignKeysSQL(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	conn := pgtest.Connect(t, db)
	const add = `ALTER TABLE ONLY public.child ADD CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES public.parent(id);`
	for _, orphan := range []bool{true, false} {
		l, err := load.Begin(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		rows := "INSERT INTO child SELECT i, i % 1000 + 1 FROM generate_series(1, 20000) i;"
		if orphan {
			rows += "INSERT INTO child VALUES (0, 1001);"
		}
		if err := l.Exec(ctx, `CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int);
INSERT INTO parent SELECT generate_series(1, 1000);
`+rows+`
CREATE INDEX ON child (parent_id);`); err != nil {
			t.Fatal(err)
		}
		err = l.Exec(ctx, load.IndexedForeignKeysSQL(add))
		if orphan {
			if err == nil || !strings.Contains(err.Error(), `violates foreign key constraint "child_parent"`) {
				t.Errorf("orphan row: err = %v, want a foreign key violation", err)
			}
			l.Rollback(ctx)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got := pgtest.Strings(t, conn, `SELECT current_setting('enable_hashjoin') || ' ' ||
  (SELECT convalidated::text FROM pg_constraint WHERE conname = 'child_parent')`)
		if want := []string{"on true"}; !cmp.Equal(got, want) {
			t.Errorf("after the key: settings and validity = %q, want %q", got, want)
		}
		if err := l.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
