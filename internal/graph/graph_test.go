package graph_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/graph"
)

func n(s string) catalog.Name { return catalog.Name{Schema: "public", Name: s} }

func fk(child, parent string) *catalog.ForeignKey {
	return &catalog.ForeignKey{Name: child + "_" + parent + "_fkey", Child: n(child), Parent: n(parent)}
}

func names(comps [][]catalog.Name) [][]string {
	var out [][]string
	for _, c := range comps {
		var s []string
		for _, t := range c {
			s = append(s, t.Name)
		}
		out = append(out, s)
	}
	return out
}

func TestComponentsInDependencyOrder(t *testing.T) {
	tables := []catalog.Name{n("items"), n("orders"), n("users"), n("a"), n("b"), n("c"), n("cats"), n("lonely")}
	edges := []*catalog.ForeignKey{
		fk("items", "orders"), fk("orders", "users"),
		fk("a", "b"), fk("b", "c"), fk("c", "a"), fk("a", "users"),
		fk("cats", "cats"),
		fk("items", "ghost"), // parent not in the graph: dropped
	}
	g := graph.New(tables, edges)

	want := [][]string{{"users"}, {"a", "b", "c"}, {"cats"}, {"orders"}, {"items"}, {"lonely"}}
	got := names(g.Components)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
	// Dependency order: every parent's component precedes its children's.
	for _, e := range g.Edges {
		if e.Child != e.Parent && g.Component(e.Parent) > g.Component(e.Child) {
			t.Errorf("%s comes before its parent %s", e.Child.Name, e.Parent.Name)
		}
	}
	if d := cmp.Diff([][]string{{"a", "b", "c"}, {"cats"}}, names(g.Cycles())); d != "" {
		t.Errorf("cycles (-want +got):\n%s", d)
	}
	if len(g.Edges) != 7 {
		t.Errorf("edges = %d, want 7 (the dangling one dropped)", len(g.Edges))
	}
	if d := cmp.Diff(got, names(graph.New(tables, edges).Components)); d != "" {
		t.Errorf("order is not stable across builds:\n%s", d)
	}
	if ups := g.Up[n("a")]; len(ups) != 2 || ups[0].Parent != n("b") || ups[1].Parent != n("users") {
		t.Errorf("Up[a] = %v, want [b users]", ups)
	}
	if downs := g.Down[n("users")]; len(downs) != 2 {
		t.Errorf("Down[users] = %v, want a and orders", downs)
	}
}
