// Command bench measures pgtwin against generated shop databases and prints
// the figures as a Markdown table (`make bench`).
//
// It builds pgtwin, starts two throwaway PostgreSQL clusters (source and
// target), generates the same shop schema at two scales in the source, and
// then measures, as ratios within this one run (shared machines are noisy):
//
//	(a) the same subset (the first -roots users by id and everything that
//	    hangs off them) cloned from the small and from the large database:
//	    wall time large/small, goal ≤ 1.5;
//	(b) a full twin (every table `copy: all`) against pg_dump -Fc piped into
//	    pg_restore (both --no-owner) into an empty database on the target
//	    server: wall time pgtwin/baseline, goal ≤ 0.75;
//	(c) the pgtwin process's peak RSS for the subset, a big subset (a fifth
//	    of the large shop's users and what hangs off them) and the full twin,
//	    against 100 MB + 64 bytes per selected row;
//	(d)–(h) big twins: a 10% root sample against the set-based floor, every
//	    table a root `all` against `copy: all`, the full twin against
//	    pg_dump -Fd -j2 + pg_restore -j2 and with --jobs 2, memory per
//	    selected row, and the plan's estimate error (see big.go);
//	(i) the 10% sample with five personal columns masked against the same
//	    twin unmasked: wall time, goal ≤ 1.25 (see masking.go);
//	(j) twin files: the subset's dump + restore against its clone (≤ 1.3),
//	    and the full twin's file, per compression, against pg_dump -Fc's
//	    archive: dump time (≤ 1), size (≤ 1), restore time against
//	    pg_restore of the archive (≤ 0.75) (see files.go).
//
// Each timing is the median of -runs runs.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/pglocal"
	"github.com/pgtwin/pgtwin/internal/schema"
)

type options struct {
	small, large, full int64
	runs               int
	roots              int64
	pgtwin             string
	only               string
}

