package config

import (
	"slices"
	"testing"
)

func TestMaskingParseErrors(t *testing.T) {
	head := []string{"version: 1", "masking:"}
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"bad key env", []string{"  key_env: 9KEY"}, `twin.yaml:3: masking.key_env: "9KEY" is not an environment variable name`},
		{"bad unlisted", []string{"  unlisted: ignore"}, `twin.yaml:3: masking.unlisted: must be "refuse" or "warn", got "ignore"`},
		{"no column", []string{"  columns:", "    - {table: users, mask: email}"}, `twin.yaml:4: masking.columns[0]: says which column to mask with column or columns`},
		{"column and columns", []string{"  columns:", "    - table: users", "      column: a", "      columns: [b]", "      mask: text"},
			`twin.yaml:6: masking.columns[0].columns: cannot be combined with column; use one of them`},
		{"no mask", []string{"  columns:", "    - {table: users, column: email}"},
			`twin.yaml:4: masking.columns[0]: says how to mask with mask (or paths, for json); "mask: keep" marks a reviewed column that is not personal`},
		{"unknown mask", []string{"  columns:", "    - table: users", "      column: email", "      mask: emial"},
			`twin.yaml:6: masking.columns[0].mask: unknown mask "emial"; did you mean email?`},
		{"unknown mask, no suggestion", []string{"  columns:", "    - table: users", "      column: email", "      mask: scramble"},
			`twin.yaml:6: masking.columns[0].mask: unknown mask "scramble"; the masks are email, name, first_name, last_name, digits, text, hash, uuid, int, numeric, date, timestamp, null, value, template, sql, keep`},
		{"noise on text", []string{"  columns:", "    - table: users", "      column: email", "      mask: text", "      noise: 3"},
			`twin.yaml:7: masking.columns[0].noise: is only for mask: int or numeric`},
		{"value missing", []string{"  columns:", "    - table: users", "      column: notes", "      mask: value"},
			`twin.yaml:4: masking.columns[0].value: missing; a value mask needs the value to write (use mask: null for NULL)`},
		{"template brace", []string{"  columns:", "    - table: users", "      column: email", "      mask: template", "      template: 'user{id@x'"},
			`twin.yaml:7: masking.columns[0].template: has an unmatched brace; {column} stands for a column, {{ and }} for braces`},
		{"sql missing", []string{"  columns:", "    - table: users", "      column: name", "      mask: sql"},
			`twin.yaml:6: masking.columns[0].sql: missing; a sql mask needs the expression that computes the value`},
		{"sql with two statements", []string{"  columns:", "    - table: users", "      column: name", "      mask: sql", "      sql: \"'x'; drop table users\""},
			`twin.yaml:7: masking.columns[0].sql: found ';' at character 4; give one SQL expression, not statements`},
		{"paths and mask", []string{"  columns:", "    - table: users", "      column: profile", "      mask: text", "      paths: [{path: $.a, mask: email}]"},
			`twin.yaml:6: masking.columns[0].mask: cannot be combined with paths: each path has its own mask`},
		{"bad path", []string{"  columns:", "    - table: users", "      column: profile", "      paths:", "        - path: contact.email", "          mask: email"},
			`twin.yaml:7: masking.columns[0].paths[0].path: "contact.email" is not a path pgtwin reads: start with $ and use .key or [*] steps, such as $.contact.email or $.phones[*]`},
		{"sql on a path", []string{"  columns:", "    - table: users", "      column: profile", "      paths:", "        - path: $.a", "          mask: sql"},
			`twin.yaml:8: masking.columns[0].paths[0].mask: sql cannot mask a path; the source evaluates sql for whole columns only`},
		{"days below one", []string{"  columns:", "    - table: users", "      column: born", "      mask: date", "      days: 0"},
			`twin.yaml:7: masking.columns[0].days: must be 1 or more, got 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("twin.yaml", []byte(src(append(slices.Clone(head), tt.lines...)...)))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant   %s", err, tt.want)
			}
		})
	}
}

func TestTemplateColumns(t *testing.T) {
	got := TemplateColumns("{{literal}} user{id}-{Name}@{id}.example.com")
	if want := []string{"id", "Name"}; !slices.Equal(got, want) {
		t.Fatalf("TemplateColumns = %q, want %q", got, want)
	}
}
