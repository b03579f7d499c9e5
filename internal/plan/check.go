package plan

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
)

// Check resolves a parsed config against a source catalog: schema, table
// and column names must exist (with a "did you mean" for near misses), bare
// table names must be found in exactly one included schema, foreign-key
// rules must name exactly one foreign key, cut needs a nullable key, and
// virtual foreign keys must point at a primary or unique key with columns
// of the same types. Every problem is reported as a *config.Error, joined
// and sorted by line.
//
// Check expects a Config from config.Load or config.Parse; for one built in
// code it resolves the names but does not repeat config.Parse's checks.
func Check(cfg *config.Config, cat *catalog.Catalog) (*Resolved, error) {
	c := &checker{
		cfg:      cfg,
		cat:      cat,
		p:        config.NewErrorList(cfg.File),
		included: map[string]bool{},
		excluded: map[string]bool{},
		owner:    map[catalog.Name]string{},
		res: &Resolved{
			File:  cfg.File,
			Copy:  map[catalog.Name]string{},
			Rules: map[*catalog.ForeignKey]ResolvedFKRule{},
			cfg:   cfg,
			cat:   cat,
		},
	}
	c.schemas()
	c.tablesAndRoots()
	c.virtualFKs()
	c.fkRules()
	c.masking()
	if err := c.p.Err(); err != nil {
		return nil, err
	}
	return c.res, nil
}

type checker struct {
	cfg      *config.Config
	cat      *catalog.Catalog
	p        *config.ErrorList
	included map[string]bool
	excluded map[string]bool         // named in schemas.exclude
	owner    map[catalog.Name]string // table -> entry with a root or table rule
	res      *Resolved
}

func (c *checker) add(path string, fallback int, format string, args ...any) {
	c.p.Add(c.cfg.Line(path, fallback), path, format, args...)
}

func (c *checker) schemas() {
	exists := map[string]bool{}
	for _, s := range c.cat.Schemas {
		exists[s] = true
	}
	names := func(key string, list []string) []string {
		var out []string
		for i, raw := range list {
			p := fmt.Sprintf("schemas.%s[%d]", key, i)
			s, err := config.ParseIdent(raw)
			if err != nil {
				c.add(p, c.cfg.Schemas.Line, "schema %v", err)
				continue
			}
			if !exists[s] {
				c.add(p, c.cfg.Schemas.Line, "schema %s does not exist%s", quoteIdent(s), config.DidYouMean(s, c.cat.Schemas))
				continue
			}
			out = append(out, s)
		}
		return out
	}
	include := names("include", c.cfg.Schemas.Include)
	if len(c.cfg.Schemas.Include) == 0 {
		include = c.cat.Schemas
	}
	for _, s := range names("exclude", c.cfg.Schemas.Exclude) {
		c.excluded[s] = true
	}
	for _, s := range include {
		if !c.excluded[s] && !c.included[s] {
			c.included[s] = true
			c.res.Schemas = append(c.res.Schemas, s)
		}
	}
	slices.Sort(c.res.Schemas)
}

// table resolves the table name at path; nil after reporting a problem.
func (c *checker) table(path, raw string, fallback int) *catalog.Table {
	schema, name, err := config.ParseTableName(raw)
	if err != nil {
		c.add(path, fallback, "%v", err)
		return nil
	}
	if schema != "" {
		n := catalog.Name{Schema: schema, Name: name}
		t := c.cat.Table(n)
		if t == nil {
			var all []string
			for _, t := range c.cat.Tables {
				all = append(all, t.Name.Display())
			}
			c.add(path, fallback, "table %s does not exist%s", n.Display(), config.DidYouMean(n.Display(), all))
			return nil
		}
		if !c.included[schema] {
			c.add(path, fallback, "table %s is in schema %s, %s", n.Display(), quoteIdent(schema), c.whyNotIncluded(schema))
			return nil
		}
		return t
	}
	var found, elsewhere []*catalog.Table
	var names []string
	for _, t := range c.cat.Tables {
		switch {
		case !c.included[t.Name.Schema]:
			if t.Name.Name == name {
				elsewhere = append(elsewhere, t)
			}
		case t.Name.Name == name:
			found = append(found, t)
		default:
			if !slices.Contains(names, t.Name.Name) {
				names = append(names, t.Name.Name)
			}
		}
	}
	switch {
	case len(found) == 1:
		return found[0]
	case len(found) > 1:
		var list []string
		for _, t := range found {
			list = append(list, t.Name.Display())
		}
		c.add(path, fallback, "table %s is ambiguous: %s; qualify it", quoteIdent(name), andList(list))
	case len(elsewhere) > 0:
		t := elsewhere[0]
		c.add(path, fallback, "table %s is in schema %s, %s", quoteIdent(name), quoteIdent(t.Name.Schema), c.whyNotIncluded(t.Name.Schema))
	default:
		c.add(path, fallback, "table %s does not exist%s", quoteIdent(name), config.DidYouMean(name, names))
	}
	return nil
}

