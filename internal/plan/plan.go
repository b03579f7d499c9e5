// Package plan decides, from a catalog, a checked config and the FK graph,
// which tables a twin contains, why, and which foreign keys are followed in
// which direction; and explains that as text, JSON or Graphviz DOT.
//
// It is also where a parsed config (package config) meets the database:
// Check resolves the config's names against the source catalog into a
// Resolved, CheckSQL has the source server check its SQL fragments, and
// RootQuery builds the one query that selects a root's rows.
//
// The rules (see DESIGN.md, "How a subset is chosen"): roots select rows;
// every selected row pulls in its parents (up), unless the key is cut;
// rows reached down from a root pull in their children (down) along every
// key not switched off; rows selected only as parents pull in nothing below
// them; `all` tables are copied whole and `schema` tables get no rows.
package plan

import (
	"fmt"
	"sort"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/graph"
)

// Reason kinds, in the order they are listed for a table.
const (
	ReasonRoot       = "root"
	ReasonAll        = "all"
	ReasonChild      = "child"  // child of a row reached down from a root
	ReasonParent     = "parent" // parent of a selected row
	ReasonSchemaOnly = "schema only"
	ReasonUnreached  = "unreached"
)

// Plan is what a twin would contain.
type Plan struct {
	Database string     `json:"database"`
	Config   string     `json:"config,omitempty"`
	Roots    []Root     `json:"roots"`
	Tables   []*Table   `json:"tables"`
	Edges    []*Edge    `json:"foreign_keys"`
	Cycles   [][]string `json:"cycles"`
	Warnings []string   `json:"warnings"`
	// Problems make a clone impossible until the config changes.
	Problems []string `json:"problems"`
	Totals   Totals   `json:"totals"`
	// Masks are the masked (and reviewed) columns, by table and column.
	Masks []*MaskedColumn `json:"masked_columns"`
	// Personal are the columns that look like personal data.
	Personal []PersonalColumn `json:"personal_columns"`
	graph    *graph.Graph
}

// Root is a root as the plan shows it.
type Root struct {
	Table         string `json:"table"`
	Selector      string `json:"selector"`
	EstimatedRows int64  `json:"estimated_rows"`
}

// Table is one table of the plan.
type Table struct {
	Name catalog.Name `json:"-"`
	// Table is the plain schema.name.
	Table string `json:"table"`
	// Role is the table's main reason: root, all, child, parent, schema
	// only or unreached.
	Role    string   `json:"role"`
	Reasons []Reason `json:"reasons"`
	// EstimatedRows is the estimate of rows the twin will hold; TableRows the
	// estimate of rows in the source table (-1: never analyzed).
	EstimatedRows int64 `json:"estimated_rows"`
	TableRows     int64 `json:"table_rows"`
	TableBytes    int64 `json:"table_bytes"`
}

// Reason says why a table is in the twin.
type Reason struct {
	Kind string `json:"kind"`
	// Via is the foreign key (name) for child and parent reasons.
	Via string `json:"via,omitempty"`
	// Table is the other end of Via, or the root's selector.
	Other string `json:"other,omitempty"`
}

// Edge is a foreign key and the directions it is followed in.
type Edge struct {
	FK *catalog.ForeignKey `json:"-"`
	// Name and Key describe the key: name and child(cols) -> parent(cols).
	Name    string `json:"name"`
	Key     string `json:"key"`
	Virtual bool   `json:"virtual,omitempty"`
	// Up: selected child rows pull in their parents. Cut: they don't, the
	// key is set to NULL when the parent is not otherwise selected.
	Up  bool `json:"up"`
	Cut bool `json:"cut,omitempty"`
	// Down: child rows of rows reached down from a root are pulled in.
	Down          bool   `json:"down"`
	ChildrenWhere string `json:"children_where,omitempty"`
}

// Totals sums the estimates.
type Totals struct {
	Tables        int   `json:"tables"`
	WithRows      int   `json:"tables_with_rows"`
	EstimatedRows int64 `json:"estimated_rows"`
}

