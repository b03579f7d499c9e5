package plan

import (
	"fmt"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/mask"
)

// maskRule is the mask package's rule for a config rule.
func maskRule(kind string, p config.MaskParams, paths []config.MaskPath) mask.Rule {
	r := mask.Rule{Mask: kind, Value: p.Value, Template: p.Template}
	if p.Noise != nil {
		r.Noise = *p.Noise
	}
	if p.Days != nil {
		r.Days = *p.Days
	}
	for _, mp := range paths {
		r.Paths = append(r.Paths, mask.PathRule{Path: mp.Path, Rule: maskRule(mp.Mask, mp.MaskParams, nil)})
	}
	return r
}

// masking resolves the masking rules: tables and columns must exist, a
// column is masked by one rule, and a template names columns of its table.
func (c *checker) masking() {
	m := c.cfg.Masking
	if m == nil {
		return
	}
	rm := &ResolvedMasking{KeyEnv: m.KeyEnv, Unlisted: m.Unlisted}
	if rm.KeyEnv == "" {
		rm.KeyEnv = config.DefaultMaskKeyEnv
	}
	if rm.Unlisted == "" {
		rm.Unlisted = config.UnlistedRefuse
	}
	seen := map[catalog.Name]map[string]string{}
	for i, r := range m.Columns {
		e := fmt.Sprintf("masking.columns[%d]", i)
		t := c.table(e+".table", r.Table, r.Line)
		if t == nil {
			continue
		}
		path := e + ".columns"
		cols := c.columns(t, path, r.Columns, r.Line)
		if r.Column != "" {
			path = e + ".column"
			cols = nil
			if col := c.column(t, path, r.Column, r.Line); col != nil {
				cols = []*catalog.Column{col}
			}
		}
		for _, col := range config.TemplateColumns(r.Template) {
			name, _ := config.ParseIdent(col)
			if t.Column(name) == nil {
				c.add(e+".template", r.Line, "{%s}: column %s does not exist in table %s%s", col, quoteIdent(name), t.Name.Display(), config.DidYouMean(name, colNames(t.Columns)))
			}
		}
		line := c.cfg.Line(e+".table", r.Line)
		for _, col := range cols {
			if seen[t.Name] == nil {
				seen[t.Name] = map[string]string{}
			}
			if first, ok := seen[t.Name][col.Name]; ok {
				c.add(path, r.Line, "column %s of %s already has a rule (%s)", quoteIdent(col.Name), t.Name.Display(), first)
				continue
			}
			seen[t.Name][col.Name] = fmt.Sprintf("%s, line %d", e, line)
			rm.Rules = append(rm.Rules, ResolvedMask{
				Table: t.Name, Column: col.Name, Rule: maskRule(r.Mask, r.MaskParams, r.Paths), SQL: r.SQL, Type: col.Type, Entry: e, Line: line,
			})
		}
	}
	c.res.Masking = rm
}