func (c *checker) whyNotIncluded(schema string) string {
	if c.excluded[schema] {
		return "which is excluded (schemas.exclude)"
	}
	return "which is not in schemas.include"
}

// columns resolves column names of t listed at path; nil after a problem.
func (c *checker) columns(t *catalog.Table, path string, raw []string, fallback int) []*catalog.Column {
	out := make([]*catalog.Column, 0, len(raw))
	for i, r := range raw {
		col := c.column(t, fmt.Sprintf("%s[%d]", path, i), r, c.cfg.Line(path, fallback))
		if col == nil {
			return nil
		}
		out = append(out, col)
	}
	return out
}

// column resolves one column name of t written at path; nil after a
// problem.
func (c *checker) column(t *catalog.Table, path, raw string, fallback int) *catalog.Column {
	name, err := config.ParseIdent(raw)
	if err != nil {
		c.add(path, fallback, "column %v", err)
		return nil
	}
	col := t.Column(name)
	if col == nil {
		c.add(path, fallback, "column %s does not exist in table %s%s", quoteIdent(name), t.Name.Display(), config.DidYouMean(name, colNames(t.Columns)))
	}
	return col
}

// claim records that entry e picks table t, reporting a second claim.
func (c *checker) claim(t *catalog.Table, e, what string, line int) {
	if first, ok := c.owner[t.Name]; ok {
		fwhat, fentry, _ := strings.Cut(first, "|")
		where := fentry
		if l := c.cfg.Line(fentry+".table", 0); l > 0 {
			where = fmt.Sprintf("%s, line %d", fentry, l)
		}
		switch {
		case fwhat == what && what == "root":
			c.add(e+".table", line, "%s already has a root (%s); one root per table: combine the conditions", t.Name.Display(), where)
		case fwhat == what:
			c.add(e+".table", line, "%s already has a table rule (%s)", t.Name.Display(), where)
		default:
			c.add(e+".table", line, "%s has both a root and a table rule (%s); keep one", t.Name.Display(), where)
		}
		return
	}
	c.owner[t.Name] = what + "|" + e
}

// tablesAndRoots resolves the table rules and roots. A table may have one
// of them; of two, the later in the file is reported.
func (c *checker) tablesAndRoots() {
	type pick struct {
		entry, what string
		line        int
		t           *catalog.Table
	}
	var picks []pick
	tables := make([]*catalog.Table, len(c.cfg.Tables))
	for i, r := range c.cfg.Tables {
		e := fmt.Sprintf("tables[%d]", i)
		if tables[i] = c.table(e+".table", r.Table, r.Line); tables[i] != nil {
			picks = append(picks, pick{e, "table rule", c.cfg.Line(e+".table", r.Line), tables[i]})
		}
	}
	roots := make([]*catalog.Table, len(c.cfg.Roots))
	for i, r := range c.cfg.Roots {
		e := fmt.Sprintf("roots[%d]", i)
		if roots[i] = c.table(e+".table", r.Table, r.Line); roots[i] != nil {
			picks = append(picks, pick{e, "root", c.cfg.Line(e+".table", r.Line), roots[i]})
		}
	}
	slices.SortStableFunc(picks, func(a, b pick) int { return cmp.Compare(a.line, b.line) })
	for _, p := range picks {
		c.claim(p.t, p.entry, p.what, p.line)
	}
	for i, r := range c.cfg.Tables {
		if t := tables[i]; t != nil {
			c.res.Copy[t.Name] = r.Copy
		}
	}
	for i, r := range c.cfg.Roots {
		if t := roots[i]; t != nil {
			c.res.Roots = append(c.res.Roots, ResolvedRoot{
				Table: t.Name, Where: r.Where, OrderBy: r.OrderBy,
				Limit: r.Limit, Percent: r.Percent, All: r.All, Line: r.Line,
			})
		}
	}
}

