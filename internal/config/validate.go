package config

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Line returns the line of the key at path, or fallback when Parse did not
// record one.
func (c *Config) Line(path string, fallback int) int {
	if l, ok := c.lines[path]; ok {
		return l
	}
	return fallback
}

func (c *Config) has(path string) bool {
	_, ok := c.lines[path]
	return ok
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate checks what the types cannot say. Entries with shape errors are
// skipped, so that one mistake is reported once.
func (d *decoder) validate(c *Config, top int) {
	c.lines = d.lines
	if !d.failed("version") {
		switch {
		case !c.has("version"):
			d.add(top, "version", `missing; the config starts with "version: 1"`)
		case c.Version != 1:
			d.add(c.Line("version", top), "", "version %d is not supported; this pgtwin reads version 1", c.Version)
		}
	}
	d.endpoints(c)
	if !d.failed("schemas.include") {
		d.schemaList(c, "schemas.include", c.Schemas.Include)
	}
	if !d.failed("schemas.exclude") {
		d.schemaList(c, "schemas.exclude", c.Schemas.Exclude)
	}

	// Tables named by roots and table rules, to catch duplicates early; the
	// later one in the file is reported.
	type claim struct {
		path, raw, what string
		line            int
	}
	var claims []claim
	defer func() {
		slices.SortStableFunc(claims, func(a, b claim) int { return cmp.Compare(a.line, b.line) })
		owners := map[[2]string]string{}
		for _, cl := range claims {
			s, t, _ := ParseTableName(cl.raw)
			k := [2]string{s, t}
			if first, ok := owners[k]; ok {
				d.add(cl.line, cl.path, "%s %s", cl.raw, conflictMsg(first, cl.what, c))
				continue
			}
			owners[k] = cl.what + "|" + strings.TrimSuffix(cl.path, ".table")
		}
	}()

	for i, t := range c.Tables {
		e := fmt.Sprintf("tables[%d]", i)
		if d.tableName(c, e+".table", t.Table, t.Line) {
			claims = append(claims, claim{e + ".table", t.Table, "table rule", c.Line(e+".table", t.Line)})
		}
		switch {
		case d.failed(e + ".copy"):
		case t.Copy == "":
			d.add(c.Line(e+".copy", t.Line), e+".copy", `missing; use "all" (every row) or "schema" (no rows)`)
		case t.Copy != CopyAll && t.Copy != CopySchema:
			d.add(c.Line(e+".copy", t.Line), e+".copy", `must be "all" or "schema", got %q`, t.Copy)
		}
	}

	for i, r := range c.Roots {
		e := fmt.Sprintf("roots[%d]", i)
		at := func(key string) int { return c.Line(e+"."+key, r.Line) }
		if d.tableName(c, e+".table", r.Table, r.Line) {
			claims = append(claims, claim{e + ".table", r.Table, "root", at("table")})
		}
		d.fragment(c, e+".where", r.Where, r.Line)
		d.fragment(c, e+".order_by", r.OrderBy, r.Line)
		if r.Limit != nil && *r.Limit < 0 {
			d.add(at("limit"), e+".limit", "must be 0 or more, got %d", *r.Limit)
		}
		if r.Percent != nil && !(*r.Percent > 0 && *r.Percent <= 100) {
			d.add(at("percent"), e+".percent", "must be more than 0 and at most 100, got %s", formatFloat(*r.Percent))
		}
		switch {
		case d.bad[e]:
			// a key with a shape error may have been the selector
		case r.All:
			var with []string
			for _, k := range []string{"where", "order_by", "limit", "percent"} {
				if c.has(e + "." + k) {
					with = append(with, k)
				}
			}
			if len(with) > 0 {
				d.add(at("all"), e+".all", "all takes every row; it cannot be combined with %s", strings.Join(with, " or "))
			}
		case r.Limit != nil && r.Percent != nil:
			d.add(at("percent"), e+".percent", "cannot be combined with limit; use one of them")
		case r.OrderBy != "" && r.Limit == nil:
			d.add(at("order_by"), e+".order_by", "needs limit (order_by picks the rows that limit keeps)")
		case r.Where == "" && r.Limit == nil && r.Percent == nil:
			d.add(r.Line, e, "selects no rows; give it where, limit, percent or all")
		}
	}

	d.foreignKeyRules(c)
	d.budgets(c)
	d.masking(c)

	d.virtualForeignKeys(c)
}

// endpoints checks the url_env names of source and target.
func (d *decoder) endpoints(c *Config) {
	for _, ep := range []struct {
		key string
		e   Endpoint
	}{{"source", c.Source}, {"target", c.Target}} {
		p := ep.key + ".url_env"
		if d.failed(p) || !c.has(p) {
			continue
		}
		if !envNameRE.MatchString(ep.e.URLEnv) {
			d.add(c.Line(p, ep.e.Line), p, "%q is not an environment variable name", ep.e.URLEnv)
		}
	}
}

// foreignKeyRules checks the foreign_keys entries.
func (d *decoder) foreignKeyRules(c *Config) {
	for i, f := range c.ForeignKeys {
		e := fmt.Sprintf("foreign_keys[%d]", i)
		at := func(key string) int { return c.Line(e+"."+key, f.Line) }
		d.tableName(c, e+".table", f.Table, f.Line)
		d.columnList(c, e+".columns", f.Columns, f.Line)
		if (c.has(e+".name") || f.Name != "") && !d.failed(e+".name") {
			if _, err := ParseIdent(f.Name); err != nil {
				d.add(at("name"), e+".name", "%v", err)
			}
		}
		if c.has(e+".references") && !d.failed(e+".references") {
			d.tableName(c, e+".references", f.References, f.Line)
		}
		d.fragment(c, e+".children_where", f.ChildrenWhere, f.Line)
		switch {
		case d.bad[e]:
		case len(f.Columns) == 0 && f.Name == "":
			d.add(f.Line, e, "says which foreign key it is about with columns or name")
		case f.FollowChildren != nil && !*f.FollowChildren && f.ChildrenWhere != "":
			d.add(at("children_where"), e+".children_where", "has no effect with follow_children: false")
		case f.FollowChildren == nil && f.ChildrenWhere == "" && !f.Cut:
			d.add(f.Line, e, "changes nothing; set follow_children, children_where or cut")
		}
	}
}

// virtualForeignKeys checks the virtual_foreign_keys entries.
func (d *decoder) virtualForeignKeys(c *Config) {
	for i, v := range c.VirtualForeignKeys {
		e := fmt.Sprintf("virtual_foreign_keys[%d]", i)
		d.tableName(c, e+".table", v.Table, v.Line)
		d.tableName(c, e+".references", v.References, v.Line)
		if len(v.Columns) == 0 && !d.failed(e+".columns") {
			d.add(c.Line(e+".columns", v.Line), e+".columns", "missing; list the referencing columns")
		}
		d.columnList(c, e+".columns", v.Columns, v.Line)
		d.columnList(c, e+".referenced_columns", v.ReferencedColumns, v.Line)
		if !d.bad[e] && len(v.ReferencedColumns) > 0 && len(v.Columns) > 0 && len(v.ReferencedColumns) != len(v.Columns) {
			d.add(c.Line(e+".referenced_columns", v.Line), e+".referenced_columns",
				"has %s but columns has %d", plural(len(v.ReferencedColumns), "column"), len(v.Columns))
		}
	}
}

// conflictMsg explains why a table named a second time is an error.
// first is "what|entry" of the first claim.
func conflictMsg(first, what string, c *Config) string {
	fwhat, fentry, _ := strings.Cut(first, "|")
	where := fentry
	if l := c.Line(fentry+".table", 0); l > 0 {
		where = fmt.Sprintf("%s, line %d", fentry, l)
	}
	switch {
	case fwhat == what && what == "root":
		return fmt.Sprintf("already has a root (%s); one root per table: combine the conditions", where)
	case fwhat == what:
		return fmt.Sprintf("already has a table rule (%s)", where)
	default:
		return fmt.Sprintf("has both a root and a table rule (%s); keep one", where)
	}
}

// tableName checks a required table name; it reports whether it is valid.
func (d *decoder) tableName(c *Config, path, raw string, fallback int) bool {
	if d.failed(path) {
		return false
	}
	line := c.Line(path, fallback)
	if strings.TrimSpace(raw) == "" {
		if c.has(path) {
			d.add(line, path, "must not be empty")
		} else {
			d.add(line, path, "missing")
		}
		return false
	}
	if _, _, err := ParseTableName(raw); err != nil {
		d.add(line, path, "%v", err)
		return false
	}
	return true
}

// columnList checks column names: identifiers, each once.
func (d *decoder) columnList(c *Config, path string, cols []string, fallback int) {
	if d.failed(path) {
		return
	}
	seen := map[string]bool{}
	for i, col := range cols {
		p := fmt.Sprintf("%s[%d]", path, i)
		line := c.Line(p, c.Line(path, fallback))
		name, err := ParseIdent(col)
		if err != nil {
			d.add(line, p, "column %v", err)
			continue
		}
		if seen[name] {
			d.add(line, p, "%s is listed twice", quoteIdent(name))
		}
		seen[name] = true
	}
}

// schemaList checks schema names: identifiers, each once.
func (d *decoder) schemaList(c *Config, path string, names []string) {
	seen := map[string]bool{}
	for i, s := range names {
		p := fmt.Sprintf("%s[%d]", path, i)
		line := c.Line(p, c.Schemas.Line)
		name, err := ParseIdent(s)
		if err != nil {
			d.add(line, p, "schema %v", err)
			continue
		}
		if seen[name] {
			d.add(line, p, "%s is listed twice", quoteIdent(name))
		}
		seen[name] = true
	}
}

// fragment checks a SQL fragment without a server: not blank, one
// expression.
func (d *decoder) fragment(c *Config, path, sql string, fallback int) {
	if d.failed(path) || !c.has(path) && sql == "" {
		return
	}
	line := c.Line(path, fallback)
	if strings.TrimSpace(sql) == "" {
		d.add(line, path, "must not be empty")
		return
	}
	if err := CheckFragment(sql); err != nil {
		d.add(line, path, "%v", err)
	}
}

func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Sprint(f)
	}
	return fmt.Sprintf("%g", f)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// budgets checks the budgets: a positive row count, size and duration.
func (d *decoder) budgets(c *Config) {
	b := c.Budgets
	at := func(key string) int { return c.Line("budgets."+key, b.Line) }
	if b.MaxRows != nil && !d.failed("budgets.max_rows") && *b.MaxRows < 1 {
		d.add(at("max_rows"), "budgets.max_rows", "must be 1 or more, got %d", *b.MaxRows)
	}
	if c.has("budgets.max_bytes") && !d.failed("budgets.max_bytes") {
		if _, err := ParseBytes(b.MaxBytes); err != nil {
			d.add(at("max_bytes"), "budgets.max_bytes", "%v", err)
		}
	}
	if c.has("budgets.max_duration") && !d.failed("budgets.max_duration") {
		if _, err := ParseDuration(b.MaxDuration); err != nil {
			d.add(at("max_duration"), "budgets.max_duration", "%v", err)
		}
	}
}
