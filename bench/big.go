package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
)

// bigFigures holds the measurements of big twins:
//
//	(d) a 10% root sample of the large shop's users against the set-based
//	    floor: the same rows moved by COPY (SELECT … WHERE id IN (…)) with
//	    the keys known in advance, between pg_restore's pre-data and
//	    post-data; goal ≤ 1.3;
//	(e) every table a root with `all: true` against every table `copy:
//	    all` (the full twin of (b)), each run next to one of the other;
//	    goal ≤ 1.05 in wall time and memory;
//	(f) the full twin against pg_dump -Fc | pg_restore (b) and against
//	    pg_dump -Fd -j2 followed by pg_restore -j2; goals ≤ 0.5 and ≤ 0.75;
//	    pgtwin measured with --jobs 1 and 2, and beside them the load
//	    floor (see loadFloor);
//	(g) peak RSS per selected row of (d) and (e): ≤ 100 MB + 32 B a row;
//	(h) the plan's estimates for (d) against the rows copied: within 2×.
type bigFigures struct {
	sample, floor   []time.Duration
	sampleRuns      []result
	rootAll         []result
	copyAll         []result // runs of (b)'s config, each next to one of rootAll
	jobs2           []result
	dirBase         []time.Duration
	loadFloor       []time.Duration
	sampleConfig    string
	rootAllConfig   string
	sampleKeyTables []string
}

