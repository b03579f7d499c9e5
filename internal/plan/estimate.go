package plan

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
)

// EstimateRoots asks the source's planner how many rows each root with a
// WHERE clause or a limit selects (EXPLAIN, nothing is executed).
func EstimateRoots(ctx context.Context, tx pgx.Tx, res *config.Resolved) (map[catalog.Name]int64, error) {
	out := map[catalog.Name]int64{}
	for _, r := range res.Roots {
		if r.Where == "" && r.Limit == nil {
			continue
		}
		q := "EXPLAIN (FORMAT JSON) " + RootQuery(r, "1")
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
		out[r.Table] += int64(explain[0].Plan.Rows)
	}
	return out, nil
}

// RootQuery is the SELECT of columns cols that picks a root's rows (without
// percent sampling).
func RootQuery(r config.ResolvedRoot, cols string) string {
	q := "SELECT " + cols + " FROM " + r.Table.String()
	if r.Where != "" {
		q += " WHERE " + config.Condition(r.Where)
	}
	if r.OrderBy != "" {
		q += " " + config.OrderByClause(r.OrderBy)
	}
	if r.Limit != nil {
		q += fmt.Sprintf(" LIMIT %d", *r.Limit)
	}
	return q
}

func rows(t *catalog.Table) int64 { return max(t.EstimatedRows, 0) }

func (p *Plan) rootEstimate(r config.ResolvedRoot, rootRows map[catalog.Name]int64, cat *catalog.Catalog) int64 {
	total := rows(cat.Table(r.Table))
	n := total
	if est, ok := rootRows[r.Table]; ok {
		n = est
	}
	if r.Percent != nil {
		n = int64(float64(n) * *r.Percent / 100)
	}
	if r.Limit != nil {
		n = min(n, *r.Limit)
	}
	return min(n, total)
}

// estimate fills EstimatedRows in two single passes, so cycles cannot
// feed an estimate back into itself. Down: in the order the traversal
// reached tables, a child gets the share of its rows that matches the share
// of parent rows reached down. Up: children before parents, each selected
// child row not already below a down parent brings at most one parent row.
// Edges inside a cycle are left out of the up pass; every estimate is capped
// by the table's size.
func (p *Plan) estimate(cat *catalog.Catalog, res *config.Resolved, rootRows map[catalog.Name]int64, downOrder []catalog.Name) {
	size := func(n catalog.Name) int64 { return rows(cat.Table(n)) }
	base := map[catalog.Name]int64{}
	for _, r := range res.Roots {
		base[r.Table] += p.rootEstimate(r, rootRows, cat)
	}
	for n, mode := range res.Copy {
		if mode == config.CopyAll && cat.Table(n) != nil {
			base[n] = size(n)
		}
	}
	edge := map[*catalog.ForeignKey]*Edge{}
	for _, e := range p.Edges {
		edge[e.FK] = e
	}

	downRows := map[catalog.Name]int64{}
	reached := map[catalog.Name]bool{}
	downVia := func(fk *catalog.ForeignKey) int64 {
		if !edge[fk].Down || !reached[fk.Parent] || fk.Parent == fk.Child || size(fk.Parent) == 0 {
			return 0
		}
		return size(fk.Child) * downRows[fk.Parent] / size(fk.Parent)
	}
	for _, n := range downOrder {
		d := base[n]
		for _, fk := range p.graph.Up[n] {
			d += downVia(fk)
		}
		downRows[n] = min(d, size(n))
		reached[n] = true
	}

	total := map[catalog.Name]int64{}
	role := map[catalog.Name]string{}
	for _, t := range p.Tables {
		role[t.Name] = t.Role
	}
	for i := len(p.graph.Components) - 1; i >= 0; i-- {
		for _, n := range p.graph.Components[i] {
			if role[n] == ReasonSchemaOnly || role[n] == ReasonUnreached {
				continue
			}
			u := int64(0)
			for _, fk := range p.graph.Down[n] {
				if edge[fk].Up && p.graph.Component(fk.Child) != i {
					u += max(0, total[fk.Child]-downVia(fk))
				}
			}
			total[n] = min(max(downRows[n], base[n])+u, size(n))
		}
	}
	for _, t := range p.Tables {
		t.EstimatedRows = total[t.Name]
	}
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
