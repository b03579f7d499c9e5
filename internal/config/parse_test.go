package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// src joins lines into a YAML document, so that line numbers are easy to
// read off the test case.
func src(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func mustLoad(t *testing.T, path string) *Config {
	t.Helper()
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the whole error text, lines joined by \n
	}{
		{"empty", "", `twin.yaml:1: the config is empty; it starts with "version: 1"`},
		{"only comments", "# nothing\n", `twin.yaml:1: the config is empty; it starts with "version: 1"`},
		{"null document", "~\n", `twin.yaml:1: the config is empty; it starts with "version: 1"`},
		{"not a mapping", "- version: 1\n", `twin.yaml:1: the config must be a mapping of keys (version: 1, roots: …), got a list`},
		{"scalar", "hello\n", `twin.yaml:1: the config must be a mapping of keys (version: 1, roots: …), got "hello"`},
		{"syntax", src("version: 1", "roots: [", ""), `twin.yaml:3: YAML syntax: did not find expected node content; check the indentation, quotes and brackets there`},
		{"unknown anchor", src("version: 1", "roots: *base"), `twin.yaml:2: unknown anchor 'base' referenced`},
		{"control character", "version: 1\nroots:\n  - {table: \x01}\n", `twin.yaml:3: control characters are not allowed`},
		{"invalid UTF-8", "version: 1\n\nroots: [\xff]\n", `twin.yaml:3: invalid leading UTF-8 octet`},
		{"two documents", src("version: 1", "---", "version: 1"), `twin.yaml:2: a config is one YAML document; found a second one`},
		{"version missing", src("roots:", "  - {table: users, all: true}"), `twin.yaml:1: version: missing; the config starts with "version: 1"`},
		{"version 2", src("# comment", "version: 2"), `twin.yaml:2: version 2 is not supported; this pgtwin reads version 1`},
		{"version text", src("version: one"), `twin.yaml:1: version: must be a whole number, got "one"`},
		{"version float", src("version: 1.5"), `twin.yaml:1: version: must be a whole number, got 1.5`},
		{"unknown key", src("version: 1", "root:", "  - table: users"), `twin.yaml:2: root: unknown key; did you mean roots?`},
		{"unknown key, no suggestion", src("version: 1", "colour: red"), `twin.yaml:2: colour: unknown key`},
		{"duplicate key", src("version: 1", "roots: []", "roots: []"), `twin.yaml:3: roots: duplicate key (first on line 2)`},
		{"negative limit", src(
			"version: 1",
			"roots:",
			"  - table: users",
			"    all: true",
			"  - table: orders",
			"    order_by: id",
			"    limit: -5",
		), `twin.yaml:7: roots[1].limit: must be 0 or more, got -5`},
		{"unknown key and bad value in one root", src(
			"version: 1",
			"roots:",
			"  - table: users",
			"    wher: id > 0",
			"    limit: -5",
		), "twin.yaml:4: roots[0].wher: unknown key; did you mean where?\n" +
			"twin.yaml:5: roots[0].limit: must be 0 or more, got -5"},
		{"budgets", src(
			"version: 1",
			"budgets:",
			"  max_rows: 0",
			"  max_bytes: 12 parsecs",
			"  max_duration: soon",
		), "twin.yaml:3: budgets.max_rows: must be 1 or more, got 0\n" +
			`twin.yaml:4: budgets.max_bytes: "12 parsecs" is not a size; write a number of bytes or a size such as 500MB or 2GB` + "\n" +
			`twin.yaml:5: budgets.max_duration: "soon" is not a duration; write one such as 90s, 15m or 1h30m`},
		{"budgets, negative duration", src("version: 1", "budgets: {max_duration: -5m, max_bytes: 0}"),
			"twin.yaml:2: budgets.max_bytes: \"0\" is out of range; a size is at least 1 byte\n" +
				`twin.yaml:2: budgets.max_duration: "-5m" is not more than 0`},
		{"limit not a number", src("version: 1", "roots:", "  - {table: users, limit: ten}"), `twin.yaml:3: roots[0].limit: must be a whole number, got "ten"`},
		{"limit too big", src("version: 1", "roots:", "  - {table: users, limit: 99999999999999999999}"), `twin.yaml:3: roots[0].limit: must be a whole number, got 99999999999999999999`},
		{"percent zero", src("version: 1", "roots:", "  - table: users", "    percent: 0"), `twin.yaml:4: roots[0].percent: must be more than 0 and at most 100, got 0`},
		{"percent over 100", src("version: 1", "roots:", "  - table: users", "    percent: 100.5"), `twin.yaml:4: roots[0].percent: must be more than 0 and at most 100, got 100.5`},
		{"percent nan", src("version: 1", "roots:", "  - table: users", "    percent: .nan"), `twin.yaml:4: roots[0].percent: must be more than 0 and at most 100, got NaN`},
		{"percent text", src("version: 1", "roots:", "  - table: users", "    percent: 5%"), `twin.yaml:4: roots[0].percent: must be a number, got "5%"`},
		{"no selector", src("version: 1", "roots:", "  - table: users"), `twin.yaml:3: roots[0]: selects no rows; give it where, limit, percent or all`},
		{"all with others", src("version: 1", "roots:", "  - table: users", "    all: true", "    where: id > 0", "    limit: 5"),
			`twin.yaml:4: roots[0].all: all takes every row; it cannot be combined with where or limit`},
		{"limit with percent", src("version: 1", "roots:", "  - table: users", "    limit: 5", "    percent: 5"),
			`twin.yaml:5: roots[0].percent: cannot be combined with limit; use one of them`},
		{"order_by without limit", src("version: 1", "roots:", "  - table: users", "    where: id > 0", "    order_by: id"),
			`twin.yaml:5: roots[0].order_by: needs limit (order_by picks the rows that limit keeps)`},
		{"all is not a bool", src("version: 1", "roots:", "  - table: users", "    all: yes"), `twin.yaml:4: roots[0].all: must be true or false, got "yes"`},
		{"empty where", src("version: 1", "roots:", "  - table: users", "    where: '  '", "    limit: 1"), `twin.yaml:4: roots[0].where: must not be empty`},
		{"second statement", src("version: 1", "roots:", "  - table: users", "    where: id > 0; DROP TABLE users"),
			`twin.yaml:4: roots[0].where: found ';' at character 7; give one SQL expression, not statements`},
		{"escaping parenthesis", src("version: 1", "roots:", "  - table: users", "    where: true) UNION SELECT 1 FROM pg_class WHERE (true"),
			`twin.yaml:4: roots[0].where: found ')' at character 5 without a matching '('`},
		{"open quote", src("version: 1", "roots:", "  - table: users", `    where: "name = 'x"`),
			`twin.yaml:4: roots[0].where: the string starting at character 8 is not closed`},
		{"table missing", src("version: 1", "roots:", "  - where: id > 0"), `twin.yaml:3: roots[0].table: missing`},
		{"table empty", src("version: 1", "roots:", "  - table: ''", "    all: true"), `twin.yaml:3: roots[0].table: must not be empty`},
		{"table name not an identifier", src("version: 1", "roots:", "  - table: Sales Dept.orders", "    all: true"),
			`twin.yaml:3: roots[0].table: table name "Sales Dept.orders": unexpected 'D' at byte 7; quote names that are not plain identifiers`},
		{"table name with three parts", src("version: 1", "tables:", "  - table: db.public.users", "    copy: all"),
			`twin.yaml:3: tables[0].table: table name "db.public.users": has more than 2 parts; write schema.table`},
		{"table is a list", src("version: 1", "roots:", "  - table: [users]", "    all: true"), `twin.yaml:3: roots[0].table: must be text, got a list`},
		{"roots is a mapping", src("version: 1", "roots:", "  table: users"), `twin.yaml:3: roots: must be a list, got a mapping`},
		{"root is a string", src("version: 1", "roots:", "  - users"), `twin.yaml:3: roots[0]: must be a mapping of keys, got "users"`},
		{"duplicate roots", src("version: 1", "roots:", "  - {table: users, all: true}", "  - {table: Public.USERS, limit: 5}", "  - {table: public.users, limit: 5}"),
			`twin.yaml:5: roots[2].table: public.users already has a root (roots[1], line 4); one root per table: combine the conditions`},
		{"duplicate roots, same name", src("version: 1", "roots:", "  - {table: users, all: true}", "  - {table: '\"users\"', limit: 5}"),
			`twin.yaml:4: roots[1].table: "users" already has a root (roots[0], line 3); one root per table: combine the conditions`},
		{"root and table rule", src("version: 1", "tables:", "  - {table: users, copy: all}", "roots:", "  - {table: users, limit: 5}"),
			`twin.yaml:5: roots[0].table: users has both a root and a table rule (tables[0], line 3); keep one`},
		{"duplicate table rules", src("version: 1", "tables:", "  - {table: users, copy: all}", "  - {table: users, copy: schema}"),
			`twin.yaml:4: tables[1].table: users already has a table rule (tables[0], line 3)`},
		{"copy invalid", src("version: 1", "tables:", "  - table: users", "    copy: some"), `twin.yaml:4: tables[0].copy: must be "all" or "schema", got "some"`},
		{"copy missing", src("version: 1", "tables:", "  - table: users"), `twin.yaml:3: tables[0].copy: missing; use "all" (every row) or "schema" (no rows)`},
		{"fk rule without columns or name", src("version: 1", "foreign_keys:", "  - table: orders", "    cut: true"),
			`twin.yaml:3: foreign_keys[0]: says which foreign key it is about with columns or name`},
		{"fk rule without effect", src("version: 1", "foreign_keys:", "  - table: orders", "    columns: [user_id]"),
			`twin.yaml:3: foreign_keys[0]: changes nothing; set follow_children, children_where or cut`},
		{"children_where with follow_children false", src("version: 1", "foreign_keys:", "  - table: orders", "    columns: [user_id]", "    follow_children: false", "    children_where: id > 0"),
			`twin.yaml:6: foreign_keys[0].children_where: has no effect with follow_children: false`},
		{"fk columns is a string", src("version: 1", "foreign_keys:", "  - table: orders", "    columns: user_id", "    cut: true"),
			`twin.yaml:4: foreign_keys[0].columns: must be a list, got "user_id"`},
		{"fk column twice", src("version: 1", "foreign_keys:", "  - table: orders", "    columns: [user_id, User_Id]", "    cut: true"),
			`twin.yaml:4: foreign_keys[0].columns[1]: user_id is listed twice`},
		{"fk cut not a bool", src("version: 1", "foreign_keys:", "  - table: orders", "    name: x", "    cut: 1"),
			`twin.yaml:5: foreign_keys[0].cut: must be true or false, got 1`},
		{"virtual fk incomplete", src("version: 1", "virtual_foreign_keys:", "  - table: invoices"),
			"twin.yaml:3: virtual_foreign_keys[0].references: missing\n" +
				"twin.yaml:3: virtual_foreign_keys[0].columns: missing; list the referencing columns"},
		{"virtual fk column counts", src("version: 1", "virtual_foreign_keys:", "  - table: invoices", "    columns: [a, b]", "    references: users", "    referenced_columns: [id]"),
			`twin.yaml:6: virtual_foreign_keys[0].referenced_columns: has 1 column but columns has 2`},
		{"schema listed twice", src("version: 1", "schemas:", "  include: [public, sales, Public]"), `twin.yaml:3: schemas.include[2]: public is listed twice`},
		{"schema name invalid", src("version: 1", "schemas:", "  exclude:", "    - a.b"), `twin.yaml:4: schemas.exclude[0]: schema name "a.b": unexpected '.' at byte 2; quote names that hold a dot`},
		{"url_env invalid", src("version: 1", "source:", "  url_env: postgres://prod/db"), `twin.yaml:3: source.url_env: "postgres://prod/db" is not an environment variable name`},
		{"url_env not text", src("version: 1", "target:", "  url_env: {a: b}"), `twin.yaml:3: target.url_env: must be text, got a mapping`},
		{"several problems, sorted by line", src(
			"roots:",
			"  - {table: users, limit: -1}",
			"tables:",
			"  - {table: users, copy: rows}",
			"version: 3",
		), "twin.yaml:2: roots[0].limit: must be 0 or more, got -1\n" +
			"twin.yaml:4: tables[0].copy: must be \"all\" or \"schema\", got \"rows\"\n" +
			"twin.yaml:4: tables[0].table: users has both a root and a table rule (roots[0], line 2); keep one\n" +
			"twin.yaml:5: version 3 is not supported; this pgtwin reads version 1"},
		{"merge key of the wrong shape", src("version: 1", "roots:", "  - <<: 5", "    table: users", "    all: true"),
			`twin.yaml:3: roots[0].<<: must be a mapping or a list of mappings, got 5`},
		{"alias bomb", aliasBomb(), `twin.yaml:2: the config expands to more than 100000 values through YAML aliases`},
		{"merge bomb", mergeBomb(), `twin.yaml:3: the config expands to more than 100000 values through YAML aliases`},
		{"too many problems", manyProblems(), manyProblemsWant()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("twin.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error; got %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("got a config along with the error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "twin.yaml" {
				t.Errorf("error is not a *Error for twin.yaml: %#v", err)
			}
		})
	}
}

