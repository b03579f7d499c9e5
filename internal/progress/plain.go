package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/observe"
)

// maxPlainTables is the most table lines a plain progress report lists.
const maxPlainTables = 10

// plain writes timestamped lines: one at each phase change, and every
// Interval one saying how far the phase has got.
type plain struct {
	observe.Nop
	t        *tracker
	out      io.Writer
	mu       sync.Mutex // serializes writes
	lastSeq  int        // tracker seq at the last table lines
	stop     chan struct{}
	stopped  sync.WaitGroup
	stopOnce sync.Once
}

func newPlain(opts Options) *plain {
	p := &plain{t: newTracker(opts.Now), out: opts.Out, stop: make(chan struct{})}
	iv := opts.Interval
	if iv == 0 {
		iv = 10 * time.Second
	}
	if iv > 0 {
		p.stopped.Add(1)
		go func() {
			defer p.stopped.Done()
			tick := time.NewTicker(iv)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					p.tick()
				case <-p.stop:
					return
				}
			}
		}()
	}
	return p
}

// PhaseStarted shows that phase name starts.
func (p *plain) PhaseStarted(name string) { p.phase(name) }

// Done shows that the run is over; a failed run's last phase stays.
func (p *plain) Done(_ time.Duration, err error) {
	if err == nil {
		p.phase("")
	}
}

// phase shows a phase change; "" says the run is over.
func (p *plain) phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.t.setPhase(name)
	if prev == "data" {
		p.dataLines(p.t.status())
	}
	if name == "" {
		return
	}
	line := name
	if name == "data" {
		if s := p.t.status(); s.EstRows > 0 {
			line = fmt.Sprintf("data (~%s rows, ~%s estimated)", human.Count(s.EstRows), human.Bytes(s.EstBytes))
		}
	}
	p.line(line)
}

func (p *plain) Estimate(tables []Table)              { p.t.estimate(tables) }
func (p *plain) Rows(table string, rows, bytes int64) { p.t.rows(table, rows, bytes) }

func (p *plain) Close() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.stopped.Wait()
}

// tick writes how far the current phase has got.
func (p *plain) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.t.status()
	switch {
	case s.Phase == "":
	case s.Phase == "data":
		p.dataLines(s)
	default:
		p.line(fmt.Sprintf("%s: %s so far", s.Phase, duration(s.PhaseElapsed)))
	}
}

// dataLines writes the copy's total, and a line for each table copied
// into since the last such lines.
func (p *plain) dataLines(s status) {
	var b strings.Builder
	if s.DataDone {
		fmt.Fprintf(&b, "data: done, %s, %s in %s", of(s.Rows, s.EstRows, true), human.Bytes(s.Bytes), duration(s.DataElapsed))
		if s.DataElapsed >= time.Second {
			fmt.Fprintf(&b, " (%s)", rate(s.RowRate))
		}
	} else {
		fmt.Fprintf(&b, "data: %s (%s), %s", of(s.Rows, s.EstRows, false), percent(s.Rows, s.EstRows, false), human.Bytes(s.Bytes))
		if s.DataElapsed >= time.Second {
			fmt.Fprintf(&b, ", %s", rate(s.RowRate))
		}
		if s.HasETA {
			fmt.Fprintf(&b, ", ETA %s", duration(s.ETA))
		} else {
			b.WriteString(", ETA unknown yet")
		}
	}
	p.line(b.String())
	var changed []tableStatus
	for _, t := range s.Tables {
		if t.stamp > p.lastSeq && t.Rows > 0 {
			changed = append(changed, t)
		}
	}
	p.lastSeq = s.seq
	for i, t := range changed {
		if i == maxPlainTables {
			p.line(fmt.Sprintf("  … and %d more tables", len(changed)-i))
			break
		}
		p.line(fmt.Sprintf("  %s: %s, %s", t.Name, of(t.Rows, t.Est, s.DataDone || t.Rows > t.Est), human.Bytes(t.Bytes)))
	}
}

func (p *plain) line(s string) {
	fmt.Fprintf(p.out, "%s pgtwin: %s\n", p.t.now().Format("15:04:05"), s)
}
