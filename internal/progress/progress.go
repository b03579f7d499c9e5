package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/observe"
)

// Reporter shows a run's progress: it is the run's observer (it listens to
// phases starting, the estimate, rows and the run's end). Its methods may
// be called from any goroutine.
type Reporter interface {
	observe.Observer
	// Close stops the reporter; what it showed last stays.
	Close()
}

// Table is a table's share of the twin: estimated, or copied so far.
type Table = observe.Table

// Mode says how progress is shown.
type Mode string

// The modes of --progress.
const (
	Auto  Mode = "auto"  // tty on a terminal, plain otherwise
	TTY   Mode = "tty"   // live bars (also on a non-terminal)
	Plain Mode = "plain" // timestamped lines
	None  Mode = "none"  // nothing
)

// ParseMode reads a --progress value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Auto, TTY, Plain, None:
		return m, nil
	}
	return "", fmt.Errorf("--progress must be auto, tty, plain or none, got %q", s)
}

// Options configure a Reporter.
type Options struct {
	// Out is where progress goes (stderr).
	Out io.Writer
	// Interval is how often plain mode writes a line between phase changes
	// (default 10s; less than 0: never, tests tick by hand). The tty mode
	// redraws every 150ms.
	Interval time.Duration
	// Width is the tty mode's line width when Out is not a terminal
	// (default 100).
	Width int
	// Now is the clock (default time.Now); tests stop it.
	Now func() time.Time
	// refresh, when set, redraws tty mode on each value instead of on a
	// timer (tests).
	refresh <-chan any
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// New returns the Reporter of mode m; Auto picks tty when opts.Out is a
// terminal and plain otherwise.
func New(m Mode, opts Options) Reporter {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if m == Auto {
		m = Plain
		if IsTerminal(opts.Out) {
			m = TTY
		}
	}
	switch m {
	case TTY:
		return newTTY(opts)
	case Plain:
		return newPlain(opts)
	}
	return Nop{}
}

// Nop is the Reporter that shows nothing.
type Nop struct{ observe.Nop }

func (Nop) Close() {}

// tracker holds the state both renderers show.
type tracker struct {
	mu  sync.Mutex
	now func() time.Time

	start      time.Time
	phase      string
	phaseStart time.Time
	dataStart  time.Time
	dataEnd    time.Time // zero while the data phase runs (or has not begun)
	dataPhase  bool

	est    map[string]Table
	done   map[string]Table
	recent []string // tables by most recent activity, most recent first
	seq    int      // bumped on every Rows, for "changed since"
	stamp  map[string]int
}

func newTracker(now func() time.Time) *tracker {
	t := now()
	return &tracker{now: now, start: t, phaseStart: t, est: map[string]Table{}, done: map[string]Table{}, stamp: map[string]int{}}
}

// setPhase records a phase change; it returns the previous phase.
func (t *tracker) setPhase(name string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	prev := t.phase
	now := t.now()
	if prev == "data" {
		t.dataEnd = now
	}
	if name == "data" {
		t.dataStart, t.dataEnd, t.dataPhase = now, time.Time{}, true
	}
	t.phase, t.phaseStart = name, now
	return prev
}

func (t *tracker) estimate(tables []Table) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tb := range tables {
		t.est[tb.Name] = tb
	}
}

func (t *tracker) rows(table string, rows, bytes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done[table] = Table{Name: table, Rows: rows, Bytes: bytes}
	t.seq++
	t.stamp[table] = t.seq
	if len(t.recent) == 0 || t.recent[0] != table {
		for i, n := range t.recent {
			if n == table {
				t.recent = append(t.recent[:i], t.recent[i+1:]...)
				break
			}
		}
		t.recent = append([]string{table}, t.recent...)
	}
}

// status is what the tracker knows at one moment.
type status struct {
	Phase        string
	PhaseElapsed time.Duration
	Elapsed      time.Duration
	// Data is whether the data phase has begun; DataDone whether it is over.
	Data, DataDone bool
	DataElapsed    time.Duration
	Rows, Bytes    int64
	// EstRows and EstBytes are the estimate corrected by the real counts:
	// each table counts with the larger of its estimate and its rows so
	// far; once the copy is over, with its rows.
	EstRows, EstBytes int64
	RowRate           float64 // rows per second, averaged over the copy
	ETA               time.Duration
	HasETA            bool
	// Tables are the tables with rows, most recently active first.
	Tables []tableStatus
	seq    int
}

type tableStatus struct {
	Name        string
	Rows, Bytes int64
	Est         int64 // the plan's estimate of its rows
	stamp       int   // the tracker's seq at its last Rows
}

func (t *tracker) status() status {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	s := status{Phase: t.phase, PhaseElapsed: now.Sub(t.phaseStart), Elapsed: now.Sub(t.start), Data: t.dataPhase, DataDone: !t.dataEnd.IsZero(), seq: t.seq}
	if s.Data {
		end := now
		if s.DataDone {
			end = t.dataEnd
		}
		s.DataElapsed = end.Sub(t.dataStart)
	}
	names := map[string]bool{}
	for n := range t.est {
		names[n] = true
	}
	for n := range t.done {
		names[n] = true
	}
	for n := range names {
		d, e := t.done[n], t.est[n]
		s.Rows += d.Rows
		s.Bytes += d.Bytes
		if s.DataDone {
			s.EstRows += d.Rows
			s.EstBytes += d.Bytes
		} else {
			s.EstRows += max(d.Rows, e.Rows)
			s.EstBytes += max(d.Bytes, e.Bytes)
		}
	}
	if sec := s.DataElapsed.Seconds(); sec > 0 {
		s.RowRate = float64(s.Rows) / sec
	}
	if s.Data && !s.DataDone && s.DataElapsed >= time.Second && s.RowRate > 0 {
		s.ETA = time.Duration(float64(s.EstRows-s.Rows) / s.RowRate * float64(time.Second))
		s.HasETA = true
	}
	for _, n := range t.recent {
		d := t.done[n]
		s.Tables = append(s.Tables, tableStatus{Name: n, Rows: d.Rows, Bytes: d.Bytes, Est: t.est[n].Rows, stamp: t.stamp[n]})
	}
	return s
}

// Formatting shared by the renderers.

// duration writes d to the second: 42s, 3m05s, 1h02m.
func duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// rate writes a rate per second.
func rate(r float64) string {
	return human.Count(int64(r+0.5)) + " rows/s"
}

// of writes "n of ~est rows" (just "n rows" when nothing was estimated).
func of(n, est int64, done bool) string {
	switch {
	case done || est <= 0:
		return human.Count(n) + " rows"
	}
	return fmt.Sprintf("%s of ~%s rows", human.Count(n), human.Count(est))
}

// percent writes n/est as a whole percentage, at most 99% until done.
func percent(n, est int64, done bool) string {
	switch {
	case done:
		return "100%"
	case est <= 0:
		return "?%"
	}
	return fmt.Sprintf("%d%%", min(99, n*100/est))
}

// table returns a table's counts, its estimated rows, and whether the copy
// is over.
func (t *tracker) table(name string) (Table, int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done[name], t.est[name].Rows, !t.dataEnd.IsZero()
}
