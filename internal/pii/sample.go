package pii

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// Querier runs the sample's statements: a pgx.Tx (the caller's read-only
// snapshot transaction) is one.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

const (
	// SampleRows is how many rows of a table the sample reads at most.
	SampleRows = 200
	// minMatches and minShare: a column is flagged when at least this many
	// of its sampled values, and at least this share of them, match.
	minMatches = 3
	minShare   = 0.5
	// scanPages: a table of at most this many 8 kB pages is read from its
	// start (LIMIT alone); a bigger one through TABLESAMPLE SYSTEM at the
	// percentage that reads about this many pages.
	scanPages = 256
	pageBytes = 8192
)

// Sample reads a small sample of the text-like columns (text, varchar,
// char, citext; arrays and json are not sampled) of the included tables
// that no finding in already covers, and flags those whose values mostly
// look like emails, phone numbers, payment card numbers (Luhn), IBANs
// (mod 97) or IP addresses. UUIDs, dates and plain numbers are not
// personal and match nothing.
//
// It runs in q, which should be the caller's read-only snapshot
// transaction: one SELECT per table (all its candidate columns at once,
// at most SampleRows rows whose candidates are not all NULL), each in a
// savepoint, reading only a bounded number of pages (TABLESAMPLE SYSTEM …
// REPEATABLE on big tables) so that it stays far below a statement
// timeout. A table whose sample fails (no SELECT privilege on a column, a
// statement timeout) is skipped with a warning and leaves q usable; a
// failure to roll back to the savepoint, or ctx ending, is an error.
//
// The returned findings hold counts only, never a value.
func Sample(ctx context.Context, q Querier, cat *catalog.Catalog, include func(catalog.Name) bool, already []Finding) (found []Finding, warnings []string, err error) {
	covered := map[colRef]bool{}
	for _, f := range already {
		covered[colRef{f.Table, f.Column}] = true
	}
	for _, t := range cat.Tables {
		if include != nil && !include(t.Name) {
			continue
		}
		var cols []*catalog.Column
		for _, c := range t.Columns {
			if covered[colRef{t.Name, c.Name}] || c.Array {
				continue
			}
			if fam, _ := classify(typeOf(c).base); fam == famString {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			continue
		}
		fs, err := sampleTable(ctx, q, t, cols)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			var pgErr *pgconn.PgError
			if !asPgError(err, &pgErr) {
				return nil, nil, err
			}
			warnings = append(warnings, fmt.Sprintf("could not sample %s to look for personal data: %s", t.Name.Display(), pgErr.Message))
			continue
		}
		found = append(found, fs...)
	}
	sortFindings(cat, found)
	return found, warnings, nil
}

// sampleQuery is the statement that samples cols of t.
func sampleQuery(t *catalog.Table, cols []*catalog.Column) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pgx.Identifier{c.Name}.Sanitize() + "::pg_catalog.text")
	}
	b.WriteString(" FROM ")
	if t.Kind != catalog.Partitioned {
		b.WriteString("ONLY ") // an inheritance child is a table of its own
	}
	b.WriteString(t.Name.String())
	if pages := t.Bytes / pageBytes; pages > scanPages {
		pct := 100 * float64(scanPages) / float64(pages)
		fmt.Fprintf(&b, " TABLESAMPLE SYSTEM (%.6f) REPEATABLE (0)", pct)
	}
	b.WriteString(" WHERE ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(pgx.Identifier{c.Name}.Sanitize() + " IS NOT NULL")
	}
	fmt.Fprintf(&b, " LIMIT %d", SampleRows)
	return b.String()
}

const savepoint = "pgtwin_pii_sample"

func sampleTable(ctx context.Context, q Querier, t *catalog.Table, cols []*catalog.Column) (_ []Finding, err error) {
	if _, err := q.Exec(ctx, "SAVEPOINT "+savepoint); err != nil {
		return nil, fmt.Errorf("sample %s: %w", t.Name.Display(), err)
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		if err != nil {
			if _, rerr := q.Exec(ctx, "ROLLBACK TO SAVEPOINT "+savepoint); rerr != nil {
				err = fmt.Errorf("sample %s: roll back to the savepoint: %v (after: %v)", t.Name.Display(), rerr, err)
				return
			}
		}
		if _, rerr := q.Exec(ctx, "RELEASE SAVEPOINT "+savepoint); rerr != nil && err == nil {
			err = fmt.Errorf("sample %s: release the savepoint: %w", t.Name.Display(), rerr)
		}
	}()
	type tally struct {
		values int
		hits   []int // per detector
	}
	tallies := make([]tally, len(cols))
	for i := range tallies {
		tallies[i].hits = make([]int, len(detectors))
	}
	rows, err := q.Query(ctx, sampleQuery(t, cols), pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		for i, raw := range rows.RawValues() {
			if raw == nil || i >= len(cols) {
				continue
			}
			tallies[i].values++
			v := string(raw)
			for d, det := range detectors {
				if det.match(v) {
					tallies[i].hits[d]++
					break
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Finding
	for i, c := range cols {
		tl := tallies[i]
		best := -1
		for d, n := range tl.hits {
			if n >= minMatches && float64(n) >= minShare*float64(tl.values) && (best < 0 || n > tl.hits[best]) {
				best = d
			}
		}
		if best < 0 {
			continue
		}
		f := Finding{Table: t.Name, Column: c.Name, num: c.Num,
			Reasons: []string{fmt.Sprintf("sampled values look like %s (%d of %d)", detectors[best].name, tl.hits[best], tl.values)}}
		f.Suggest, f.Value = suggest(detectors[best].sem, typeOf(c))
		out = append(out, f)
	}
	return out, nil
}

func asPgError(err error, target **pgconn.PgError) bool { return errors.As(err, target) }
