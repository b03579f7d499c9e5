package plan

import (
	"fmt"
	"strings"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
)

// largeTable is the row count from which pulling in most of a table is worth
// a warning.
const largeTable = 10000

func (p *Plan) warn(cat *catalog.Catalog, res *Resolved) {
	var unreached, unanalyzed []string
	for _, t := range p.Tables {
		switch {
		case t.Role == ReasonUnreached:
			unreached = append(unreached, t.Table)
		case t.Role != ReasonAll && t.Role != ReasonSchemaOnly && t.TableRows >= largeTable && t.EstimatedRows*2 > t.TableRows:
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: about %d of its %d rows (%d%%) would be copied (%s); narrow the roots, switch off follow_children, or cut a key",
				t.Table, t.EstimatedRows, t.TableRows, 100*t.EstimatedRows/t.TableRows, describe(t.Reasons[0])))
		}
		if t.TableRows < 0 && t.Role != ReasonSchemaOnly && t.Role != ReasonUnreached {
			unanalyzed = append(unanalyzed, t.Table)
		}
	}
	if len(unreached) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("nothing reaches %s: %s will get the schema and no rows (add a root or a `copy: all` table rule)",
			plural(len(unreached), "table"), strings.Join(unreached, ", ")))
	}
	if len(unanalyzed) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s never analyzed on the source, so row estimates are guesses: %s (run ANALYZE there)",
			plural(len(unanalyzed), "table was", "tables were"), strings.Join(unanalyzed, ", ")))
	}
	var noStats []string
	for _, e := range p.Edges {
		child := cat.Table(e.FK.Child)
		if (e.Up || e.Down) && child.EstimatedRows > 0 && child.DistinctKeys(e.FK.ChildColumns) == 0 {
			noStats = append(noStats, fmt.Sprintf("%s(%s)", e.FK.Child.Display(), strings.Join(e.FK.ChildColumns, ", ")))
		}
	}
	if len(noStats) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("no column statistics on the source for %s, so the estimates of the rows they reach are guesses (run ANALYZE there)",
			strings.Join(noStats, ", ")))
	}
	for _, e := range p.Edges {
		if e.Up && res.Copy[e.FK.Parent] == config.CopySchema {
			p.Problems = append(p.Problems, fmt.Sprintf("%s references %s, which is copied schema only: its rows would be orphans; cut the key or copy the parent",
				e.Key, e.FK.Parent.Display()))
		}
	}
	for _, fk := range cat.ForeignKeys {
		if res.Included(fk.Child) && !res.Included(fk.Parent) {
			p.Problems = append(p.Problems, fmt.Sprintf("%s references a table in excluded schema %q: the twin cannot hold that constraint; include the schema",
				fk.String(), fk.Parent.Schema))
		}
	}
}

func describe(r Reason) string {
	switch r.Kind {
	case ReasonChild:
		return "child of " + r.Other + " via " + r.Via
	case ReasonParent:
		return "parent of " + r.Other + " via " + r.Via
	case ReasonRoot:
		return "root, " + r.Other
	}
	return r.Kind
}

// plural returns "1 table" or "3 tables"; with two forms, "1 table was" or
// "3 tables were".
func plural(n int, forms ...string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, forms[0])
	}
	if len(forms) > 1 {
		return fmt.Sprintf("%d %s", n, forms[1])
	}
	return fmt.Sprintf("%d %ss", n, forms[0])
}
