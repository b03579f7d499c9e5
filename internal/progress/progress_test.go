package progress_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgtwin/pgtwin/internal/progress"
)

// clock is a stopped clock the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }
func lines(s string) []string        { return strings.Split(strings.TrimRight(s, "\n"), "\n") }
func estimates() []progress.Table {
	return []progress.Table{
		{Name: "public.users", Rows: 1000, Bytes: 100 << 10},
		{Name: "public.orders", Rows: 9000, Bytes: 900 << 10},
		{Name: "public.categories", Rows: 50, Bytes: 2 << 10},
	}
}

// run plays a clone's calls on r: plan, schema dump, the data phase with
// users bigger than estimated, indexes, commit; tick is called where a
// periodic line would come.
func run(c *clock, r progress.Reporter, tick func()) {
	r.PhaseStarted("plan")
	c.add(300 * time.Millisecond)
	r.Estimate(estimates())
	r.PhaseStarted("schema dump")
	c.add(700 * time.Millisecond)
	r.PhaseStarted("data")
	r.Rows("public.categories", 0, 0)
	r.Rows("public.categories", 50, 2<<10)
	c.add(2 * time.Second)
	r.Rows("public.users", 1500, 150<<10)
	r.Rows("public.orders", 500, 50<<10)
	tick()
	c.add(2 * time.Second)
	r.Rows("public.orders", 4500, 450<<10)
	tick()
	c.add(3 * time.Second)
	r.Rows("public.orders", 8000, 800<<10)
	r.PhaseStarted("indexes and constraints")
	c.add(12 * time.Second)
	tick()
	r.PhaseStarted("commit")
	c.add(100 * time.Millisecond)
	r.Done(0, nil)
	r.Close()
}

func TestPlain(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	r := progress.New(progress.Plain, progress.Options{Out: &out, Interval: -1, Now: c.now})
	run(c, r, func() { progress.Tick(r) })
	want := []string{
		"03:04:05 pgtwin: plan",
		"03:04:05 pgtwin: schema dump",
		"03:04:06 pgtwin: data (~10,050 rows, ~1002.0 kB estimated)",
		"03:04:08 pgtwin: data: 2,050 of ~10,550 rows (19%), 202.0 kB, 1,025 rows/s, ETA 8s",
		"03:04:08 pgtwin:   public.orders: 500 of ~9,000 rows, 50.0 kB",
		"03:04:08 pgtwin:   public.users: 1,500 rows, 150.0 kB",
		"03:04:08 pgtwin:   public.categories: 50 of ~50 rows, 2.0 kB",
		"03:04:10 pgtwin: data: 6,050 of ~10,550 rows (57%), 602.0 kB, 1,513 rows/s, ETA 3s",
		"03:04:10 pgtwin:   public.orders: 4,500 of ~9,000 rows, 450.0 kB",
		"03:04:13 pgtwin: data: done, 9,550 rows, 952.0 kB in 7s (1,364 rows/s)",
		"03:04:13 pgtwin:   public.orders: 8,000 rows, 800.0 kB",
		"03:04:13 pgtwin: indexes and constraints",
		"03:04:25 pgtwin: indexes and constraints: 12s so far",
		"03:04:25 pgtwin: commit",
	}
	if d := cmp.Diff(want, lines(out.String())); d != "" {
		t.Errorf("plain output (-want +got):\n%s", d)
	}
	if strings.ContainsAny(out.String(), "\r\x1b") {
		t.Error("plain output has a carriage return or an escape sequence")
	}
}

// TestPlainTicker: with an interval, lines come without anyone asking.
func TestPlainTicker(t *testing.T) {
	var out syncBuffer
	r := progress.New(progress.Plain, progress.Options{Out: &out, Interval: 5 * time.Millisecond})
	r.PhaseStarted("indexes and constraints")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "indexes and constraints: 0s so far") {
		if time.Now().After(deadline) {
			t.Fatalf("no periodic line:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Close()
}

var (
	escRE   = regexp.MustCompile(`\x1b\[\d*[A-Za-z]`)
	frameRE = regexp.MustCompile(`\x1b\[\d+A\x1b\[J`)
	// fillRE matches a bar's filling, whose width depends on the rest of
	// the line.
	fillRE = regexp.MustCompile(`\[[=>-]+\]`)
)

// frames splits tty output into the frames drawn, escape sequences removed.
func frames(out string) []string {
	var fs []string
	for _, f := range frameRE.Split(out, -1) {
		f = escRE.ReplaceAllString(f, "")
		f = regexp.MustCompile(`(?m) +$`).ReplaceAllString(f, "")
		f = fillRE.ReplaceAllString(f, "[bar]")
		fs = append(fs, f)
	}
	return fs
}

func TestTTY(t *testing.T) {
	c := newClock()
	var out syncBuffer
	refresh := make(chan any)
	r := progress.NewTTYManual(progress.Options{Out: &out, Width: 100, Now: c.now}, refresh)
	var got []string
	// draw redraws and waits for the frame.
	draw := func() {
		n := len(out.String())
		refresh <- struct{}{}
		deadline := time.Now().Add(5 * time.Second)
		for len(out.String()) == n {
			if time.Now().After(deadline) {
				t.Fatal("no frame drawn")
			}
			time.Sleep(time.Millisecond)
		}
		fs := frames(out.String())
		got = append(got, fs[len(fs)-1])
	}
	run(c, r, draw)
	fs := frames(out.String())
	got = append(got, fs[len(fs)-1])
	want := []string{
		// 2 s into the copy (the first frame has the lines above the bars).
		`pgtwin: plan done
pgtwin: schema dump done
pgtwin: data 2s, about 8s left
total              [bar] 2,050 of ~10,550 rows 19%  202.0 kB  1,025 rows/s  ETA 8s
public.categories  [bar] 50 of ~50 rows  2.0 kB
public.users       [bar] 1,500 rows  150.0 kB
public.orders      [bar] 500 of ~9,000 rows  50.0 kB
`,
		// 4 s into the copy.
		`pgtwin: data 4s, about 3s left
total              [bar] 6,050 of ~10,550 rows 57%  602.0 kB  1,513 rows/s  ETA 3s
public.categories  [bar] 50 of ~50 rows  2.0 kB
public.users       [bar] 1,500 rows  150.0 kB
public.orders      [bar] 4,500 of ~9,000 rows  450.0 kB
`,
		// Building indexes: the copy's bars are complete, the tables' shown
		// for the last time.
		`pgtwin: data done
pgtwin: indexes and constraints 12s
total              [bar] 9,550 rows 100%  952.0 kB  1,364 rows/s  in 7s
public.categories  [bar] 50 rows  2.0 kB
public.users       [bar] 1,500 rows  150.0 kB
public.orders      [bar] 8,000 rows  800.0 kB
`,
		// Closed: what stays on the screen.
		`pgtwin: indexes and constraints done
pgtwin: commit done
pgtwin: done in 20s
total  [bar] 9,550 rows 100%  952.0 kB  1,364 rows/s  in 7s
`,
	}
	if len(got) != len(want) {
		t.Errorf("%d frames, want %d", len(got), len(want))
	}
	for i, w := range want {
		if i >= len(got) {
			break
		}
		if d := cmp.Diff(strings.Split(w, "\n"), strings.Split(got[i], "\n")); d != "" {
			t.Errorf("frame %d (-want +got):\n%s", i, d)
		}
	}
	if t.Failed() {
		t.Logf("all frames:\n%s", strings.Join(got, "\n-----\n"))
	}
}