// aliasBomb is a small file (20 kB) that would expand to a config with
// over 100000 values through aliases (1.1 million).
func aliasBomb() string {
	return src(
		"version: 1",
		"schemas: {include: &c [&x a, "+strings.Repeat("*x, ", 1100)+"*x]}",
		"foreign_keys: &fk ["+strings.Repeat("{table: t, cut: true, columns: *c}, ", 1000)+"{}]",
	)
}

// mergeBomb doubles the work of each merge level: 2^40 keys.
func mergeBomb() string {
	lines := []string{"version: 1", "roots:", "  - &m0 {table: a, all: true}"}
	for i := 1; i <= 40; i++ {
		lines = append(lines, fmt.Sprintf("  - &m%d {<<: [*m%d, *m%d]}", i, i-1, i-1))
	}
	return src(lines...)
}

func manyProblems() string {
	lines := []string{"version: 1", "roots:"}
	for i := range 60 {
		lines = append(lines, fmt.Sprintf("  - {table: t%d, limit: -1}", i))
	}
	return src(lines...)
}

func manyProblemsWant() string {
	var want []string
	for i := range 50 {
		want = append(want, fmt.Sprintf("twin.yaml:%d: roots[%d].limit: must be 0 or more, got -1", i+3, i))
	}
	return strings.Join(append(want, "twin.yaml: 10 more problems not shown"), "\n")
}

