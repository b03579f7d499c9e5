package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
)

// EstimateRoots asks the source's planner how many rows each root with a
// WHERE clause or a limit selects (EXPLAIN, nothing is executed). It
// EXPLAINs the very query the extraction runs (RootQuery), percent
// sampling included; the planner cannot know how a hash spreads, so it
// guesses the sample's share of those roots.
func EstimateRoots(ctx context.Context, tx pgx.Tx, cat *catalog.Catalog, res *Resolved) (map[catalog.Name]int64, error) {
	out := map[catalog.Name]int64{}
	for _, r := range res.Roots {
		t := cat.Table(r.Table)
		if (r.Where == "" && r.Limit == nil) || t == nil {
			continue
		}
		// The planner has no statistics for a sample's hash condition (it
		// would guess a third): a sampled root is explained without its
		// sample and its limit, and gets the sample's share of those rows.
		rq := r
		if r.Percent != nil {
			rq.Percent, rq.Limit = nil, nil
		}
		q := "EXPLAIN (FORMAT JSON) " + RootQuery(t, rq, "1").SQL
		var raw []byte
		if err := tx.QueryRow(ctx, q).Scan(&raw); err != nil {
			return nil, fmt.Errorf("estimate root %s: %w", r.Table.Display(), err)
		}
		var explain []struct {
			Plan struct {
				Rows float64 `json:"Plan Rows"`
			} `json:"Plan"`
		}
		if err := json.Unmarshal(raw, &explain); err != nil || len(explain) == 0 {
			return nil, fmt.Errorf("estimate root %s: unexpected EXPLAIN output", r.Table.Display())
		}
		n := explain[0].Plan.Rows
		if r.Percent != nil {
			n *= *r.Percent / 100
		}
		out[r.Table] += int64(n)
	}
	return out, nil
}

func rows(t *catalog.Table) int64 { return max(t.EstimatedRows, 0) }

func (p *Plan) rootEstimate(r ResolvedRoot, rootRows map[catalog.Name]int64, cat *catalog.Catalog) int64 {
	total := rows(cat.Table(r.Table))
	n := total
	est, explained := rootRows[r.Table]
	switch {
	case explained:
		n = est // EstimateRoots explained it, sample included
	case r.Percent != nil:
		n = int64(float64(n) * *r.Percent / 100)
	}
	if r.Limit != nil {
		n = min(n, *r.Limit)
	}
	return min(n, total)
}

// estimate fills EstimatedRows in two single passes, so cycles cannot
// feed an estimate back into itself.
//
// Down: in the order the traversal reached tables, a table's share of rows
// reached down is the largest of its roots' share and, for each key followed
// down from a reached parent, the parent's share times the share of the
// key's values that are not NULL. The largest, not the sum: paths from the
// same roots (orders by user and by the user's address) reach the same rows.
//
// Up: children before parents; the child rows not reached down through a
// key bring the distinct parents they reference — of the key's D distinct
// values, m rows pick about D·(1 − e^(−m/D)) (pg_stats.n_distinct gives D)
// — and the parents not already selected are added as if independent of
// those. Edges inside a cycle are left out of the up pass; every estimate
// is capped by the table's size.
func (p *Plan) estimate(cat *catalog.Catalog, res *Resolved, rootRows map[catalog.Name]int64, downOrder []catalog.Name) {
	size := func(n catalog.Name) float64 { return float64(rows(cat.Table(n))) }
	// base: rows selected by roots (reached down) and by copy: all (not).
	base, whole := map[catalog.Name]float64{}, map[catalog.Name]bool{}
	for _, r := range res.Roots {
		base[r.Table] += float64(p.rootEstimate(r, rootRows, cat))
	}
	for n, mode := range res.Copy {
		if mode == config.CopyAll && cat.Table(n) != nil {
			whole[n] = true
		}
	}
	edge := map[*catalog.ForeignKey]*Edge{}
	for _, e := range p.Edges {
		edge[e.FK] = e
	}
	share := func(n catalog.Name, rows float64) float64 {
		if size(n) <= 0 {
			return 0
		}
		return min(rows/size(n), 1)
	}

	downShare := map[catalog.Name]float64{}
	reached := map[catalog.Name]bool{}
	downVia := func(fk *catalog.ForeignKey) float64 {
		if !edge[fk].Down || !reached[fk.Parent] || fk.Parent == fk.Child {
			return 0
		}
		return downShare[fk.Parent] * (1 - nullShare(cat.Table(fk.Child), fk.ChildColumns)) * size(fk.Child)
	}
	for _, n := range downOrder {
		d := base[n]
		for _, fk := range p.graph.Up[n] {
			d = max(d, downVia(fk))
		}
		downShare[n] = share(n, d)
		reached[n] = true
	}

	total := map[catalog.Name]float64{}
	role := map[catalog.Name]string{}
	for _, t := range p.Tables {
		role[t.Name] = t.Role
	}
	for i := len(p.graph.Components) - 1; i >= 0; i-- {
		for _, n := range p.graph.Components[i] {
			if role[n] == ReasonSchemaOnly || role[n] == ReasonUnreached {
				continue
			}
			covered := max(downShare[n], share(n, base[n]))
			if whole[n] {
				covered = 1
			}
			for _, fk := range p.graph.Down[n] {
				if !edge[fk].Up || p.graph.Component(fk.Child) == i {
					continue
				}
				m := max(0, total[fk.Child]*(1-nullShare(cat.Table(fk.Child), fk.ChildColumns))-downVia(fk))
				if m <= 0 {
					continue
				}
				d := cat.Table(fk.Child).DistinctKeys(fk.ChildColumns)
				if d <= 0 {
					d = size(n)
				}
				picked := d * (1 - math.Exp(-m/max(d, 1)))
				covered = 1 - (1-covered)*(1-share(n, picked))
			}
			total[n] = min(covered*size(n), size(n))
		}
	}
	for _, t := range p.Tables {
		t.EstimatedRows = int64(math.Round(total[t.Name]))
	}
}

// nullShare is the share of rows of t with a NULL in one of cols (so no
// parent), from pg_stats.null_frac; 0 when unknown.
func nullShare(t *catalog.Table, cols []string) float64 {
	notNull := 1.0
	for _, c := range cols {
		if col := t.Column(c); col != nil && col.Stats {
			notNull *= 1 - col.NullFrac
		}
	}
	return 1 - notNull
}

// EstimatedBytes estimates the bytes of the table's rows in the twin: the
// share of the table's size (pg_table_size) that its estimated rows make
// up. It is 0 when the table's rows are not known.
func (t *Table) EstimatedBytes() int64 {
	if t.TableRows <= 0 || t.EstimatedRows <= 0 {
		return 0
	}
	return int64(float64(t.TableBytes) * float64(t.EstimatedRows) / float64(t.TableRows))
}
