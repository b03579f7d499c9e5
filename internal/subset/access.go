package subset

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/plan"
)

// Access is how a lookup reads the rows its keys ask for.
type Access int

const (
	// AccessAuto chooses per lookup, from the source's statistics and the
	// number of keys waiting, as a query planner would.
	AccessAuto Access = iota
	// AccessProbe sends the keys in batches of Options.BatchSize: a few
	// index probes each (small key sets).
	AccessProbe
	// AccessSet sends every waiting key in one query and lets the source's
	// planner join them with the table (up to maxSetKeys keys a query).
	AccessSet
	// AccessScan reads the whole table once and keeps, in pgtwin, the rows
	// whose key is in the waiting set (when most of the table is wanted).
	AccessScan
)

func (a Access) String() string {
	switch a {
	case AccessProbe:
		return "probe"
	case AccessSet:
		return "set"
	case AccessScan:
		return "scan"
	}
	return "auto"
}

const (
	// maxSetKeys bounds one set-based query: its key array is SQL text
	// (about 8 bytes a key) that pgtwin builds and the server parses.
	maxSetKeys = 1 << 20
	// scanShare is the share of a table a lookup must want for a full read
	// filtered in pgtwin to beat a set-based query: every row of a scan is
	// printed by the source and parsed by pgtwin, where a join drops the
	// unwanted ones on the server.
	scanShare = 0.6
)

// lookup reads the rows of ts whose columns cols (fields idx of its rows)
// hold keys waiting in q, by the access path chosen for their number.
func (e *engine) lookup(ctx context.Context, es *edgeState, ts *tableState, cols []string, idx []int, q *keyQueue, where string, m mode) error {
	path := e.access
	if path == AccessAuto {
		path = e.choose(ts, cols, q.len())
	}
	switch path {
	case AccessScan:
		set := q.takeAll()
		var keyBuf [][]byte
		filter := func(fields [][]byte) bool {
			keyBuf = pick(keyBuf[:0], fields, idx)
			return !anyNull(keyBuf) && set.has(keyBuf)
		}
		sql := "SELECT " + ts.selectList + " FROM " + ts.from
		if where != "" {
			sql += " WHERE " + plan.Condition(where)
		}
		return e.fetch(ctx, ts, "COPY ("+sql+") TO STDOUT", m, filter)
	case AccessSet:
		return e.fetch(ctx, ts, lookupQuery(ts, cols, q.takeArrays(maxSetKeys, len(cols)), where), m, nil)
	default:
		return e.fetch(ctx, ts, lookupQuery(ts, cols, q.takeArrays(e.batch, len(cols)), where), m, nil)
	}
}

// choose picks the access path of a lookup of k keys into columns cols of
// ts: probes for one batch or less, a full read when the keys ask for most
// of the table, one set-based query in between. The rows a key brings come
// from pg_class.reltuples and pg_stats.n_distinct (read with the catalog); without statistics the
// set-based query is the safe middle (the source's planner still chooses
// between an index and a hash join).
func (e *engine) choose(ts *tableState, cols []string, k int) Access {
	if k <= e.batch {
		return AccessProbe
	}
	n := float64(ts.t.EstimatedRows)
	if n <= 0 {
		return AccessSet
	}
	perKey := 1.0
	if !isUnique(ts.t, cols) {
		if nd := ts.t.DistinctKeys(cols); nd > 0 {
			perKey = max(1, n/nd)
		}
	}
	if min(float64(k)*perKey, n) >= scanShare*n {
		return AccessScan
	}
	return AccessSet
}

func isUnique(t *catalog.Table, cols []string) bool {
	if sameColumns(cols, t.PrimaryKey) {
		return true
	}
	for _, u := range t.UniqueKeys {
		if sameColumns(cols, u) {
			return true
		}
	}
	return false
}

// childrenOfAllQuery selects the children of every row of a whole-down
// parent: through a validated key, every row whose key is not NULL; through
// a virtual or NOT VALID one, those whose key the parent holds.
func childrenOfAllQuery(es *edgeState) string {
	c := es.child
	var conds []string
	if es.validated {
		for _, col := range es.fk.ChildColumns {
			conds = append(conds, pgx.Identifier{col}.Sanitize()+" IS NOT NULL")
		}
	} else {
		conds = append(conds, fmt.Sprintf("(%s) IN (SELECT %s FROM %s)",
			quoteColumns(es.fk.ChildColumns), quoteColumns(es.fk.ParentColumns), es.parent.from))
	}
	if es.childrenWhere != "" {
		conds = append(conds, plan.Condition(es.childrenWhere))
	}
	return "COPY (SELECT " + c.selectList + " FROM " + c.from + " WHERE " + strings.Join(conds, " AND ") + ") TO STDOUT"
}

// parentsOfAllQuery selects the parents of every row of a whole child by
// one semi-join on the source, with no key held in pgtwin.
func parentsOfAllQuery(es *edgeState) string {
	p := es.parent
	return fmt.Sprintf("COPY (SELECT %s FROM %s WHERE (%s) IN (SELECT %s FROM %s)) TO STDOUT",
		p.selectList, p.from, quoteColumns(es.fk.ParentColumns), quoteColumns(es.fk.ChildColumns), es.child.from)
}