func main() {
	var o options
	flag.Int64Var(&o.small, "small", 100_000, "rows of the small shop")
	flag.Int64Var(&o.large, "large", 10_000_000, "rows of the large shop")
	flag.Int64Var(&o.full, "full", 0, "rows of the shop for the full twin (b); 0 means the large one")
	flag.IntVar(&o.runs, "runs", 3, "runs of each timing (the median is reported)")
	flag.Int64Var(&o.roots, "roots", 100, "root users of the subset (a)")
	flag.StringVar(&o.pgtwin, "pgtwin", "", "pgtwin binary to measure (default: build ./cmd/pgtwin)")
	flag.StringVar(&o.only, "only", "", `"masking": measure only figure (i), on the large shop; "files": only figure (j)`)
	flag.Parse()
	if o.only != "" && o.only != "masking" && o.only != "files" {
		fmt.Fprintf(os.Stderr, "bench: -only %q: use masking or files\n", o.only)
		os.Exit(2)
	}
	if o.small <= 0 || o.large <= 0 || o.full < 0 || o.runs < 1 || o.roots < 1 {
		fmt.Fprintln(os.Stderr, "bench: -small, -large, -runs and -roots must be positive")
		os.Exit(2)
	}
	if o.full == 0 {
		o.full = o.large
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// shop is one generated source database.
type shop struct {
	name      string
	scale     Scale
	generated time.Duration
	size      int64 // bytes on disk, indexes included
}

type bench struct {
	bin          string
	dir          string
	src, tgt     *pglocal.Cluster
	tools        schema.Tools
	subsetConfig string
	fullConfig   string
}

func run(ctx context.Context, o options) error {
	begin := time.Now()
	dir, err := os.MkdirTemp("", "pgtwin-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The servers run as the postgres OS user when we are root; let them
	// and pg_restore read nothing here, but let pgtwin read its config.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}

	b := &bench{dir: dir, bin: o.pgtwin}
	if b.bin == "" {
		b.bin = filepath.Join(dir, "pgtwin")
		logf("building pgtwin")
		build := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "./cmd/pgtwin")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build pgtwin: %w", err)
		}
	}

	logf("starting the source and target servers")
	// wal_level=minimal only speeds up generating the source (tables filled
	// in the transaction that created them write no WAL); reading is the
	// same. The target keeps the default settings of pglocal.
	b.src, err = pglocal.Start(ctx, pglocal.Options{Settings: map[string]string{
		"wal_level": "minimal", "max_wal_senders": "0", "max_wal_size": "8GB",
	}})
	if err != nil {
		return fmt.Errorf("start the source server: %w", err)
	}
	defer b.src.Stop()
	b.tgt, err = pglocal.Start(ctx, pglocal.Options{})
	if err != nil {
		return fmt.Errorf("start the target server: %w", err)
	}
	defer b.tgt.Stop()

	var serverVersion string
	var serverNum int
	if err := queryRow(ctx, b.src.DSN("postgres"), "SELECT current_setting('server_version'), current_setting('server_version_num')::int", &serverVersion, &serverNum); err != nil {
		return err
	}
	if b.tools, err = schema.FindTools(serverNum/10000, "", os.Getenv); err != nil {
		return err
	}

	bigConfig, err := b.writeConfigs(o)
	if err != nil {
		return err
	}
	small, large, full, shops, err := b.generateShops(ctx, o)
	if err != nil {
		return err
	}

	if o.only != "" {
		return b.onlyFigure(ctx, o, large, full)
	}

	// (a) The same subset at both scales.
	subset, err := b.subsetFigure(ctx, o, small, large)
	if err != nil {
		return err
	}

	big, err := b.clone(ctx, bigConfig, large)
	if err != nil {
		return fmt.Errorf("big subset of %s: %w", large.name, err)
	}
	logf("big subset of %s: %.1fs, %d rows, %s peak RSS", large.name, big.wall.Seconds(), big.report.Rows, kib(big.maxRSS))

	// (b) Full twin against pg_dump | pg_restore.
	fullRuns, baseRuns, err := b.fullFigure(ctx, o, full)
	if err != nil {
		return err
	}

	bf, err := b.bigFigures(ctx, o, large, full)
	if err != nil {
		return err
	}
	mf, err := b.maskingFigure(ctx, o, large)
	if err != nil {
		return err
	}
	ff, err := b.filesFigure(ctx, o, large, full)
	if err != nil {
		return err
	}
	report(os.Stdout, o, b, serverVersion, shops, small, large, full, subset, big, fullRuns, baseRuns, time.Since(begin))
	bf.report(os.Stdout, o, large, full, fullRuns, baseRuns)
	mf.report(os.Stdout, large)
	ff.report(os.Stdout, large, full)
	return nil
}

// onlyFigure measures and reports the one figure -only names.
func (b *bench) onlyFigure(ctx context.Context, o options, large, full *shop) error {
	switch o.only {
	case "masking":
		mf, err := b.maskingFigure(ctx, o, large)
		if err != nil {
			return err
		}
		mf.report(os.Stdout, large)
	case "files":
		ff, err := b.filesFigure(ctx, o, large, full)
		if err != nil {
			return err
		}
		ff.report(os.Stdout, large, full)
	default:
		return fmt.Errorf("-only %q: use masking or files", o.only)
	}
	return nil
}

// walls returns the wall times of runs.
func walls(rs []result) []time.Duration {
	var out []time.Duration
	for _, r := range rs {
		out = append(out, r.wall)
	}
	return out
}

// peakRSS is the highest peak RSS of runs, in KiB.
func peakRSS(rs []result) int64 {
	var m int64
	for _, r := range rs {
		m = max(m, r.maxRSS)
	}
	return m
}

// writeConfigs writes the configs of (a), (b) and (c); it returns the big
// subset's.
func (b *bench) writeConfigs(o options) (bigConfig string, err error) {
	b.subsetConfig = filepath.Join(b.dir, "subset.yaml")
	subsetYAML := fmt.Sprintf(`version: 1
roots:
  - table: users
    order_by: id
    limit: %d
tables:
  - table: categories
    copy: all
`, o.roots)
	fullYAML := "version: 1\ntables:\n"
	for _, t := range Tables {
		fullYAML += "  - table: " + t + "\n    copy: all\n"
	}
	b.fullConfig = filepath.Join(b.dir, "full.yaml")
	// (c) also on a big subset: a fifth of the large shop's users, repeatably
	// sampled, and everything that hangs off them.
	bigConfig = filepath.Join(b.dir, "big.yaml")
	bigYAML := "version: 1\nroots:\n  - table: users\n    percent: 20\ntables:\n  - table: categories\n    copy: all\n"
	for path, text := range map[string]string{b.subsetConfig: subsetYAML, b.fullConfig: fullYAML, bigConfig: bigYAML} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	return bigConfig, nil
}

// generateShops generates the small, large and (when its size differs) full
// shops in the source.
func (b *bench) generateShops(ctx context.Context, o options) (small, large, full *shop, shops []*shop, err error) {
	small = &shop{name: "shop_small", scale: ScaleFor(o.small)}
	large = &shop{name: "shop_large", scale: ScaleFor(o.large)}
	full = large
	shops = []*shop{small, large}
	if ScaleFor(o.full) != large.scale {
		full = &shop{name: "shop_full", scale: ScaleFor(o.full)}
		if full.scale == small.scale {
			full = small
		} else {
			shops = append(shops, full)
		}
	}
	for _, s := range shops {
		logf("generating %s: %d rows", s.name, s.scale.Total())
		if s.generated, err = generateDB(ctx, b.src.DSN("postgres"), b.src.DSN(s.name), s.name, s.scale); err != nil {
			return nil, nil, nil, nil, err
		}
		if err := queryRow(ctx, b.src.DSN(s.name), "SELECT pg_database_size(current_database())", &s.size); err != nil {
			return nil, nil, nil, nil, err
		}
		logf("generated %s in %.1fs (%s on disk)", s.name, s.generated.Seconds(), mib(s.size))
	}
	return small, large, full, shops, nil
}

// subsetFigure is (a): the same subset cloned from the small and the large
// shop, alternating which goes first, after one unmeasured warm-up each.
func (b *bench) subsetFigure(ctx context.Context, o options, small, large *shop) (map[*shop][]result, error) {
	subset := map[*shop][]result{}
	for i := -1; i < o.runs; i++ {
		order := []*shop{small, large}
		if i%2 != 0 {
			order = []*shop{large, small}
		}
		for _, s := range order {
			r, err := b.clone(ctx, b.subsetConfig, s)
			if err != nil {
				return nil, fmt.Errorf("subset of %s: %w", s.name, err)
			}
			if i < 0 {
				logf("warm-up subset of %s: %.2fs", s.name, r.wall.Seconds())
				continue
			}
			logf("subset of %s, run %d: %.2fs, %d rows, %s peak RSS", s.name, i+1, r.wall.Seconds(), r.report.Rows, kib(r.maxRSS))
			subset[s] = append(subset[s], r)
		}
	}
	return subset, nil
}

// fullFigure is (b): the full twin against pg_dump | pg_restore,
// alternating which goes first.
func (b *bench) fullFigure(ctx context.Context, o options, full *shop) ([]result, []time.Duration, error) {
	var fullRuns []result
	var baseRuns []time.Duration
	for i := 0; i < o.runs; i++ {
		for k := 0; k < 2; k++ {
			if (i+k)%2 == 0 {
				r, err := b.clone(ctx, b.fullConfig, full)
				if err != nil {
					return nil, nil, fmt.Errorf("full twin of %s: %w", full.name, err)
				}
				logf("full twin of %s, run %d: pgtwin %.1fs, %d rows, %s peak RSS", full.name, i+1, r.wall.Seconds(), r.report.Rows, kib(r.maxRSS))
				fullRuns = append(fullRuns, r)
			} else {
				d, err := b.baseline(ctx, full)
				if err != nil {
					return nil, nil, fmt.Errorf("pg_dump | pg_restore of %s: %w", full.name, err)
				}
				logf("full twin of %s, run %d: pg_dump | pg_restore %.1fs", full.name, i+1, d.Seconds())
				baseRuns = append(baseRuns, d)
			}
		}
	}
	return fullRuns, baseRuns, nil
}

// result is one measured pgtwin run.
type result struct {
	wall   time.Duration
	cpu    time.Duration // user + system time of pgtwin (and its pg_dump)
	maxRSS int64         // KiB
	report cloneReport
}

// cloneReport is the part of `pgtwin clone --json` the bench reads.
type cloneReport struct {
	Rows    int64   `json:"rows"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Tables  []struct {
		Table         string `json:"table"`
		Rows          int64  `json:"rows"`
		Queries       int    `json:"queries"`
		EstimatedRows int64  `json:"estimated_rows"`
	} `json:"tables"`
	Phases []struct {
		Name    string  `json:"name"`
		Seconds float64 `json:"seconds"`
	} `json:"phases"`
	Masked []struct {
		Values int64 `json:"values"`
	} `json:"masked"`
}

// maskedValues is the number of values the run masked.
func (c cloneReport) maskedValues() int64 {
	var n int64
	for _, m := range c.Masked {
		n += m.Values
	}
	return n
}

const targetDB = "twin"

// clone runs the pgtwin binary into a fresh database on the target and
// measures its wall time and peak RSS.
func (b *bench) clone(ctx context.Context, config string, s *shop, args ...string) (result, error) {
	return b.cloneThen(ctx, config, s, nil, args...)
}

// cloneThen is clone, calling after (when set) with the twin's DSN before
// the twin is dropped.
func (b *bench) cloneThen(ctx context.Context, config string, s *shop, after func(dsn string) error, args ...string) (result, error) {
	if err := b.prepareTarget(ctx); err != nil {
		return result{}, err
	}
	defer dropDB(context.WithoutCancel(ctx), b.tgt.DSN("postgres"), targetDB)
	r, err := b.pgtwin(ctx, append([]string{"clone", "--config", config,
		"--source", b.src.DSN(s.name), "--target", b.tgt.DSN(targetDB), "--json"}, args...)...)
	if err != nil {
		return result{}, err
	}
	if after != nil {
		if err := after(b.tgt.DSN(targetDB)); err != nil {
			return result{}, err
		}
	}
	return r, nil
}

// resetPeakRSS makes the bench's own memory no part of the next child's
// peak RSS. Go starts a child with vfork (CLONE_VM), and at exec Linux
// records the parent's peak RSS as the child's maxrss: every pgtwin started
// after the bench itself grew (the floor run of (d) holds a million keys
// and their IN list, about 55 MB at 10M rows) would report the bench's
// peak, not its own. So the bench returns its free memory to the system
// and resets its peak (clear_refs 5, Linux 4.0+) to its current RSS, which
// stays under pgtwin's. It returns that RSS in KiB: a child's maxrss is at
// least that much.
func resetPeakRSS() (int64, error) {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, fmt.Errorf("reset the bench's peak RSS before measuring pgtwin's: %w", err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var n int64
			_, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &n)
			return n, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// baseline runs pg_dump -Fc of the source piped into pg_restore into a
// fresh database on the target.
func (b *bench) baseline(ctx context.Context, s *shop) (time.Duration, error) {
	if err := b.prepareTarget(ctx); err != nil {
		return 0, err
	}
	defer dropDB(context.WithoutCancel(ctx), b.tgt.DSN("postgres"), targetDB)
	dump := exec.CommandContext(ctx, b.tools.PgDump, "-Fc", "--no-owner", "-d", b.src.DSN(s.name))
	restore := exec.CommandContext(ctx, b.tools.PgRestore, "--no-owner", "--exit-on-error", "-d", b.tgt.DSN(targetDB))
	var dumpErr, restoreErr bytes.Buffer
	dump.Stderr, restore.Stderr = &dumpErr, &restoreErr
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	dump.Stdout, restore.Stdin = pw, pr
	start := time.Now()
	if err := dump.Start(); err != nil {
		pr.Close()
		pw.Close()
		return 0, err
	}
	pw.Close()
	if err := restore.Start(); err != nil {
		pr.Close()
		dump.Process.Kill()
		dump.Wait()
		return 0, err
	}
	pr.Close()
	rerr := restore.Wait()
	derr := dump.Wait()
	wall := time.Since(start)
	if derr != nil {
		return 0, fmt.Errorf("pg_dump: %w: %s", derr, strings.TrimSpace(dumpErr.String()))
	}
	if rerr != nil {
		return 0, fmt.Errorf("pg_restore: %w: %s", rerr, strings.TrimSpace(restoreErr.String()))
	}
	return wall, nil
}

// prepareTarget gives each run the same start: an empty database from
// template1 and no dirty buffers left over from the previous run.
func (b *bench) prepareTarget(ctx context.Context) error {
	if err := recreateDB(ctx, b.tgt.DSN("postgres"), targetDB); err != nil {
		return fmt.Errorf("create the target database: %w", err)
	}
	for _, c := range []*pglocal.Cluster{b.src, b.tgt} {
		if err := exec1(ctx, c.DSN("postgres"), "CHECKPOINT"); err != nil {
			return err
		}
	}
	return nil
}

func exec1(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

func queryRow(ctx context.Context, dsn, sql string, dest ...any) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

// ---- the report ----

func report(w io.Writer, o options, b *bench, serverVersion string, shops []*shop, small, large, full *shop,
	subset map[*shop][]result, big result, fullRuns []result, baseRuns []time.Duration, total time.Duration) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	peak := peakRSS
	rowsOf := func(rs []result) int64 { return rs[0].report.Rows }

	p("## pgtwin benchmark")
	p("")
	p("Machine: %d CPUs (nproc; %s), %s RAM, %s/%s. PostgreSQL %s (two throwaway clusters from pglocal on this machine, "+
		"socket connections, fsync off; the target with pglocal's defaults), pg_dump/pg_restore %d, %s. Each time is the median of %d runs; "+
		"ratios are of medians from this one run. The whole bench took %s.",
		runtime.NumCPU(), cpuModel(), memTotal(), runtime.GOOS, runtime.GOARCH, serverVersion, b.tools.Major, runtime.Version(),
		o.runs, total.Round(time.Second))
	p("")
	p("Data: the generated shop (bench/sql), the same schema at every scale, FK indexes on every child column.")
	p("")
	header := "| database | rows | size on disk | generated in |"
	sep := "|---|---:|---:|---:|"
	for _, t := range Tables {
		header += " " + t + " |"
		sep += "---:|"
	}
	p("%s", header)
	p("%s", sep)
	for _, s := range shops {
		line := fmt.Sprintf("| %s | %s | %s | %.1f s |", s.name, num(s.scale.Total()), mib(s.size), s.generated.Seconds())
		counts := s.scale.Counts()
		for _, t := range Tables {
			line += " " + num(counts[t]) + " |"
		}
		p("%s", line)
	}
	p("")

	ss, sl := subset[small], subset[large]
	ms, ml := median(walls(ss)), median(walls(sl))
	ratioA := ml.Seconds() / ms.Seconds()
	mf, mbase := median(walls(fullRuns)), median(baseRuns)
	ratioB := mf.Seconds() / mbase.Seconds()
	goal := func(rows int64) int64 { return 100_000_000 + 64*rows }

	p("Results (subset: the first %d users by id with `order_by: id, limit: %d`, their addresses, orders, order items and payments, "+
		"the products those reference, categories `copy: all`; full twin: every table `copy: all`, on %s):", o.roots, o.roots, full.name)
	p("")
	p("| figure | measured | goal | met |")
	p("|---|---:|---:|:---:|")
	p("| (a) subset, small (%s rows): wall | %s | | |", num(small.scale.Total()), secs(ms, walls(ss)))
	p("| (a) subset, large (%s rows): wall | %s | | |", num(large.scale.Total()), secs(ml, walls(sl)))
	p("| (a) wall large / small | **%.2f** | ≤ 1.5 | %s |", ratioA, yes(ratioA <= 1.5))
	wantRows := small.scale.SubsetRows(o.roots)
	p("| (a) rows copied small / large | %s / %s | equal (%s expected) | %s |", num(rowsOf(ss)), num(rowsOf(sl)), num(wantRows),
		yes(rowsOf(ss) == rowsOf(sl) && rowsOf(ss) == wantRows))
	p("| (b) full twin, pgtwin (%s rows) | %s | | |", num(rowsOf(fullRuns)), secs(mf, walls(fullRuns)))
	p("| (b) full twin, `pg_dump -Fc \\| pg_restore` | %s | | |", secs(mbase, baseRuns))
	p("| (b) wall pgtwin / baseline | **%.2f** | ≤ 0.75 | %s |", ratioB, yes(ratioB <= 0.75))
	noAnalyze := mf.Seconds() - phase(fullRuns, "analyze")
	p("| (b) the same without pgtwin's final ANALYZE (pg_restore runs none) | %.2f | (for information) | |", noAnalyze/mbase.Seconds())
	for _, c := range []struct {
		what string
		rs   []result
	}{{"subset, small", ss}, {"subset, large", sl}, {"big subset (20% of the large shop's users)", []result{big}}, {"full twin", fullRuns}} {
		g := goal(rowsOf(c.rs))
		p("| (c) peak RSS of pgtwin, %s (%s rows) | %s | ≤ %s | %s |", c.what, num(rowsOf(c.rs)), kib(peak(c.rs)), mb(g), yes(peak(c.rs)*1024 <= g))
	}
	p("")
	p("pgtwin's phases (median seconds, from `--json`; wall is measured around the process):")
	p("")
	p("| phase | subset small | subset large | full twin |")
	p("|---|---:|---:|---:|")
	var names []string
	for _, ph := range fullRuns[0].report.Phases {
		names = append(names, ph.Name)
	}
	for _, n := range names {
		p("| %s | %.2f | %.2f | %.2f |", n, phase(ss, n), phase(sl, n), phase(fullRuns, n))
	}
	p("| total (report) | %.2f | %.2f | %.2f |", reportSecs(ss), reportSecs(sl), reportSecs(fullRuns))
	p("| wall (process) | %.2f | %.2f | %.2f |", ms.Seconds(), ml.Seconds(), mf.Seconds())
	cpu := func(rs []result) float64 {
		var ds []time.Duration
		for _, r := range rs {
			ds = append(ds, r.cpu)
		}
		return median(ds).Seconds()
	}
	p("| CPU of the pgtwin process (user + sys) | %.2f | %.2f | %.2f |", cpu(ss), cpu(sl), cpu(fullRuns))
	p("")
	p("Rows per table (first run) and queries pgtwin sent for them:")
	p("")
	p("| table | subset small | subset large | full twin |")
	p("|---|---:|---:|---:|")
	for _, t := range Tables {
		p("| %s | %s | %s | %s |", t, tableRows(ss, t), tableRows(sl, t), tableRows(fullRuns, t))
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func phase(rs []result, name string) float64 {
	var ds []time.Duration
	for _, r := range rs {
		for _, ph := range r.report.Phases {
			if ph.Name == name {
				ds = append(ds, time.Duration(ph.Seconds*float64(time.Second)))
			}
		}
	}
	return median(ds).Seconds()
}

func reportSecs(rs []result) float64 {
	var ds []time.Duration
	for _, r := range rs {
		ds = append(ds, time.Duration(r.report.Seconds*float64(time.Second)))
	}
	return median(ds).Seconds()
}

func tableRows(rs []result, table string) string {
	for _, t := range rs[0].report.Tables {
		if t.Table == table || t.Table == "public."+table {
			return fmt.Sprintf("%s (%d q)", num(t.Rows), t.Queries)
		}
	}
	return "–"
}

func secs(m time.Duration, all []time.Duration) string {
	var parts []string
	for _, d := range all {
		parts = append(parts, fmt.Sprintf("%.2f", d.Seconds()))
	}
	return fmt.Sprintf("%.2f s (runs: %s)", m.Seconds(), strings.Join(parts, ", "))
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// num prints n with thousands separators.
func num(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func kib(k int64) string { return mb(k * 1024) }

// mb prints bytes in MB of 10^6 bytes, the unit of the memory goal.
func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "model unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "model unknown"
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	var kb int64
	for _, line := range strings.Split(string(data), "\n") {
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}
