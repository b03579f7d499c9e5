package clone

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/plan"
	"github.com/pgtwin/pgtwin/internal/subset"
)

// Budget limits a run; a zero field is no limit.
type Budget struct {
	// MaxRows and MaxBytes limit the twin's rows and the bytes of their COPY
	// text: checked against the plan's estimate before anything is written,
	// and against the real counts while the rows are copied.
	MaxRows, MaxBytes int64
	// MaxDuration limits the run up to its commit.
	MaxDuration time.Duration
	// Names name the limits in messages, by kind ("rows", "bytes",
	// "duration"); the default is the flag (--max-rows, …).
	Names map[string]string
}

func (b Budget) name(kind string) string {
	if n := b.Names[kind]; n != "" {
		return n
	}
	return "--max-" + kind
}

// BudgetError says that a run was refused or stopped by a budget. Before
// is true when the plan's estimate was over it and nothing was done (a
// refusal, like a guard's); otherwise the run was rolled back when it
// crossed the budget, and the target is as it was.
type BudgetError struct {
	Kind   string // "rows", "bytes" or "duration"
	Limit  int64  // rows, bytes, or nanoseconds
	Before bool
	// Phase is the phase the run stopped in; Rows, Bytes and Tables what it
	// had copied by then (Tables: tables with rows, of Planned).
	Phase           string
	Rows, Bytes     int64
	Tables, Planned int
	msg             string
}

func (e *BudgetError) Error() string { return e.msg }

// IsBudget reports whether err is a budget's refusal or stop.
func IsBudget(err error) bool {
	var b *BudgetError
	return errors.As(err, &b)
}

// errMaxDuration is the cause of the run's context when MaxDuration ends
// it.
var errMaxDuration = errors.New("the run took longer than its duration budget")

// narrowHint says how to make a twin smaller.
const narrowHint = "narrow the twin with a smaller limit, percent or where on a root, children_where or follow_children: false " +
	"on the key that pulls a table in, or copy: schema for a table dev does not need (pgtwin plan shows why each table is in)"

// checkEstimate refuses a plan whose estimate is over the budget.
func checkEstimate(p *plan.Plan, b Budget) error {
	var rows, bytes int64
	for _, t := range p.Tables {
		rows += t.EstimatedRows
		bytes += t.EstimatedBytes()
	}
	for _, k := range []struct {
		kind       string
		limit, est int64
		of         func(*plan.Table) int64
	}{
		{"rows", b.MaxRows, rows, func(t *plan.Table) int64 { return t.EstimatedRows }},
		{"bytes", b.MaxBytes, bytes, (*plan.Table).EstimatedBytes},
	} {
		if k.limit <= 0 || k.est <= k.limit {
			continue
		}
		top := append([]*plan.Table(nil), p.Tables...)
		sort.SliceStable(top, func(i, j int) bool { return k.of(top[i]) > k.of(top[j]) })
		var m strings.Builder
		fmt.Fprintf(&m, "the plan's estimate of ~%s is over the budget of %s (%s): nothing was done\n  the biggest contributors (estimated):",
			amount(k.kind, k.est), amount(k.kind, k.limit), b.name(k.kind))
		w := 0
		for _, t := range top[:min(5, len(top))] {
			w = max(w, len(t.Table))
		}
		for _, t := range top[:min(5, len(top))] {
			if k.of(t) <= 0 {
				break
			}
			fmt.Fprintf(&m, "\n    %-*s  ~%s rows  ~%s  %s", w, t.Table, human.Count(t.EstimatedRows), human.Bytes(t.EstimatedBytes()), t.Because())
		}
		fmt.Fprintf(&m, "\n  %s; or raise the budget (%s)", narrowHint, b.name(k.kind))
		return &BudgetError{Kind: k.kind, Limit: k.limit, Before: true, Phase: "plan", Planned: p.Totals.WithRows, msg: m.String()}
	}
	return nil
}

// copied sums what stats say was copied.
func copied(stats []subset.TableStats, p *plan.Plan) (rows, bytes int64, tables, planned int) {
	for _, s := range stats {
		rows += s.Rows
		bytes += s.Bytes
		if s.Rows > 0 {
			tables++
		}
	}
	return rows, bytes, tables, max(p.Totals.WithRows, tables)
}

// overBudget explains a copy stopped by a rows or bytes budget.
func overBudget(ob *subset.OverBudget, stats []subset.TableStats, p *plan.Plan, b Budget) error {
	rows, bytes, tables, planned := copied(stats, p)
	e := &BudgetError{Kind: ob.Kind, Limit: ob.Limit, Phase: "data", Rows: rows, Bytes: bytes, Tables: tables, Planned: planned}
	est := p.Totals.EstimatedRows
	if ob.Kind == "bytes" {
		est = 0
		for _, t := range p.Tables {
			est += t.EstimatedBytes()
		}
	}
	var m strings.Builder
	fmt.Fprintf(&m, "the twin crossed its budget of %s (%s) while copying %s: %s rows (%s) copied into %d of %d tables; "+
		"the run was rolled back and the target is as it was",
		amount(ob.Kind, ob.Limit), b.name(ob.Kind), ob.Table.Display(), human.Count(rows), human.Bytes(bytes), tables, planned)
	top := append([]subset.TableStats(nil), stats...)
	sort.SliceStable(top, func(i, j int) bool {
		if ob.Kind == "bytes" {
			return top[i].Bytes > top[j].Bytes
		}
		return top[i].Rows > top[j].Rows
	})
	var big []string
	for _, s := range top[:min(3, len(top))] {
		if s.Rows > 0 {
			big = append(big, fmt.Sprintf("%s %s rows (%s)", s.Table.Display(), human.Count(s.Rows), human.Bytes(s.Bytes)))
		}
	}
	if len(big) > 0 {
		fmt.Fprintf(&m, "\n  the biggest so far: %s", strings.Join(big, ", "))
	}
	fmt.Fprintf(&m, "\n  the plan estimated ~%s; when the source's statistics are stale (ANALYZE it), estimates run low", amount(ob.Kind, est))
	fmt.Fprintf(&m, "\n  %s; or raise the budget (%s)", narrowHint, b.name(ob.Kind))
	e.msg = m.String()
	return e
}

// outOfTime explains a run stopped by its duration budget.
func outOfTime(b Budget, phase string, stats []subset.TableStats, p *plan.Plan) error {
	e := &BudgetError{Kind: "duration", Limit: int64(b.MaxDuration), Phase: phase}
	msg := fmt.Sprintf("stopped after %s (the duration budget, %s) in phase %s", b.MaxDuration, b.name("duration"), phase)
	if p != nil && stats != nil {
		e.Rows, e.Bytes, e.Tables, e.Planned = copied(stats, p)
		msg += fmt.Sprintf(", %s rows (%s) copied into %d of %d tables", human.Count(e.Rows), human.Bytes(e.Bytes), e.Tables, e.Planned)
	}
	e.msg = msg + "; the run was rolled back and the target is as it was"
	return e
}

func amount(kind string, n int64) string {
	if kind == "bytes" {
		return human.Bytes(n)
	}
	return human.Count(n) + " rows"
}
