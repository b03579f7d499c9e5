package subset

import (
	"testing"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/plan"
)

// TestEstimateExplainsTheExtraction checks that the plan's estimate
// EXPLAINs the very query the extraction copies: same FROM ONLY, same
// conditions, same order and limit.
func TestEstimateExplainsTheExtraction(t *testing.T) {
	users := &catalog.Table{Name: catalog.Name{Schema: "public", Name: "users"}, Kind: catalog.Ordinary, PrimaryKey: []string{"id"}}
	events := &catalog.Table{Name: catalog.Name{Schema: "public", Name: "events"}, Kind: catalog.Partitioned}
	limit, percent := int64(10), 5.0
	for _, tc := range []struct {
		name string
		t    *catalog.Table
		r    plan.ResolvedRoot
		want string
	}{
		{"where, order_by and limit", users,
			plan.ResolvedRoot{Table: users.Name, Where: "id > 0", OrderBy: "id DESC", Limit: &limit},
			"SELECT id, email FROM ONLY \"public\".\"users\" WHERE (\nid > 0\n) ORDER BY\nid DESC\nLIMIT 10"},
		{"percent", users,
			plan.ResolvedRoot{Table: users.Name, Where: "id > 0", Percent: &percent},
			"SELECT id, email FROM ONLY \"public\".\"users\" WHERE (\nid > 0\n) AND (hashtextextended(ROW(\"id\")::text, 0) & 1048575) < 52428"},
		{"percent and limit, no key, partitioned", events,
			plan.ResolvedRoot{Table: events.Name, Percent: &percent, Limit: &limit},
			"SELECT id, email FROM \"public\".\"events\" WHERE (hashtextextended(ROW(tableoid, ctid)::text, 0) & 1048575) < 52428 ORDER BY\ntableoid, ctid\nLIMIT 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := &tableState{t: tc.t, from: plan.FromClause(tc.t), selectList: "id, email"}
			extraction := rootQuery(ts, tc.r)
			estimate := "COPY (" + plan.RootQuery(tc.t, tc.r, ts.selectList).SQL + ") TO STDOUT"
			if extraction != estimate {
				t.Errorf("extraction:\n%s\nestimate:\n%s", extraction, estimate)
			}
			if want := "COPY (" + tc.want + ") TO STDOUT"; extraction != want {
				t.Errorf("extraction:\n%q\nwant:\n%q", extraction, want)
			}
		})
	}
}