func TestParseFull(t *testing.T) {
	cfg, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != "testdata/full.yaml" || cfg.Version != 1 {
		t.Errorf("file %q version %d", cfg.File, cfg.Version)
	}
	if cfg.Source.URLEnv != "PROD_DATABASE_URL" || cfg.Target.URLEnv != "DEV_DATABASE_URL" || cfg.Source.Line != 6 {
		t.Errorf("source %+v target %+v", cfg.Source, cfg.Target)
	}
	if got := strings.Join(cfg.Schemas.Include, ","); got != `public,sales,"Sales Dept",audit` || cfg.Schemas.Exclude[0] != "audit" || cfg.Schemas.Line != 12 {
		t.Errorf("schemas %+v", cfg.Schemas)
	}
	if len(cfg.Tables) != 2 || cfg.Tables[1] != (TableRule{Table: "public.event_log", Copy: CopySchema, Line: 20}) {
		t.Errorf("tables %+v", cfg.Tables)
	}
	r := cfg.Roots
	if len(r) != 4 {
		t.Fatalf("roots %+v", r)
	}
	if r[0].Table != "users" || r[0].OrderBy != "id DESC" || r[0].Limit == nil || *r[0].Limit != 100 || r[0].Line != 25 {
		t.Errorf("roots[0] %+v", r[0])
	}
	if r[1].Table != `"Sales Dept"."Order Lines"` || r[1].Where != "status = 'open'" || r[1].Line != 29 {
		t.Errorf("roots[1] %+v", r[1])
	}
	if r[2].Percent == nil || *r[2].Percent != 5 || !r[3].All {
		t.Errorf("roots[2..3] %+v %+v", r[2], r[3])
	}
	f := cfg.ForeignKeys
	if len(f) != 3 || f[0].FollowChildren == nil || !*f[0].FollowChildren || f[0].ChildrenWhere == "" ||
		f[1].Name != "users_last_order_fk" || f[1].References != "orders" || !f[1].Cut ||
		f[2].FollowChildren == nil || *f[2].FollowChildren || f[2].Line != 47 {
		t.Errorf("foreign_keys %+v", f)
	}
	v := cfg.VirtualForeignKeys
	if len(v) != 1 || v[0].Table != "sales.invoices" || v[0].Columns[0] != "customer_ref" ||
		v[0].References != "users" || v[0].ReferencedColumns[0] != "external_id" || v[0].Line != 53 {
		t.Errorf("virtual_foreign_keys %+v", v)
	}
	if l := cfg.Line("roots[0].where", 0); l != 26 {
		t.Errorf("line of roots[0].where = %d, want 26", l)
	}
}