func (c *checker) virtualFKs() {
	for i, v := range c.cfg.VirtualForeignKeys {
		e := fmt.Sprintf("virtual_foreign_keys[%d]", i)
		child := c.table(e+".table", v.Table, v.Line)
		parent := c.table(e+".references", v.References, v.Line)
		if child == nil || parent == nil {
			continue
		}
		cc := c.columns(child, e+".columns", v.Columns, v.Line)
		var pc []*catalog.Column
		if len(v.ReferencedColumns) > 0 {
			pc = c.columns(parent, e+".referenced_columns", v.ReferencedColumns, v.Line)
		}
		if cc == nil || len(v.ReferencedColumns) > 0 && pc == nil {
			continue
		}
		if len(v.ReferencedColumns) == 0 {
			if len(parent.PrimaryKey) == 0 {
				c.add(e+".references", v.Line, "table %s has no primary key; list the referenced_columns", parent.Name.Display())
				continue
			}
			for _, name := range parent.PrimaryKey {
				col := parent.Column(name)
				if col == nil {
					c.add(e+".references", v.Line, "the catalog lists %s as a primary key column of %s, but the table has no such column", quoteIdent(name), parent.Name.Display())
					break
				}
				pc = append(pc, col)
			}
			if len(pc) != len(parent.PrimaryKey) {
				continue
			}
			if len(pc) != len(cc) {
				c.add(e+".columns", v.Line, "has %s but the primary key of %s has %d (%s)",
					plural(len(cc), "column"), parent.Name.Display(), len(pc), strings.Join(colNames(pc), ", "))
				continue
			}
		} else {
			if len(pc) != len(cc) {
				c.add(e+".referenced_columns", v.Line, "has %s but columns has %d", plural(len(pc), "column"), len(cc))
				continue
			}
		}
		ok := true
		for k := range cc {
			if typeKey(cc[k].Type) != typeKey(pc[k].Type) {
				c.add(e+".columns", v.Line, "column %s.%s is %s but %s.%s is %s; the types must match",
					child.Name.Display(), quoteIdent(cc[k].Name), cc[k].Type,
					parent.Name.Display(), quoteIdent(pc[k].Name), pc[k].Type)
				ok = false
			}
		}
		if !ok {
			continue
		}
		pnames := colNames(pc)
		if !isKey(parent, pnames) {
			c.add(e+".references", v.Line, "columns (%s) of %s are not its primary key or a unique key; a virtual foreign key must point at one, so that each row has one parent",
				strings.Join(pnames, ", "), parent.Name.Display())
			continue
		}
		nullable := true
		for _, col := range cc {
			if col.NotNull {
				nullable = false
			}
		}
		fk := &catalog.ForeignKey{
			Child: child.Name, ChildColumns: colNames(cc),
			Parent: parent.Name, ParentColumns: pnames,
			Match: catalog.MatchSimple, OnDelete: "no action", OnUpdate: "no action",
			Nullable: nullable, Virtual: true,
		}
		fk.Name = "virtual: " + fk.String()
		if dup := c.sameEdge(fk); dup != nil {
			if dup.Virtual {
				c.add(e, v.Line, "declares %s twice", fk.Name)
			} else {
				c.add(e, v.Line, "duplicates foreign key %s", fkLabel(dup))
			}
			continue
		}
		c.res.VirtualFKs = append(c.res.VirtualFKs, fk)
	}
}

// sameEdge returns a real or earlier virtual key with fk's column pairs.
func (c *checker) sameEdge(fk *catalog.ForeignKey) *catalog.ForeignKey {
	pairs := func(k *catalog.ForeignKey) string {
		var p []string
		for i := range k.ChildColumns {
			if i < len(k.ParentColumns) {
				p = append(p, k.ChildColumns[i]+"\x00"+k.ParentColumns[i])
			}
		}
		slices.Sort(p)
		return strings.Join(p, "\x01")
	}
	want := pairs(fk)
	for _, k := range append(slices.Clip(c.cat.ForeignKeys), c.res.VirtualFKs...) {
		if k.Child == fk.Child && k.Parent == fk.Parent && pairs(k) == want {
			return k
		}
	}
	return nil
}