// Build makes the plan. rootRows holds the server's estimate of each root's
// row count (see EstimateRoots); roots missing from it are estimated from
// the table's size.
func Build(cat *catalog.Catalog, res *Resolved, rootRows map[catalog.Name]int64) *Plan {
	var included []catalog.Name
	for _, t := range cat.Tables {
		if res.Included(t.Name) {
			included = append(included, t.Name)
		}
	}
	g := graph.FromCatalog(cat, res.VirtualFKs)
	g = graph.New(included, g.Edges)

	p := &Plan{Database: cat.Database, Config: res.File, graph: g, Warnings: []string{}, Problems: []string{}, Cycles: [][]string{}, Roots: []Root{}}
	tables := map[catalog.Name]*Table{}
	for _, n := range g.Tables {
		ct := cat.Table(n)
		t := &Table{Name: n, Table: n.Display(), TableRows: ct.EstimatedRows, TableBytes: ct.Bytes}
		tables[n] = t
		p.Tables = append(p.Tables, t)
	}

	// Which tables are reached down from a root, and which are selected.
	down := map[catalog.Name]bool{}
	var downOrder []catalog.Name // tables in the order the down traversal reached them
	selected := map[catalog.Name]bool{}
	var queue []catalog.Name
	for _, r := range res.Roots {
		tables[r.Table].Reasons = append(tables[r.Table].Reasons, Reason{Kind: ReasonRoot, Other: Selector(r)})
		if !down[r.Table] {
			down[r.Table] = true
			downOrder = append(downOrder, r.Table)
			queue = append(queue, r.Table)
		}
	}
	schemaOnly := func(n catalog.Name) bool { return res.Copy[n] == config.CopySchema }
	for n, mode := range res.Copy {
		if t := tables[n]; t != nil && mode == config.CopyAll {
			t.Reasons = append(t.Reasons, Reason{Kind: ReasonAll})
			selected[n] = true
		}
	}
	edges := map[*catalog.ForeignKey]*Edge{}
	for _, fk := range g.Edges {
		e := &Edge{FK: fk, Name: fk.Name, Key: fk.String(), Virtual: fk.Virtual}
		if rule, ok := res.Rules[fk]; ok {
			e.Cut = rule.Cut
			e.ChildrenWhere = rule.ChildrenWhere
		}
		edges[fk] = e
		p.Edges = append(p.Edges, e)
	}
	follows := func(fk *catalog.ForeignKey) bool {
		rule, ok := res.Rules[fk]
		return (!ok || rule.FollowChildren) && !schemaOnly(fk.Child)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, fk := range g.Down[n] {
			if !follows(fk) {
				continue
			}
			edges[fk].Down = true
			tables[fk.Child].Reasons = append(tables[fk.Child].Reasons, Reason{Kind: ReasonChild, Via: fk.Name, Other: n.Display()})
			if !down[fk.Child] {
				down[fk.Child] = true
				downOrder = append(downOrder, fk.Child)
				queue = append(queue, fk.Child)
			}
		}
	}
	for n := range down {
		selected[n] = true
	}
	for n := range selected {
		queue = append(queue, n)
	}
	sortNames(queue)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, fk := range g.Up[n] {
			e := edges[fk]
			if e.Cut {
				continue
			}
			e.Up = true
			tables[fk.Parent].Reasons = append(tables[fk.Parent].Reasons, Reason{Kind: ReasonParent, Via: fk.Name, Other: n.Display()})
			if !selected[fk.Parent] && !schemaOnly(fk.Parent) {
				selected[fk.Parent] = true
				queue = append(queue, fk.Parent)
			}
		}
	}

	p.finish(cat, res, rootRows, downOrder)
	return p
}

// finish gives each table its role, estimates the rows, lists the roots and
// cycles, and adds the warnings, the masked columns and the totals.
func (p *Plan) finish(cat *catalog.Catalog, res *Resolved, rootRows map[catalog.Name]int64, downOrder []catalog.Name) {
	schemaOnly := func(n catalog.Name) bool { return res.Copy[n] == config.CopySchema }
	for _, t := range p.Tables {
		switch {
		case schemaOnly(t.Name):
			t.Reasons = []Reason{{Kind: ReasonSchemaOnly}}
		case len(t.Reasons) == 0:
			t.Reasons = []Reason{{Kind: ReasonUnreached}}
		}
		sortReasons(t.Reasons)
		t.Role = t.Reasons[0].Kind
	}
	p.estimate(cat, res, rootRows, downOrder)
	for _, r := range res.Roots {
		p.Roots = append(p.Roots, Root{Table: r.Table.Display(), Selector: Selector(r), EstimatedRows: p.rootEstimate(r, rootRows, cat)})
	}
	for _, c := range p.graph.Cycles() {
		var names []string
		for _, n := range c {
			names = append(names, n.Display())
		}
		p.Cycles = append(p.Cycles, names)
	}
	p.warn(cat, res)
	p.planMasking(cat, res, p.graph.Edges)
	p.Personal = []PersonalColumn{}
	for _, t := range p.Tables {
		p.Totals.Tables++
		if t.EstimatedRows > 0 {
			p.Totals.WithRows++
		}
		p.Totals.EstimatedRows += t.EstimatedRows
	}
}

// Selector describes how a root picks rows, e.g. "where status = 'paid'
// order by id limit 10".
func Selector(r ResolvedRoot) string {
	s := ""
	add := func(part string) {
		if s != "" {
			s += " "
		}
		s += part
	}
	if r.All {
		add("all rows")
	}
	if r.Where != "" {
		add("where " + r.Where)
	}
	if r.Percent != nil {
		add(fmt.Sprintf("%g%% sample", *r.Percent))
	}
	if r.OrderBy != "" {
		add("order by " + r.OrderBy)
	}
	if r.Limit != nil {
		add(fmt.Sprintf("limit %d", *r.Limit))
	}
	return s
}

var reasonOrder = map[string]int{ReasonRoot: 0, ReasonAll: 1, ReasonChild: 2, ReasonParent: 3, ReasonSchemaOnly: 4, ReasonUnreached: 5}

func sortReasons(rs []Reason) {
	sort.SliceStable(rs, func(i, j int) bool {
		if reasonOrder[rs[i].Kind] != reasonOrder[rs[j].Kind] {
			return reasonOrder[rs[i].Kind] < reasonOrder[rs[j].Kind]
		}
		if rs[i].Other != rs[j].Other {
			return rs[i].Other < rs[j].Other
		}
		return rs[i].Via < rs[j].Via
	})
}

func sortNames(ns []catalog.Name) {
	sort.Slice(ns, func(i, j int) bool { return ns[i].Less(ns[j]) })
}