func TestParseAnchorsAndMerge(t *testing.T) {
	cfg, err := Parse("twin.yaml", []byte(src(
		"version: 1",
		"x-recent: &recent",
		"  where: created_at > now() - interval '1 day'",
		"  limit: 10",
		"roots: []",
	)))
	// x-recent is not a key of the config
	if err == nil || err.Error() != `twin.yaml:2: x-recent: unknown key` {
		t.Fatalf("err = %v", err)
	}
	cfg, err = Parse("twin.yaml", []byte(src(
		"version: 1",
		"roots:",
		"  - &recent",
		"    table: users",
		"    where: created_at > now() - interval '1 day'",
		"    limit: 10",
		"  - <<: *recent",
		"    table: orders",
		"    limit: 20",
		"foreign_keys:",
		"  - {table: orders, columns: &cols [user_id], cut: true}",
		"  - {table: payments, columns: *cols, cut: true}",
	)))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Roots[1]
	if r.Table != "orders" || r.Where != cfg.Roots[0].Where || *r.Limit != 20 || r.Line != 7 {
		t.Errorf("merged root %+v", r)
	}
	if cfg.ForeignKeys[1].Columns[0] != "user_id" {
		t.Errorf("aliased columns %+v", cfg.ForeignKeys[1])
	}
}

