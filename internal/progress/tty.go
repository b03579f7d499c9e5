package progress

import (
	"fmt"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/observe"
)

// maxTTYTables is the most table bars shown at once: the tables copied
// into most recently.
const maxTTYTables = 6

// tty draws live bars: the phase with its elapsed time, the copy's total
// (rows, bytes, rate, ETA) and the tables being copied.
type tty struct {
	observe.Nop
	t *tracker
	p *mpb.Progress

	mu     sync.Mutex
	status *mpb.Bar
	total  *mpb.Bar
	bars   map[string]*mpb.Bar
	recent []string // tables with a bar, most recent first
	closed bool
}

func newTTY(opts Options) *tty {
	width := opts.Width
	if width <= 0 {
		width = 100
	}
	copts := []mpb.ContainerOption{mpb.WithOutput(opts.Out), mpb.WithWidth(width)}
	switch {
	case opts.refresh != nil:
		copts = append(copts, mpb.WithManualRefresh(opts.refresh), mpb.ForceTTY())
	case !IsTerminal(opts.Out):
		// --progress=tty on a pipe or file: draw anyway.
		copts = append(copts, mpb.ForceTTY(), mpb.WithAutoRefresh())
	}
	r := &tty{t: newTracker(opts.Now), p: mpb.New(copts...), bars: map[string]*mpb.Bar{}}
	r.status = r.p.New(0, mpb.NopStyle(), mpb.PrependDecorators(decor.Any(r.statusLine)))
	return r
}

// statusLine is the top line: the phase, how long it has run, and for
// the copy how long is left.
func (r *tty) statusLine(decor.Statistics) string {
	s := r.t.status()
	switch {
	case s.Phase == "":
		return fmt.Sprintf("pgtwin: done in %s", duration(s.Elapsed))
	case s.Phase == "data" && s.HasETA:
		return fmt.Sprintf("pgtwin: %s %s, about %s left", s.Phase, duration(s.PhaseElapsed), duration(s.ETA))
	}
	return fmt.Sprintf("pgtwin: %s %s", s.Phase, duration(s.PhaseElapsed))
}

// totalLine is the copy's counts after the total bar.
func (r *tty) totalLine(decor.Statistics) string {
	s := r.t.status()
	done := s.DataDone
	line := fmt.Sprintf("%s %s  %s", of(s.Rows, s.EstRows, done), percent(s.Rows, s.EstRows, done), human.Bytes(s.Bytes))
	if s.DataElapsed >= time.Second {
		line += "  " + rate(s.RowRate)
	}
	switch {
	case done:
		line += "  in " + duration(s.DataElapsed)
	case s.HasETA:
		line += "  ETA " + duration(s.ETA)
	default:
		line += "  ETA …"
	}
	return line
}

func (r *tty) tableLine(name string) decor.DecorFunc {
	return func(decor.Statistics) string {
		t, est, done := r.t.table(name)
		return fmt.Sprintf("%s  %s", of(t.Rows, est, done || t.Rows > est), human.Bytes(t.Bytes))
	}
}

// PhaseStarted shows that phase name starts.
func (r *tty) PhaseStarted(name string) { r.phase(name) }

// Done shows that the run is over; a failed run's last phase stays.
func (r *tty) Done(_ time.Duration, err error) {
	if err == nil {
		r.phase("")
	}
}

// phase shows a phase change; "" says the run is over.
func (r *tty) phase(name string) {
	prev := r.t.setPhase(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if prev != "" {
		fmt.Fprintf(r.p, "pgtwin: %s done\n", prev)
	}
	switch {
	case name == "data":
		r.total = r.p.New(0, mpb.BarStyle(),
			mpb.PrependDecorators(decor.Name("total", decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(r.totalLine)))
		r.sync()
	case prev == "data":
		for _, n := range r.recent {
			r.bars[n].SetTotal(-1, true) // complete: shown full once, then removed
		}
		r.bars, r.recent = map[string]*mpb.Bar{}, nil
		if r.total != nil {
			r.sync()
			r.total.SetTotal(-1, true)
		}
	}
}

func (r *tty) Estimate(tables []Table) { r.t.estimate(tables) }

func (r *tty) Rows(table string, rows, bytes int64) {
	r.t.rows(table, rows, bytes)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.total == nil {
		return
	}
	b := r.bars[table]
	if b == nil {
		b = r.p.New(0, mpb.BarStyle(), mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(decor.Name(table, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(r.tableLine(table))))
		r.bars[table] = b
	}
	for i, n := range r.recent {
		if n == table {
			r.recent = append(r.recent[:i], r.recent[i+1:]...)
			break
		}
	}
	r.recent = append([]string{table}, r.recent...)
	if len(r.recent) > maxTTYTables {
		old := r.recent[len(r.recent)-1]
		r.recent = r.recent[:len(r.recent)-1]
		r.bars[old].Abort(true)
		delete(r.bars, old)
	}
	_, est, _ := r.t.table(table)
	b.SetTotal(max(est, rows), false)
	b.SetCurrent(rows)
	r.sync()
}

// sync sets the total bar to the tracker's counts.
func (r *tty) sync() {
	s := r.t.status()
	r.total.SetTotal(max(s.EstRows, s.Rows), false)
	r.total.SetCurrent(s.Rows)
}

func (r *tty) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for _, n := range r.recent {
		r.bars[n].Abort(true)
	}
	if r.total != nil {
		r.total.SetTotal(-1, true)
	}
	r.status.SetTotal(-1, true)
	r.mu.Unlock()
	r.p.Wait()
}
