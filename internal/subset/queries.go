package subset

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/config"
)

// rootQuery selects a root's rows. A limit without order_by is ordered by
// the primary key (or ctid) so that it picks the same rows every time;
// percent keeps the rows whose key hashes below the share, the same rows
// for the same data however it is stored.
func rootQuery(ts *tableState, r config.ResolvedRoot) string {
	var conds []string
	if r.Where != "" {
		conds = append(conds, config.Condition(r.Where))
	}
	if r.Percent != nil {
		conds = append(conds, fmt.Sprintf("(hashtextextended(ROW(%s)::text, 0) & 1048575) < %d",
			identityList(ts), int64(*r.Percent/100*1048576)))
	}
	q := "SELECT " + ts.selectList + " FROM " + ts.from
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	if r.Limit != nil {
		order := r.OrderBy
		if order == "" {
			order = identityList(ts)
		}
		q += fmt.Sprintf(" %sLIMIT %d", config.OrderByClause(order), *r.Limit)
	}
	return "COPY (" + q + ") TO STDOUT"
}

// identityList is the SQL list of the columns that identify a row.
func identityList(ts *tableState) string {
	if len(ts.t.PrimaryKey) == 0 {
		return "tableoid, ctid"
	}
	return quoteColumns(ts.t.PrimaryKey)
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
		q += " AND " + config.Condition(where)
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