func (b *bench) bigFigures(ctx context.Context, o options, large, full *shop) (*bigFigures, error) {
	f := &bigFigures{sampleConfig: filepath.Join(b.dir, "sample.yaml"), rootAllConfig: filepath.Join(b.dir, "rootall.yaml")}
	sampleYAML := "version: 1\nroots:\n  - table: users\n    percent: 10\ntables:\n  - table: categories\n    copy: all\n"
	rootAllYAML := "version: 1\nroots:\n"
	for _, t := range Tables {
		rootAllYAML += "  - table: " + t + "\n    all: true\n"
	}
	for path, text := range map[string]string{f.sampleConfig: sampleYAML, f.rootAllConfig: rootAllYAML} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	schemaFile := filepath.Join(b.dir, large.name+".schema")
	if err := run1(ctx, b.tools.PgDump, "-Fc", "--schema-only", "--no-owner", "-f", schemaFile, "-d", b.src.DSN(large.name)); err != nil {
		return nil, err
	}

	// (d) The sample, and its keys for the floor.
	var keys map[string][]int64
	for i := 0; i < o.runs; i++ {
		r, err := b.cloneThen(ctx, f.sampleConfig, large, func(dsn string) error {
			if keys != nil {
				return nil
			}
			var err error
			keys, err = twinKeys(ctx, dsn)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("10%% sample of %s: %w", large.name, err)
		}
		logf("10%% sample of %s, run %d: %.1fs, %d rows, %s peak RSS", large.name, i+1, r.wall.Seconds(), r.report.Rows, kib(r.maxRSS))
		f.sampleRuns = append(f.sampleRuns, r)
		f.sample = append(f.sample, r.wall)
		d, err := b.floorRun(ctx, large, schemaFile, keys)
		if err != nil {
			return nil, fmt.Errorf("set-based floor of %s: %w", large.name, err)
		}
		logf("set-based floor of %s, run %d: %.1fs", large.name, i+1, d.Seconds())
		f.floor = append(f.floor, d)
	}
	// The keys are garbage now: let later runs not start from a bench that
	// holds them (see resetPeakRSS).
	keys = nil

	// (e) and (f).
	lf, err := b.prepareLoadFloor(ctx, full)
	if err != nil {
		return nil, fmt.Errorf("load floor of %s: %w", full.name, err)
	}
	defer lf.remove()
	for i := 0; i < o.runs; i++ {
		// (e) compares two configs that do the same work: each pair runs
		// back to back (in turns first), so that a shared machine's load,
		// which drifts over minutes, weighs on both alike.
		for k := 0; k < 2; k++ {
			config, name, into := f.rootAllConfig, "every table a root all", &f.rootAll
			if (i+k)%2 == 1 {
				config, name, into = b.fullConfig, "every table copy: all", &f.copyAll
			}
			r, err := b.clone(ctx, config, full)
			if err != nil {
				return nil, fmt.Errorf("%s of %s: %w", name, full.name, err)
			}
			logf("%s of %s, run %d: %.1fs, %s peak RSS", name, full.name, i+1, r.wall.Seconds(), kib(r.maxRSS))
			*into = append(*into, r)
		}
		r, err := b.clone(ctx, b.fullConfig, full, "--jobs", "2")
		if err != nil {
			return nil, fmt.Errorf("full twin --jobs 2 of %s: %w", full.name, err)
		}
		logf("full twin --jobs 2 of %s, run %d: %.1fs, %s peak RSS", full.name, i+1, r.wall.Seconds(), kib(r.maxRSS))
		f.jobs2 = append(f.jobs2, r)
		d, err := b.dirBaseline(ctx, full)
		if err != nil {
			return nil, fmt.Errorf("pg_dump -Fd -j2 + pg_restore -j2 of %s: %w", full.name, err)
		}
		logf("pg_dump -Fd -j2 + pg_restore -j2 of %s, run %d: %.1fs", full.name, i+1, d.Seconds())
		f.dirBase = append(f.dirBase, d)
		if d, err = lf.run(ctx, b); err != nil {
			return nil, fmt.Errorf("load floor of %s: %w", full.name, err)
		}
		logf("load floor of %s, run %d: %.1fs", full.name, i+1, d.Seconds())
		f.loadFloor = append(f.loadFloor, d)
	}
	return f, nil
}

// twinKeys reads the ids of every table of a twin.
func twinKeys(ctx context.Context, dsn string) (map[string][]int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	out := map[string][]int64{}
	for _, t := range Tables {
		rows, err := conn.Query(ctx, "SELECT id FROM "+t+" ORDER BY id")
		if err != nil {
			return nil, err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, err
		}
		out[t] = ids
	}
	return out, nil
}

// floorRun moves exactly the rows of keys from the source into a fresh
// target database the set-based way, keys known in advance: pg_restore's
// pre-data, one COPY (SELECT … WHERE id IN (…)) per table piped into COPY
// FROM in one transaction, then pg_restore's post-data.
func (b *bench) floorRun(ctx context.Context, s *shop, schemaFile string, keys map[string][]int64) (time.Duration, error) {
	if err := b.prepareTarget(ctx); err != nil {
		return 0, err
	}
	defer dropDB(context.WithoutCancel(ctx), b.tgt.DSN("postgres"), targetDB)
	tgtDSN := b.tgt.DSN(targetDB)
	start := time.Now()
	if err := run1(ctx, b.tools.PgRestore, "--section=pre-data", "--no-owner", "--exit-on-error", "-d", tgtDSN, schemaFile); err != nil {
		return 0, err
	}
	src, err := pgx.Connect(ctx, b.src.DSN(s.name))
	if err != nil {
		return 0, err
	}
	defer src.Close(context.WithoutCancel(ctx))
	tgt, err := pgx.Connect(ctx, tgtDSN)
	if err != nil {
		return 0, err
	}
	defer tgt.Close(context.WithoutCancel(ctx))
	if _, err := tgt.Exec(ctx, "BEGIN"); err != nil {
		return 0, err
	}
	for _, t := range Tables {
		ids := keys[t]
		if len(ids) == 0 {
			continue
		}
		var lit strings.Builder
		lit.WriteString("'{")
		for i, id := range ids {
			if i > 0 {
				lit.WriteByte(',')
			}
			fmt.Fprint(&lit, id)
		}
		lit.WriteString("}'::bigint[]")
		q := fmt.Sprintf("COPY (SELECT * FROM %s WHERE id IN (SELECT unnest(%s))) TO STDOUT", t, lit.String())
		if err := pipeCopy(ctx, src, tgt, q, "COPY "+t+" FROM STDIN"); err != nil {
			return 0, fmt.Errorf("%s: %w", t, err)
		}
	}
	if _, err := tgt.Exec(ctx, "COMMIT"); err != nil {
		return 0, err
	}
	if err := run1(ctx, b.tools.PgRestore, "--section=post-data", "--no-owner", "--exit-on-error", "-d", tgtDSN, schemaFile); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func pipeCopy(ctx context.Context, src, tgt *pgx.Conn, from, to string) error {
	g, gctx := errgroup.WithContext(ctx)
	pr, pw := io.Pipe()
	g.Go(func() error {
		bw := bufio.NewWriterSize(pw, 256<<10)
		_, err := src.PgConn().CopyTo(gctx, bw, from)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
		return err
	})
	g.Go(func() error {
		_, err := tgt.PgConn().CopyFrom(gctx, pr, to)
		pr.CloseWithError(err)
		return err
	})
	return g.Wait()
}

// dirBaseline runs pg_dump -Fd -j2 into a directory, then pg_restore -j2
// from it into a fresh target database; the time is both together.
func (b *bench) dirBaseline(ctx context.Context, s *shop) (time.Duration, error) {
	if err := b.prepareTarget(ctx); err != nil {
		return 0, err
	}
	defer dropDB(context.WithoutCancel(ctx), b.tgt.DSN("postgres"), targetDB)
	dir := filepath.Join(b.dir, "dump.d")
	os.RemoveAll(dir)
	defer os.RemoveAll(dir)
	start := time.Now()
	if err := run1(ctx, b.tools.PgDump, "-Fd", "-j2", "--no-owner", "-f", dir, "-d", b.src.DSN(s.name)); err != nil {
		return 0, err
	}
	if err := run1(ctx, b.tools.PgRestore, "-j2", "--no-owner", "--exit-on-error", "-d", b.tgt.DSN(targetDB), dir); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func run1(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (f *bigFigures) report(w io.Writer, o options, large, full *shop, fullRuns []result, baseRuns []time.Duration) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	peak := func(rs []result) int64 { return peakRSS(rs) * 1024 }
	goal := func(rows int64) int64 { return 100_000_000 + 32*rows }
	ms, mf := median(f.sample), median(f.floor)
	ratioD := ms.Seconds() / mf.Seconds()
	mAll, mPaired, mCopy := median(walls(f.rootAll)), median(walls(f.copyAll)), median(walls(fullRuns))
	ratioE := mAll.Seconds() / mPaired.Seconds()
	memE := float64(peak(f.rootAll)) / float64(peak(f.copyAll))
	mBase, mDir, mJobs2 := median(baseRuns), median(f.dirBase), median(walls(f.jobs2))
	best := min(mCopy, mJobs2)
	sampleRows := f.sampleRuns[0].report.Rows
	allRows := f.rootAll[0].report.Rows

	p("")
	p("Big twins (sample: `percent: 10` of users on %s, categories `copy: all`; full twin and root all on %s):", large.name, full.name)
	p("")
	p("| figure | measured | goal | met |")
	p("|---|---:|---:|:---:|")
	p("| (d) 10%% sample, pgtwin (%s rows) | %s | | |", num(sampleRows), secs(ms, f.sample))
	p("| (d) the same rows, set-based floor (keys known, COPY … WHERE id IN, pre/post-data by pg_restore) | %s | | |", secs(mf, f.floor))
	p("| (d) wall pgtwin / floor | **%.2f** | ≤ 1.3 | %s |", ratioD, yes(ratioD <= 1.3))
	p("| (e) every table a root `all`, pgtwin | %s | | |", secs(mAll, walls(f.rootAll)))
	p("| (e) every table `copy: all`, each run next to one of root `all` | %s | | |", secs(mPaired, walls(f.copyAll)))
	p("| (e) wall root all / `copy: all` | **%.2f** | ≤ 1.05 | %s |", ratioE, yes(ratioE <= 1.05))
	p("| (e) peak RSS root all / `copy: all` | **%.2f** (%s / %s) | ≤ 1.05 | %s |", memE, mb(peak(f.rootAll)), mb(peak(f.copyAll)), yes(memE <= 1.05))
	p("| (f) full twin, pgtwin --jobs 1 (b) | %s | | |", secs(mCopy, walls(fullRuns)))
	p("| (f) full twin, pgtwin --jobs 2 | %s | | |", secs(mJobs2, walls(f.jobs2)))
	p("| (f) `pg_dump -Fc \\| pg_restore` (b) | %s | | |", secs(mBase, baseRuns))
	p("| (f) `pg_dump -Fd -j2` + `pg_restore -j2` | %s | | |", secs(mDir, f.dirBase))
	p("| (f) pgtwin (better of --jobs 1, 2) / `-Fc` pipe | **%.2f** | ≤ 0.5 | %s |", best.Seconds()/mBase.Seconds(), yes(best.Seconds()/mBase.Seconds() <= 0.5))
	p("| (f) pgtwin (better of --jobs 1, 2) / `-Fd -j2` | **%.2f** | ≤ 0.75 | %s |", best.Seconds()/mDir.Seconds(), yes(best.Seconds()/mDir.Seconds() <= 0.75))
	mFloor := median(f.loadFloor)
	p("| (f) the target alone, one transaction, pgtwin's statements, rows from local files (no source, no pgtwin) | %s | | |", secs(mFloor, f.loadFloor))
	p("| (f) that floor / `-Fc` pipe; / `-Fd -j2`; pgtwin / floor | %.2f; %.2f; %.2f | (for information: the best any one-transaction load can do) | |",
		mFloor.Seconds()/mBase.Seconds(), mFloor.Seconds()/mDir.Seconds(), best.Seconds()/mFloor.Seconds())
	for _, c := range []struct {
		what string
		rs   []result
		rows int64
	}{{"(d) 10% sample", f.sampleRuns, sampleRows}, {"(e) every table a root all", f.rootAll, allRows}} {
		pk := peak(c.rs)
		per := float64(max(pk-100_000_000, 0)) / float64(max(c.rows, 1))
		p("| (g) peak RSS, %s (%s rows) | %s (%.1f B/row over 100 MB) | ≤ %s | %s |", c.what, num(c.rows), mb(pk), per, mb(goal(c.rows)), yes(pk <= goal(c.rows)))
	}
	worst := 1.0
	var parts []string
	for _, t := range f.sampleRuns[0].report.Tables {
		if t.Rows == 0 && t.EstimatedRows == 0 {
			continue
		}
		e, a := math.Max(float64(t.EstimatedRows), 1), math.Max(float64(t.Rows), 1)
		worst = math.Max(worst, math.Max(e/a, a/e))
		parts = append(parts, fmt.Sprintf("%s %s/%s", strings.TrimPrefix(t.Table, "public."), num(t.EstimatedRows), num(t.Rows)))
	}
	p("| (h) plan estimate / rows copied, 10%% sample, worst table (%s) | **%.2f×** | ≤ 2× | %s |", strings.Join(parts, "; "), worst, yes(worst <= 2))
}
