// Package graph holds tables as nodes and foreign keys as edges from the
// referencing (child) table to the referenced (parent) table, with the
// strongly connected components that FK cycles and self-references form.
package graph

import (
	"sort"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// Graph is the FK graph of a set of tables. Iteration orders are stable.
type Graph struct {
	Tables []catalog.Name // sorted
	Edges  []*catalog.ForeignKey
	// Up lists the edges whose child is the table (the table's parents).
	Up map[catalog.Name][]*catalog.ForeignKey
	// Down lists the edges whose parent is the table (the table's children).
	Down map[catalog.Name][]*catalog.ForeignKey
	// Components are the strongly connected components in dependency order:
	// a component comes after every component it references. Tables within a
	// component are sorted.
	Components [][]catalog.Name
	component  map[catalog.Name]int
}

// New builds the graph of tables and edges. Edges whose ends are not among
// tables are dropped.
func New(tables []catalog.Name, edges []*catalog.ForeignKey) *Graph {
	g := &Graph{
		Up:        map[catalog.Name][]*catalog.ForeignKey{},
		Down:      map[catalog.Name][]*catalog.ForeignKey{},
		component: map[catalog.Name]int{},
	}
	known := map[catalog.Name]bool{}
	for _, t := range tables {
		if !known[t] {
			known[t] = true
			g.Tables = append(g.Tables, t)
		}
	}
	sort.Slice(g.Tables, func(i, j int) bool { return g.Tables[i].Less(g.Tables[j]) })
	for _, e := range edges {
		if known[e.Child] && known[e.Parent] {
			g.Edges = append(g.Edges, e)
		}
	}
	sort.SliceStable(g.Edges, func(i, j int) bool { return edgeLess(g.Edges[i], g.Edges[j]) })
	for _, e := range g.Edges {
		g.Up[e.Child] = append(g.Up[e.Child], e)
		g.Down[e.Parent] = append(g.Down[e.Parent], e)
	}
	g.components()
	return g
}

// FromCatalog builds the graph of every table in cat, plus virtual keys.
func FromCatalog(cat *catalog.Catalog, virtual []*catalog.ForeignKey) *Graph {
	names := make([]catalog.Name, len(cat.Tables))
	for i, t := range cat.Tables {
		names[i] = t.Name
	}
	return New(names, append(append([]*catalog.ForeignKey{}, cat.ForeignKeys...), virtual...))
}

func edgeLess(a, b *catalog.ForeignKey) bool {
	if a.Child != b.Child {
		return a.Child.Less(b.Child)
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Parent.Less(b.Parent)
}

// Component returns the index in Components of table n's component.
func (g *Graph) Component(n catalog.Name) int { return g.component[n] }

// Cycles returns the components that are cycles: more than one table, or a
// table that references itself.
func (g *Graph) Cycles() [][]catalog.Name {
	var out [][]catalog.Name
	for _, c := range g.Components {
		if len(c) > 1 || g.selfReferencing(c[0]) {
			out = append(out, c)
		}
	}
	return out
}

func (g *Graph) selfReferencing(n catalog.Name) bool {
	for _, e := range g.Up[n] {
		if e.Parent == n {
			return true
		}
	}
	return false
}

// components runs Tarjan's algorithm over child → parent edges. Tarjan emits
// a component only after every component reachable from it, i.e. parents
// before children: exactly the dependency order.
func (g *Graph) components() {
	index := map[catalog.Name]int{}
	low := map[catalog.Name]int{}
	onStack := map[catalog.Name]bool{}
	var stack []catalog.Name
	next := 0
	var visit func(v catalog.Name)
	visit = func(v catalog.Name) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, e := range g.Up[v] {
			w := e.Parent
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []catalog.Name
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			sort.Slice(comp, func(i, j int) bool { return comp[i].Less(comp[j]) })
			for _, w := range comp {
				g.component[w] = len(g.Components)
			}
			g.Components = append(g.Components, comp)
		}
	}
	for _, t := range g.Tables {
		if _, seen := index[t]; !seen {
			visit(t)
		}
	}
}