func (c *checker) fkRules() {
	all := append(slices.Clip(c.cat.ForeignKeys), c.res.VirtualFKs...)
	ruleOf := map[*catalog.ForeignKey]int{}
	for i, f := range c.cfg.ForeignKeys {
		e := fmt.Sprintf("foreign_keys[%d]", i)
		child := c.table(e+".table", f.Table, f.Line)
		if child == nil {
			continue
		}
		var parent *catalog.Table
		if f.References != "" {
			if parent = c.table(e+".references", f.References, f.Line); parent == nil {
				continue
			}
		}
		var cols []string
		if len(f.Columns) > 0 {
			cc := c.columns(child, e+".columns", f.Columns, f.Line)
			if cc == nil {
				continue
			}
			cols = colNames(cc)
		}
		name := ""
		if f.Name != "" {
			n, err := config.ParseIdent(f.Name)
			if err != nil {
				c.add(e+".name", f.Line, "%v", err)
				continue
			}
			name = n
		}
		var own, matches []*catalog.ForeignKey
		for _, fk := range all {
			if fk.Child != child.Name {
				continue
			}
			own = append(own, fk)
			if (name == "" || fk.Name == name) &&
				(cols == nil || sameSet(fk.ChildColumns, cols)) &&
				(parent == nil || fk.Parent == parent.Name) {
				matches = append(matches, fk)
			}
		}
		what := c.describeRule(cols, name, parent)
		switch len(matches) {
		case 0:
			c.add(e, f.Line, "no foreign key of %s matches %s%s", child.Name.Display(), what, c.listFKs(child, own))
			continue
		case 1:
		default:
			var list []string
			for _, fk := range matches {
				list = append(list, fkLabel(fk))
			}
			c.add(e, f.Line, "%s match %d foreign keys of %s: %s; add references or name to pick one",
				what, len(matches), child.Name.Display(), strings.Join(list, ", "))
			continue
		}
		fk := matches[0]
		if j, ok := ruleOf[fk]; ok {
			c.add(e, f.Line, "is about the same foreign key as foreign_keys[%d] (line %d); combine them",
				j, c.cfg.ForeignKeys[j].Line)
			continue
		}
		ruleOf[fk] = i
		if f.Cut && !fk.Nullable {
			var notNull []string
			for _, name := range fk.ChildColumns {
				if col := child.Column(name); col != nil && col.NotNull {
					notNull = append(notNull, quoteIdent(name))
				}
			}
			cols := ""
			if len(notNull) > 0 {
				cols = " (" + strings.Join(notNull, ", ") + ")"
			}
			c.add(e+".cut", f.Line, "foreign key %s has NOT NULL columns%s; cut needs a nullable key", fkLabel(fk), cols)
			continue
		}
		c.res.Rules[fk] = ResolvedFKRule{
			FollowChildren: f.FollowChildren == nil || *f.FollowChildren,
			ChildrenWhere:  f.ChildrenWhere,
			Cut:            f.Cut,
			Line:           f.Line,
			index:          i,
		}
	}
}

func (c *checker) describeRule(cols []string, name string, parent *catalog.Table) string {
	var parts []string
	if cols != nil {
		parts = append(parts, "columns ("+strings.Join(quoteAll(cols), ", ")+")")
	}
	if name != "" {
		parts = append(parts, "name "+quoteIdent(name))
	}
	if parent != nil {
		parts = append(parts, "references "+parent.Name.Display())
	}
	return strings.Join(parts, " and ")
}

// listFKs says which foreign keys t has, for a rule that matched none.
func (c *checker) listFKs(t *catalog.Table, own []*catalog.ForeignKey) string {
	if len(own) == 0 {
		for _, fk := range c.cat.ForeignKeys {
			if fk.Parent == t.Name {
				return fmt.Sprintf("; %s has no foreign keys, but is referenced by %s: table names the referencing table", t.Name.Display(), fkLabel(fk))
			}
		}
		return fmt.Sprintf("; %s has no foreign keys", t.Name.Display())
	}
	var list []string
	for _, fk := range own {
		list = append(list, fkLabel(fk))
	}
	return fmt.Sprintf("; its foreign keys: %s", strings.Join(list, ", "))
}

// fkLabel names a foreign key for messages.
func fkLabel(fk *catalog.ForeignKey) string {
	if fk.Virtual {
		return fk.Name
	}
	return fmt.Sprintf("%s (%s)", quoteIdent(fk.Name), fk.String())
}

// typmodRE matches a type modifier, as in numeric(10,2) or timestamp(3).
var typmodRE = regexp.MustCompile(`\(\d+(,\s*-?\d+)?\)`)

// typeKey is a column type with type modifiers removed: varchar(20) and
// varchar(40) compare equal, as values of both can be compared.
func typeKey(t string) string {
	return strings.Join(strings.Fields(typmodRE.ReplaceAllString(t, "")), " ")
}

// isKey reports whether cols (in any order) are t's primary key or one of
// its unique keys.
func isKey(t *catalog.Table, cols []string) bool {
	if len(t.PrimaryKey) > 0 && sameSet(t.PrimaryKey, cols) {
		return true
	}
	for _, k := range t.UniqueKeys {
		if sameSet(k, cols) {
			return true
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func colNames(cols []*catalog.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quoteIdent(n)
	}
	return out
}

// quoteIdent writes an identifier as the config accepts it: plain when it
// reads back unchanged, double-quoted otherwise.
func quoteIdent(s string) string { return catalog.QuoteIfNeeded(s) }

// andList joins "a", "a and b", "a, b and c".
func andList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
