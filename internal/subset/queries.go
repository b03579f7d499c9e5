package subset

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/plan"
)

// rootQuery copies a root's rows: the query plan.RootQuery builds,
// the one the plan's estimate EXPLAINs.
func rootQuery(ts *tableState, r plan.ResolvedRoot) string {
	return "COPY (" + plan.RootQuery(ts.t, r, ts.selectList).SQL + ") TO STDOUT"
}

func quoteColumns(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// lookupQuery selects the rows of ts whose columns cols hold one of the
// key tuples. Keys travel as text arrays cast to the columns' types, so any
// key type works and the server plans a hash or index lookup.
func lookupQuery(ts *tableState, cols []string, arrays []string, where string) string {
	var sel, names []string
	for i, c := range cols {
		v := fmt.Sprintf("v%d", i)
		names = append(names, v)
		sel = append(sel, "u."+v+"::"+ts.t.Column(c).Type)
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE (%s) IN (SELECT %s FROM unnest(%s) AS u(%s))",
		ts.selectList, ts.from, quoteColumns(cols), strings.Join(sel, ", "), strings.Join(arrays, ", "), strings.Join(names, ", "))
	if where != "" {
		q += " AND " + plan.Condition(where)
	}
	return "COPY (" + q + ") TO STDOUT"
}

// writeArrayElem writes s as a quoted element of an array literal inside a
// SQL string literal.
func writeArrayElem(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\'':
			b.WriteString("''")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
