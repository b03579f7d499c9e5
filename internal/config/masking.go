package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pgtwin/pgtwin/internal/mask"
)

// MaskColumns returns the columns a rule names: Column, or Columns.
func (r MaskRule) MaskColumns() []string {
	if r.Column != "" {
		return []string{r.Column}
	}
	return r.Columns
}

// pathRE is the json path syntax masks accept: $ followed by .key
// (letters, digits, _ and -), ."quoted key" or [*] steps.
var pathRE = regexp.MustCompile(`^\$(\.[A-Za-z0-9_-]+|\."(?:[^"\\]|\\.)*"|\[\*\])*$`)

// templateRE matches a template with its {{ and }} removed: text and
// {column} placeholders, no other braces.
var templateRE = regexp.MustCompile(`^(?:[^{}]|\{[^{}]+\})*$`)

// placeholderRE finds a template's {column} placeholders.
var placeholderRE = regexp.MustCompile(`\{\{|\}\}|\{([^{}]*)\}`)

// TemplateColumns returns the columns a template names, in order, each
// once; {{ and }} stand for braces.
func TemplateColumns(tmpl string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(tmpl, -1) {
		if m[0] == "{{" || m[0] == "}}" {
			continue
		}
		if c := m[1]; !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// masking checks the masking section without a catalog.
func (d *decoder) masking(c *Config) {
	m := c.Masking
	if m == nil {
		return
	}
	if c.has("masking.key_env") && !d.failed("masking.key_env") && !envNameRE.MatchString(m.KeyEnv) {
		d.add(c.Line("masking.key_env", m.Line), "masking.key_env", "%q is not an environment variable name", m.KeyEnv)
	}
	if c.has("masking.unlisted") && !d.failed("masking.unlisted") && m.Unlisted != UnlistedRefuse && m.Unlisted != UnlistedWarn {
		d.add(c.Line("masking.unlisted", m.Line), "masking.unlisted", `must be "refuse" or "warn", got %q`, m.Unlisted)
	}
	for i, r := range m.Columns {
		e := fmt.Sprintf("masking.columns[%d]", i)
		at := func(key string) int { return c.Line(e+"."+key, r.Line) }
		d.tableName(c, e+".table", r.Table, r.Line)
		switch {
		case d.failed(e+".column") || d.failed(e+".columns"):
		case r.Column != "" && len(r.Columns) > 0:
			d.add(at("columns"), e+".columns", "cannot be combined with column; use one of them")
		case r.Column == "" && len(r.Columns) == 0:
			d.add(r.Line, e, "says which column to mask with column or columns")
		case r.Column != "":
			if _, err := ParseIdent(r.Column); err != nil {
				d.add(at("column"), e+".column", "column %v", err)
			}
		default:
			d.columnList(c, e+".columns", r.Columns, r.Line)
		}
		if d.failed(e+".mask") || d.failed(e+".paths") {
			continue
		}
		switch {
		case len(r.Paths) > 0 && r.Mask != "":
			d.add(at("mask"), e+".mask", "cannot be combined with paths: each path has its own mask")
			continue
		case len(r.Paths) == 0 && r.Mask == "":
			d.add(r.Line, e, `says how to mask with mask (or paths, for json); "mask: keep" marks a reviewed column that is not personal`)
			continue
		case len(r.Paths) > 0:
			for j, p := range r.Paths {
				d.maskPath(c, fmt.Sprintf("%s.paths[%d]", e, j), p)
			}
			d.maskParams(c, e, "", r.MaskParams, r.Line)
			continue
		}
		if !slices.Contains(mask.Kinds, r.Mask) {
			d.add(at("mask"), e+".mask", "%s", unknownMask(r.Mask))
			continue
		}
		d.maskParams(c, e, r.Mask, r.MaskParams, r.Line)
		switch {
		case r.Mask == mask.SQL && strings.TrimSpace(r.SQL) == "":
			d.add(at("mask"), e+".sql", "missing; a sql mask needs the expression that computes the value")
		case r.Mask != mask.SQL && r.SQL != "":
			d.add(at("sql"), e+".sql", "is only for mask: sql")
		case r.Mask == mask.SQL:
			d.fragment(c, e+".sql", r.SQL, r.Line)
		}
	}
}

// maskPath checks one json path rule.
func (d *decoder) maskPath(c *Config, e string, p MaskPath) {
	at := func(key string) int { return c.Line(e+"."+key, p.Line) }
	if !d.failed(e + ".path") {
		switch {
		case p.Path == "":
			d.add(p.Line, e+".path", "missing; a path such as $.contact.email or $.phones[*]")
		case !pathRE.MatchString(p.Path):
			d.add(at("path"), e+".path", `%q is not a path pgtwin reads: start with $ and use .key or [*] steps, such as $.contact.email or $.phones[*]`, p.Path)
		}
	}
	if d.failed(e + ".mask") {
		return
	}
	switch {
	case p.Mask == "":
		d.add(p.Line, e+".mask", "missing; the mask for the values the path selects")
	case p.Mask == mask.SQL:
		d.add(at("mask"), e+".mask", "sql cannot mask a path; the source evaluates sql for whole columns only")
	case !slices.Contains(mask.Kinds, p.Mask):
		d.add(at("mask"), e+".mask", "%s", unknownMask(p.Mask))
	default:
		d.maskParams(c, e, p.Mask, p.MaskParams, p.Line)
	}
}

// maskParams checks that a mask's settings belong to it and that the
// settings it needs are there.
func (d *decoder) maskParams(c *Config, e, kind string, p MaskParams, line int) {
	at := func(key string) int { return c.Line(e+"."+key, line) }
	only := func(key, masks string, set bool) {
		if set && !d.failed(e+"."+key) {
			d.add(at(key), e+"."+key, "is only for mask: %s", masks)
		}
	}
	only("noise", "int or numeric", p.Noise != nil && kind != mask.Int && kind != mask.Numeric)
	only("days", "date or timestamp", p.Days != nil && kind != mask.Date && kind != mask.Timestamp)
	only("value", "value", p.Value != nil && kind != mask.Value)
	only("template", "template", p.Template != "" && kind != mask.Template)
	if p.Noise != nil && !d.failed(e+".noise") && !(*p.Noise > 0) {
		d.add(at("noise"), e+".noise", "must be more than 0, got %s", formatFloat(*p.Noise))
	}
	if p.Days != nil && !d.failed(e+".days") && *p.Days < 1 {
		d.add(at("days"), e+".days", "must be 1 or more, got %d", *p.Days)
	}
	switch {
	case kind == mask.Value && p.Value == nil && !d.failed(e+".value"):
		d.add(line, e+".value", "missing; a value mask needs the value to write (use mask: null for NULL)")
	case kind == mask.Template && !d.failed(e+".template"):
		if strings.TrimSpace(p.Template) == "" {
			d.add(at("template"), e+".template", `missing; a template such as "user{id}@example.com"`)
			break
		}
		if !templateRE.MatchString(strings.NewReplacer("{{", "", "}}", "").Replace(p.Template)) {
			d.add(at("template"), e+".template", "has an unmatched brace; {column} stands for a column, {{ and }} for braces")
			break
		}
		for _, col := range TemplateColumns(p.Template) {
			if _, err := ParseIdent(col); err != nil {
				d.add(at("template"), e+".template", "{%s}: column %v", col, err)
			}
		}
	}
}

// unknownMask says a mask name is unknown, with the closest name or the list.
func unknownMask(name string) string {
	if s := DidYouMean(name, mask.Kinds); s != "" {
		return fmt.Sprintf("unknown mask %q%s", name, s)
	}
	return fmt.Sprintf("unknown mask %q; the masks are %s", name, strings.Join(mask.Kinds, ", "))
}
