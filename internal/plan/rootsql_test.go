package plan

import (
	"context"
	"testing"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// TestRootQueryOffsets checks that RootQuery tells where each fragment
// begins, in characters, also after non-ASCII text.
func TestRootQueryOffsets(t *testing.T) {
	tb := &catalog.Table{Name: catalog.Name{Schema: "public", Name: "Bücher"}, Kind: catalog.Ordinary, PrimaryKey: []string{"ïd"}}
	limit, percent := int64(3), 50.0
	r := ResolvedRoot{Table: tb.Name, Where: "titel = 'Ä'", OrderBy: "ïd DESC", Limit: &limit, Percent: &percent}
	q := RootQuery(tb, r, `"ïd"`)
	want := "SELECT \"ïd\" FROM ONLY \"public\".\"Bücher\" WHERE (\ntitel = 'Ä'\n) AND (hashtextextended(ROW(\"ïd\")::text, 0) & 1048575) < 524288 ORDER BY\nïd DESC\nLIMIT 3"
	if q.SQL != want {
		t.Fatalf("SQL:\n%q\nwant:\n%q", q.SQL, want)
	}
	runes := []rune(q.SQL)
	if got := string(runes[q.WhereAt : q.WhereAt+len([]rune(r.Where))]); got != r.Where {
		t.Errorf("at WhereAt: %q", got)
	}
	if got := string(runes[q.OrderByAt : q.OrderByAt+len([]rune(r.OrderBy))]); got != r.OrderBy {
		t.Errorf("at OrderByAt: %q", got)
	}
	// Without a limit there is no order; without where, no WhereAt.
	q = RootQuery(tb, ResolvedRoot{Table: tb.Name, OrderBy: "ïd"}, "1")
	if q.SQL != "SELECT 1 FROM ONLY \"public\".\"Bücher\"" || q.WhereAt != -1 || q.OrderByAt != -1 {
		t.Errorf("got %q, %d, %d", q.SQL, q.WhereAt, q.OrderByAt)
	}
}

// TestCheckSQLPercent checks fragments inside a sampled root's query: the
// positions are still told relative to the fragment.
func TestCheckSQLPercent(t *testing.T) {
	half := 50.0
	tx := readOnlyTx(t)
	for _, tc := range []struct {
		root ResolvedRoot
		want string
	}{
		{ResolvedRoot{Table: usersName, Where: "id > > 1", Percent: &half, Line: 3},
			`twin.yaml:3: roots[0].where: syntax error at or near ">" (at character 6: "> 1")`},
		{ResolvedRoot{Table: usersName, Where: "id >", Percent: &half, Line: 3},
			`twin.yaml:3: roots[0].where: syntax error at the end of the expression`},
		{ResolvedRoot{Table: usersName, Where: "id > 0", OrderBy: "created, id", Limit: ptr(int64(5)), Percent: &half, Line: 3},
			`twin.yaml:3: roots[0].order_by: column "created" does not exist (at character 1: "created, id"); hint: Perhaps you meant to reference the column "users.created_at".`},
		{ResolvedRoot{Table: usersName, Where: "id > 0", OrderBy: "id", Limit: ptr(int64(5)), Percent: &half, Line: 3}, ""},
	} {
		err := CheckSQL(context.Background(), tx, &Resolved{File: "twin.yaml", Roots: []ResolvedRoot{tc.root}})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: unexpected error: %v", tc.root, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%+v: error:\n%v\nwant:\n%s", tc.root, err, tc.want)
		}
	}
}
