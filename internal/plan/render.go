package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pgtwin/pgtwin/internal/human"
)

// WriteText writes the plan for people.
func (p *Plan) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "Plan for a twin of database %q", p.Database)
	if p.Config != "" {
		fmt.Fprintf(b, " (config %s)", p.Config)
	}
	fmt.Fprintf(b, "\n\nRoots\n")
	tw := tabwriter.NewWriter(b, 0, 0, 3, ' ', 0)
	if len(p.Roots) == 0 {
		fmt.Fprintln(tw, "  (none: only `copy: all` tables and their parents get rows)")
	}
	for _, r := range p.Roots {
		fmt.Fprintf(tw, "  %s\t%s\t~%s rows\n", r.Table, r.Selector, count(r.EstimatedRows))
	}
	tw.Flush()

	fmt.Fprintf(b, "\nTables (%d, %d with rows, ~%s rows in all)\n", p.Totals.Tables, p.Totals.WithRows, count(p.Totals.EstimatedRows))
	wName, wEst, wRows := len("table"), len("est. rows"), len("of table")
	for _, t := range p.Tables {
		wName = max(wName, len(t.Table))
		wEst = max(wEst, len(count(t.EstimatedRows)))
		wRows = max(wRows, len(count(t.TableRows)))
	}
	fmt.Fprintf(b, "  %-*s   %*s   %*s   %s\n", wName, "table", wEst, "est. rows", wRows, "of table", "included because")
	for _, t := range p.Tables {
		fmt.Fprintf(b, "  %-*s   %*s   %*s   %s\n", wName, t.Table, wEst, count(t.EstimatedRows), wRows, count(t.TableRows), summarize(t.Reasons))
	}

	fmt.Fprintf(b, "\nForeign keys (up: selected rows pull in their parents; down: rows reached from a root pull in their children)\n")
	tw = tabwriter.NewWriter(b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "  key\tup\tdown\tname")
	for _, e := range p.Edges {
		up := yesNo(e.Up)
		if e.Cut {
			up = "cut"
		}
		dn := yesNo(e.Down)
		if e.Down && e.ChildrenWhere != "" {
			dn = "where " + e.ChildrenWhere
		}
		name := e.Name
		if e.Virtual {
			name = "(virtual)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.Key, up, dn, name)
	}
	if len(p.Edges) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	tw.Flush()

	if len(p.Cycles) > 0 {
		fmt.Fprintf(b, "\nCycles (rows are followed through them until no new key appears)\n")
		for _, c := range p.Cycles {
			if len(c) == 1 {
				fmt.Fprintf(b, "  %s (references itself)\n", c[0])
			} else {
				fmt.Fprintf(b, "  %s\n", strings.Join(c, " <-> "))
			}
		}
	}
	p.writeMasks(b)
	if len(p.Warnings) > 0 {
		fmt.Fprintf(b, "\nWarnings\n")
		for _, w := range p.Warnings {
			fmt.Fprintf(b, "  ! %s\n", w)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summarize says why a table is included in one line, grouping the other
// tables by how they reach it: "root (limit 50); child of public.users".
func summarize(reasons []Reason) string {
	var parts []string
	groups := map[string][]string{}
	var order []string
	for _, r := range reasons {
		switch r.Kind {
		case ReasonRoot:
			parts = append(parts, "root ("+r.Other+")")
		case ReasonAll:
			parts = append(parts, "copy: all")
		case ReasonChild, ReasonParent:
			label := r.Kind + " of"
			if _, ok := groups[label]; !ok {
				order = append(order, label)
			}
			if g := groups[label]; len(g) == 0 || g[len(g)-1] != r.Other {
				groups[label] = append(g, r.Other)
			}
		default:
			parts = append(parts, r.Kind)
		}
	}
	for _, label := range order {
		parts = append(parts, label+" "+strings.Join(groups[label], ", "))
	}
	return strings.Join(parts, "; ")
}

// WriteJSON writes the plan for machines.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Version int `json:"plan_version"`
		*Plan
	}{1, p})
}

// Colours of the DOT picture, by role.
var roleColour = map[string]string{
	ReasonRoot:       "gold",
	ReasonAll:        "plum",
	ReasonChild:      "lightskyblue",
	ReasonParent:     "palegreen",
	ReasonSchemaOnly: "lightgrey",
	ReasonUnreached:  "white",
}

// WriteDOT writes the FK graph as Graphviz DOT, tables coloured by role and
// edges (child → parent) drawn by the directions followed.
func (p *Plan) WriteDOT(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "digraph %s {\n", strconv.Quote("twin of "+p.Database))
	b.WriteString("  rankdir=LR;\n  node [shape=box, style=filled, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  subgraph cluster_legend {\n    label=\"arrows point from child to parent: selected rows pull in their parents;\\nbold double arrows are followed down from roots too; red dashed: cut; grey dotted: not followed\";\n    fontname=\"Helvetica\"; fontsize=10;\n")
	roles := []string{ReasonRoot, ReasonChild, ReasonParent, ReasonAll, ReasonSchemaOnly, ReasonUnreached}
	for _, role := range roles {
		label := role
		if role == ReasonAll {
			label = "copy: all"
		}
		fmt.Fprintf(b, "    %s [label=%s, fillcolor=%s];\n", strconv.Quote("legend: "+role), strconv.Quote(label), roleColour[role])
	}
	// Invisible edges lay the legend out in one row.
	for i := 1; i < len(roles); i++ {
		fmt.Fprintf(b, "    %s -> %s [style=invis];\n", strconv.Quote("legend: "+roles[i-1]), strconv.Quote("legend: "+roles[i]))
	}
	b.WriteString("  }\n")
	for _, t := range p.Tables {
		style := ""
		if t.Role == ReasonUnreached {
			style = ", style=\"filled,dashed\""
		}
		label := fmt.Sprintf("%s\n~%s rows", t.Table, count(t.EstimatedRows))
		fmt.Fprintf(b, "  %s [label=%s, fillcolor=%s%s];\n", strconv.Quote(t.Table), strconv.Quote(label), roleColour[t.Role], style)
	}
	for _, e := range p.Edges {
		var attrs []string
		label := strings.Join(e.FK.ChildColumns, ", ")
		switch {
		case e.Cut:
			attrs = append(attrs, "style=dashed", "color=red")
			label += " (cut)"
		case e.Up && e.Down:
			attrs = append(attrs, "dir=both", "penwidth=2")
		case e.Up:
		case e.Down:
			attrs = append(attrs, "dir=back")
		default:
			attrs = append(attrs, "style=dotted", "color=grey")
		}
		if e.Virtual {
			label += " (virtual)"
		}
		attrs = append(attrs, "label="+strconv.Quote(label))
		fmt.Fprintf(b, "  %s -> %s [%s];\n", strconv.Quote(e.FK.Child.Display()), strconv.Quote(e.FK.Parent.Display()), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// count formats a row count with thousands separators; -1 is "?".
func count(n int64) string {
	if n < 0 {
		return "?"
	}
	return human.Count(n)
}

// Because says why the table is in the twin, as pgtwin plan does.
func (t *Table) Because() string { return summarize(t.Reasons) }
