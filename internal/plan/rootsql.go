package plan

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// RootSelect is a root's SELECT as RootQuery builds it.
type RootSelect struct {
	SQL string
	// WhereAt and OrderByAt are where the root's where and order_by
	// fragments begin in SQL, in characters (0-based), so that a server
	// error's position can be told relative to the fragment; -1 when SQL
	// does not hold the fragment.
	WhereAt, OrderByAt int
}

// RootQuery is the one way to select a root's rows: the extraction copies
// them with it, the plan's estimate EXPLAINs it and CheckSQL checks the
// fragments inside it. It selects selectList from t (ONLY t for an ordinary
// table: its inheritance children are tables of their own) where the
// root's where holds and, with percent, the row's identity hashes below
// the share — the same rows for the same data however it is stored. A
// limit takes the first rows by order_by, or by the identity when there is
// none, so that it picks the same rows every time; order_by without a limit
// orders nothing.
func RootQuery(t *catalog.Table, r ResolvedRoot, selectList string) RootSelect {
	var b strings.Builder
	q := RootSelect{WhereAt: -1, OrderByAt: -1}
	at := func(clause, frag string) int {
		return utf8.RuneCountInString(b.String()) + utf8.RuneCountInString(clause[:strings.Index(clause, frag)])
	}
	b.WriteString("SELECT " + selectList + " FROM " + FromClause(t))
	sep := " WHERE "
	if r.Where != "" {
		b.WriteString(sep)
		cond := Condition(r.Where)
		q.WhereAt = at(cond, r.Where)
		b.WriteString(cond)
		sep = " AND "
	}
	if r.Percent != nil {
		b.WriteString(sep)
		fmt.Fprintf(&b, "(hashtextextended(ROW(%s)::text, 0) & 1048575) < %d", Identity(t), int64(*r.Percent/100*1048576))
	}
	if r.Limit != nil {
		order := r.OrderBy
		if order == "" {
			order = Identity(t)
		}
		b.WriteString(" ")
		clause := OrderByClause(order)
		if r.OrderBy != "" {
			q.OrderByAt = at(clause, r.OrderBy)
		}
		b.WriteString(clause)
		fmt.Fprintf(&b, "LIMIT %d", *r.Limit)
	}
	q.SQL = b.String()
	return q
}

// FromClause is what a query over t's own rows reads: ONLY t for an
// ordinary table, the partitioned table itself (its partitions hold its
// rows).
func FromClause(t *catalog.Table) string {
	if t.Kind == catalog.Partitioned {
		return t.Name.String()
	}
	return "ONLY " + t.Name.String()
}

// Identity is the SQL list of the columns that identify a row of t: its
// primary key, else tableoid and ctid.
func Identity(t *catalog.Table) string {
	if len(t.PrimaryKey) == 0 {
		return "tableoid, ctid"
	}
	q := make([]string, len(t.PrimaryKey))
	for i, c := range t.PrimaryKey {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}
