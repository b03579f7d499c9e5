package clone_test

import (
	"os"
	"testing"
)

// TestDataTypes twins rows whose values are hard to carry: keys and values
// of every awkward type, generated and identity columns, and a trigger that
// fails the load if it fires.
func TestDataTypes(t *testing.T) {
	t.Parallel()
	twinCase{
		name: "types",
		schema: `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE point3 AS (x float8, y float8, z float8);
CREATE DOMAIN positive AS numeric CHECK (VALUE > 0 OR VALUE = 'NaN' OR VALUE = 'Infinity');
CREATE TABLE tags (name text PRIMARY KEY);
CREATE TABLE blobs (key bytea PRIMARY KEY, tag text REFERENCES tags);
CREATE TABLE things (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label text NOT NULL REFERENCES tags,
    blob bytea REFERENCES blobs,
    moods mood[],
    pos point3,
    amount positive,
    doc jsonb,
    at timestamptz,
    label_length int GENERATED ALWAYS AS (length(label)) STORED
);
CREATE TABLE log (at timestamptz);
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'a trigger fired during the load'; END $$;
CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON things FOR EACH ROW WHEN (current_setting('app.seeding', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION refuse();
CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON tags FOR EACH ROW WHEN (current_setting('app.seeding', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION refuse();
SET app.seeding = 'on';
INSERT INTO tags VALUES (E'tab\there'), (E'new\nline'), (E'back\\slash'), ('\N'), ('quote''s "double"'), ('ünïcödé ✓'), (''), ('{brace,comma}'), ('unused');
INSERT INTO blobs VALUES ('\x00ff00'::bytea, E'tab\there'), ('\x5c4e'::bytea, '\N'), (''::bytea, NULL);
INSERT INTO things (label, blob, moods, pos, amount, doc, at) VALUES
  (E'tab\there', '\x00ff00', '{sad,happy}', '(1,2,3)', 'NaN', '{"a": "x\ty", "b": [1, null]}', 'infinity'),
  (E'new\nline', '\x5c4e', '{}', NULL, 'Infinity', 'null', '-infinity'),
  (E'back\\slash', '', NULL, '(-0.5,1e300,NaN)', 12.50, '"\\u00e9"', '2024-02-29 12:00:00+05:30'),
  ('\N', NULL, '{ok,NULL}', '(,,)', 0.0001, '[]', NULL),
  ('quote''s "double"', NULL, '{ok}', NULL, 1, '{}', now()),
  ('ünïcödé ✓', NULL, NULL, NULL, NULL, NULL, NULL),
  ('', NULL, NULL, NULL, NULL, NULL, NULL),
  ('{brace,comma}', NULL, NULL, NULL, NULL, NULL, NULL);
RESET app.seeding;
SELECT setval(pg_get_serial_sequence('things', 'id'), 100);`,
		config: `
version: 1
roots:
  - table: things
    where: id <> 7
`,
		want: map[string][]string{
			"public.things": {"(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(8)"},
			"public.tags":   {`("tab	here")`, "(\"new\nline\")", `("back\\slash")`, `("\\N")`, `("quote's ""double""")`, `("ünïcödé ✓")`, `("{brace,comma}")`},
			"public.blobs":  {`("\\x00ff00")`, `("\\x5c4e")`, `("\\x")`},
		},
	}.run(t)
}

// TestFixture twins the catalog fixture, which has every shape of schema
// the catalog reads (quoted names, partitions, inheritance, cycles).
func TestFixture(t *testing.T) {
	t.Parallel()
	fixture, err := os.ReadFile("../catalog/testdata/fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []twinCase{
		{name: "roots", schema: string(fixture), config: `
version: 1
roots:
  - table: '"Sales Dept"."Customers"'
    all: true
  - table: orders
    where: id > 0
  - table: events
    percent: 50
  - table: departments
    limit: 1
tables:
  - table: countries
    copy: all
foreign_keys:
  - table: users
    columns: [country]
    cut: true
`,
			// The half of events the sample takes (pinned: see percent_test.go).
			pinned: map[string][]string{"public.events": {
				`(1,"2023-05-01 12:00:00+00")`, `(2,"2023-11-11 12:00:00+00")`, `(4,"2024-08-01 12:00:00+00")`,
			}}},
		{name: "nothing", schema: string(fixture), config: "version: 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t) })
	}
}