func TestParseNullsAreLeftOut(t *testing.T) {
	cfg, err := Parse("twin.yaml", []byte(src(
		"version: 1",
		"source:",
		"schemas: ~",
		"roots:",
		"  - table: users",
		"    where: id > 0",
		"    limit:",
	)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Roots[0].Limit != nil || cfg.Source.URLEnv != "" {
		t.Errorf("%+v", cfg)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	if err == nil || !strings.Contains(err.Error(), "read config: open testdata/does-not-exist.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func TestProblems(t *testing.T) {
	_, err := Parse("twin.yaml", []byte(src("version: 1", "roots:", "  - {table: a, limit: -1}", "  - {table: b, percent: 0}")))
	ps := Problems(err)
	if len(ps) != 2 || ps[0].Line != 3 || ps[0].Path != "roots[0].limit" || ps[1].Line != 4 {
		t.Fatalf("problems %+v", ps)
	}
}

// TestFullUsesEveryKey keeps testdata/full.yaml, the documentation's
// example, complete: it must use every key of the config.
func TestFullUsesEveryKey(t *testing.T) {
	cfg := mustLoad(t, "testdata/full.yaml")
	used := map[string]bool{}
	for path := range cfg.lines {
		used[indexRE.ReplaceAllString(path, "")] = true
	}
	var walk func(typ reflect.Type, prefix string)
	walk = func(typ reflect.Type, prefix string) {
		for key, i := range yamlFields(typ) {
			p := join(prefix, key)
			if !used[p] {
				t.Errorf("testdata/full.yaml does not use %s", p)
			}
			ft := typ.FieldByIndex(i).Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, p)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
}

var indexRE = regexp.MustCompile(`\[\d+\]`)
