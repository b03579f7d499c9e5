package clone_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/pgtest"
)

// oracle computes the rows a twin of database src must hold, set-based
// and without pgtwin's extraction code: it marks rows with two extra
// columns (selected, reached down from a root) inside a transaction on the
// source, applies the rules with UPDATE … WHERE EXISTS until nothing
// changes, reads the marked rows' identities and rolls everything back.
func oracle(t *testing.T, src, yaml string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, src)
	cfg, err := config.Parse("twin.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	cat, err := catalog.ReadTx(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := config.Check(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) int64 {
		t.Helper()
		tag, err := tx.Exec(ctx, sql)
		if err != nil {
			t.Fatalf("oracle: %v\n%s", err, sql)
		}
		return tag.RowsAffected()
	}
	exec("SET LOCAL session_replication_role = replica")
	var tables []*catalog.Table
	for _, tb := range cat.Tables {
		if res.Included(tb.Name) {
			tables = append(tables, tb)
			exec("ALTER TABLE " + tb.Name.String() + " ADD COLUMN IF NOT EXISTS _o_sel bool NOT NULL DEFAULT false, ADD COLUMN IF NOT EXISTS _o_down bool NOT NULL DEFAULT false")
		}
	}
	schemaOnly := func(n catalog.Name) bool { return res.Copy[n] == config.CopySchema }
	for _, r := range res.Roots {
		tb := cat.Table(r.Table)
		var conds []string
		if r.Where != "" {
			conds = append(conds, config.Condition(r.Where))
		}
		if r.Percent != nil {
			conds = append(conds, fmt.Sprintf("(hashtextextended(ROW(%s)::text, 0) & 1048575) < %d", keyList(tb), int64(*r.Percent/100*1048576)))
		}
		q := "SELECT tableoid, ctid FROM " + fromOnly(tb)
		if len(conds) > 0 {
			q += " WHERE " + strings.Join(conds, " AND ")
		}
		if r.Limit != nil {
			order := r.OrderBy
			if order == "" {
				order = keyList(tb)
			}
			q += fmt.Sprintf(" %sLIMIT %d", config.OrderByClause(order), *r.Limit)
		}
		exec(fmt.Sprintf("UPDATE %s SET _o_sel = true, _o_down = true WHERE (tableoid, ctid) IN (%s)", fromOnly(tb), q))
	}
	for n, mode := range res.Copy {
		if mode == config.CopyAll {
			exec("UPDATE " + fromOnly(cat.Table(n)) + " SET _o_sel = true")
		}
	}
	fks := append(append([]*catalog.ForeignKey{}, cat.ForeignKeys...), res.VirtualFKs...)
	for {
		changed := int64(0)
		for _, fk := range fks {
			if !res.Included(fk.Child) || !res.Included(fk.Parent) {
				continue
			}
			rule, hasRule := res.Rules[fk]
			child, parent := cat.Table(fk.Child), cat.Table(fk.Parent)
			var match []string
			for i := range fk.ChildColumns {
				match = append(match, "p."+pgx.Identifier{fk.ParentColumns[i]}.Sanitize()+" = c."+pgx.Identifier{fk.ChildColumns[i]}.Sanitize())
			}
			on := strings.Join(match, " AND ")
			if (!hasRule || rule.FollowChildren) && !schemaOnly(fk.Child) {
				where := "true"
				if hasRule && rule.ChildrenWhere != "" {
					where = config.Condition(rule.ChildrenWhere)
				}
				changed += exec(fmt.Sprintf("UPDATE %s AS c SET _o_sel = true, _o_down = true WHERE NOT c._o_down AND %s AND EXISTS (SELECT 1 FROM %s AS p WHERE p._o_down AND %s)",
					fromOnly(child), where, fromOnly(parent), on))
			}
			if !(hasRule && rule.Cut) && !schemaOnly(fk.Parent) {
				changed += exec(fmt.Sprintf("UPDATE %s AS p SET _o_sel = true WHERE NOT p._o_sel AND EXISTS (SELECT 1 FROM %s AS c WHERE c._o_sel AND %s)",
					fromOnly(parent), fromOnly(child), on))
			}
		}
		if changed == 0 {
			break
		}
	}
	out := map[string][]string{}
	for _, tb := range tables {
		rows, err := tx.Query(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE _o_sel ORDER BY 1", identityExpr(tb), fromOnly(tb)))
		if err != nil {
			t.Fatal(err)
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if vals == nil {
			vals = []string{}
		}
		out[tb.Name.Display()] = vals
	}
	return out
}

func keyList(tb *catalog.Table) string {
	if len(tb.PrimaryKey) == 0 {
		return "tableoid, ctid"
	}
	q := make([]string, len(tb.PrimaryKey))
	for i, c := range tb.PrimaryKey {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(q, ", ")
}

// verifyTwin checks what every twin guarantees: the same constraints, all
// valid where the source's are; every row equal to its source row (cut
// keys aside); sequences ahead of their columns; the marker present.
func verifyTwin(t *testing.T, src, tgt, yaml string) {
	t.Helper()
	ctx := context.Background()
	constraints := `SELECT c.conrelid::regclass::text || ' ' || c.conname || ' ' || c.contype::text || ' valid=' || c.convalidated::text
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgtwin') AND c.contype IN ('f', 'p', 'u', 'c', 'x') AND c.conrelid <> 0
ORDER BY 1`
	if d := cmp.Diff(column(t, src, constraints), column(t, tgt, constraints)); d != "" {
		t.Errorf("constraints differ (-source +twin):\n%s", d)
	}

	cfg, err := config.Parse("twin.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	cat := readCatalog(t, src)
	res, err := config.Check(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	cut := map[catalog.Name]map[string]bool{}
	for fk, rule := range res.Rules {
		if rule.Cut {
			if cut[fk.Child] == nil {
				cut[fk.Child] = map[string]bool{}
			}
			for _, c := range fk.ChildColumns {
				cut[fk.Child][c] = true
			}
		}
	}
	rowText := func(tb *catalog.Table) string {
		var cols []string
		for _, c := range tb.Columns {
			if cut[tb.Name][c.Name] {
				cols = append(cols, "NULL")
			} else {
				cols = append(cols, pgx.Identifier{c.Name}.Sanitize())
			}
		}
		return fmt.Sprintf("SELECT ROW(%s)::text FROM %s", strings.Join(cols, ", "), fromOnly(tb))
	}
	srcRows := queryPerTable(t, src, rowText)
	tgtRows := queryPerTable(t, tgt, rowText)
	for table, rows := range tgtRows {
		have := map[string]int{}
		for _, r := range srcRows[table] {
			have[r]++
		}
		for _, r := range rows {
			if have[r] == 0 {
				t.Errorf("%s: twin row %s is not a source row", table, r)
			}
			have[r]--
		}
	}

	tconn := pgtest.Connect(t, tgt)
	for _, s := range cat.Sequences {
		if s.OwnedBy == nil || !res.Included(*s.OwnedBy) {
			continue
		}
		var ok bool
		q := fmt.Sprintf("SELECT coalesce((SELECT max(%s) FROM %s), 0) <= (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s)",
			pgx.Identifier{s.Column}.Sanitize(), s.OwnedBy.String(), s.Name.String())
		if err := tconn.QueryRow(ctx, q).Scan(&ok); err != nil {
			t.Fatalf("sequence %s: %v", s.Name.Display(), err)
		}
		if !ok {
			t.Errorf("sequence %s is behind the data in %s.%s", s.Name.Display(), s.OwnedBy.Display(), s.Column)
		}
	}
	var runs int
	if err := tconn.QueryRow(ctx, "SELECT count(*) FROM pgtwin.runs").Scan(&runs); err != nil || runs == 0 {
		t.Errorf("marker: %d runs, %v", runs, err)
	}
}

// column runs a one-column query and returns its values.
func column(t *testing.T, db, sql string, args ...any) []string {
	t.Helper()
	rows, err := pgtest.Connect(t, db).Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return vals
}
