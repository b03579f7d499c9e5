package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// filesFigure is (j), twin files: the subset dumped and restored against a
// direct clone of it, and the full twin's file against pg_dump -Fc's
// archive — dump time, size and restore time — for each compression.
type filesFigure struct {
	subsetClone, subsetDump, subsetRestore []result
	// by compression ("zstd", "gzip", "none")
	fullDump, fullRestore map[string][]result
	fullSize              map[string]int64
	fcDump, fcRestore     []time.Duration
	fcSize                int64
}

// fileCompressions are the compressions the figure measures; the first is
// pgtwin's default.
var fileCompressions = []string{"zstd", "gzip", "none"}

func (b *bench) filesFigure(ctx context.Context, o options, large, full *shop) (*filesFigure, error) {
	f := &filesFigure{fullDump: map[string][]result{}, fullRestore: map[string][]result{}, fullSize: map[string]int64{}}
	file := filepath.Join(b.dir, "twin.sql")
	// The subset's runs take well under a second each, where one run is
	// noise: five at least, after one unmeasured warm-up.
	for i := -1; i < max(o.runs, 5); i++ {
		c, err := b.clone(ctx, b.subsetConfig, large)
		if err != nil {
			return nil, fmt.Errorf("subset of %s: %w", large.name, err)
		}
		d, r, _, err := b.dumpRestore(ctx, b.subsetConfig, large, file, "zstd")
		if err != nil {
			return nil, fmt.Errorf("subset file of %s: %w", large.name, err)
		}
		if i < 0 {
			continue
		}
		logf("subset of %s, run %d: clone %.2fs, dump %.2fs + restore %.2fs", large.name, i+1, c.wall.Seconds(), d.wall.Seconds(), r.wall.Seconds())
		f.subsetClone, f.subsetDump, f.subsetRestore = append(f.subsetClone, c), append(f.subsetDump, d), append(f.subsetRestore, r)
	}
	archive := filepath.Join(b.dir, "full.dump")
	for i := 0; i < o.runs; i++ {
		dump, restore, size, err := b.fcDumpRestore(ctx, full, archive)
		if err != nil {
			return nil, err
		}
		logf("full %s, run %d: pg_dump -Fc %.1fs (%s), pg_restore %.1fs", full.name, i+1, dump.Seconds(), mb(size), restore.Seconds())
		f.fcDump, f.fcRestore, f.fcSize = append(f.fcDump, dump), append(f.fcRestore, restore), size
		for _, comp := range fileCompressions {
			d, r, size, err := b.dumpRestore(ctx, b.fullConfig, full, file, comp)
			if err != nil {
				return nil, fmt.Errorf("full twin file of %s (%s): %w", full.name, comp, err)
			}
			logf("full %s, run %d: pgtwin dump %s %.1fs (%s, %s peak RSS), restore %.1fs (%s peak RSS; %s)",
				full.name, i+1, comp, d.wall.Seconds(), mb(size), kib(d.maxRSS), r.wall.Seconds(), kib(r.maxRSS), phases(r))
			f.fullDump[comp], f.fullRestore[comp], f.fullSize[comp] = append(f.fullDump[comp], d), append(f.fullRestore[comp], r), size
		}
	}
	os.Remove(file)
	os.Remove(archive)
	return f, nil
}

// dumpRestore dumps config's twin of s to file with compression comp, then
// restores the file into a fresh target database.
func (b *bench) dumpRestore(ctx context.Context, config string, s *shop, file, comp string) (dump, restore result, size int64, err error) {
	if err := b.prepareTarget(ctx); err != nil {
		return dump, restore, 0, err
	}
	defer dropDB(context.WithoutCancel(ctx), b.tgt.DSN("postgres"), targetDB)
	if dump, err = b.pgtwin(ctx, "dump", "--config", config, "--source", b.src.DSN(s.name), "--output", file, "--compress", comp, "--json"); err != nil {
		return dump, restore, 0, err
	}
	st, err := os.Stat(file)
	if err != nil {
		return dump, restore, 0, err
	}
	// The restore starts as the clone does: nothing dirty on either server.
	for _, dsn := range []string{b.src.DSN("postgres"), b.tgt.DSN("postgres")} {
		if err := exec1(ctx, dsn, "CHECKPOINT"); err != nil {
			return dump, restore, 0, err
		}
	}
	restore, err = b.pgtwin(ctx, "restore", "--input", file, "--target", b.tgt.DSN(targetDB), "--json")
	return dump, restore, st.Size(), err
}

// pgtwin runs the pgtwin binary with args (a command and --json) and
// measures it: wall time, peak RSS, CPU, and its JSON report.
func (b *bench) pgtwin(ctx context.Context, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Env = append(os.Environ(), "PGTWIN_MASK_KEY="+benchMaskKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	floor, err := resetPeakRSS()
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("pgtwin %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r := result{wall: wall, maxRSS: ru.Maxrss, cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if r.maxRSS <= floor {
		logf("warning: pgtwin's peak RSS (%s) is no more than the bench's own RSS when it started pgtwin (%s): it may be the bench's", kib(r.maxRSS), kib(floor))
	}
	if err := json.Unmarshal(stdout.Bytes(), &r.report); err != nil {
		return result{}, fmt.Errorf("read pgtwin's report: %w", err)
	}
	return r, nil
}

// fcDumpRestore runs pg_dump -Fc of s into archive, then pg_restore of it
// into a fresh target database (both --no-owner, as a user would to move
// a database between servers).
func (b *bench) fcDumpRestore(ctx context.Context, s *shop, archive string) (dump, restore time.Duration, size int64, err error) {
	if err := b.prepareTarget(ctx); err != nil {
		return 0, 0, 0, err
	}
	defer dropDB(context.WithoutCancel(ctx), b.tgt.DSN("postgres"), targetDB)
	start := time.Now()
	if err := run1(ctx, b.tools.PgDump, "-Fc", "--no-owner", "-f", archive, "-d", b.src.DSN(s.name)); err != nil {
		return 0, 0, 0, err
	}
	dump = time.Since(start)
	st, err := os.Stat(archive)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, dsn := range []string{b.src.DSN("postgres"), b.tgt.DSN("postgres")} {
		if err := exec1(ctx, dsn, "CHECKPOINT"); err != nil {
			return 0, 0, 0, err
		}
	}
	start = time.Now()
	if err := run1(ctx, b.tools.PgRestore, "--no-owner", "--exit-on-error", "-d", b.tgt.DSN(targetDB), archive); err != nil {
		return 0, 0, 0, err
	}
	return dump, time.Since(start), st.Size(), nil
}

func (f *filesFigure) report(w io.Writer, large, full *shop) {
	c, d, r := median(walls(f.subsetClone)), median(walls(f.subsetDump)), median(walls(f.subsetRestore))
	ratio := (d + r).Seconds() / c.Seconds()
	fmt.Fprintf(w, "\nTwin files (the %d-row subset of %s; the full twin of %s):\n\n", f.subsetClone[0].report.Rows, large.name, full.name)
	fmt.Fprintln(w, "| figure | measured | goal | met |")
	fmt.Fprintln(w, "|---|---:|---:|:---:|")
	fmt.Fprintf(w, "| (j) subset: dump + restore vs clone, wall | (%.2f s + %.2f s) / %.2f s = **%.2f** | ≤ 1.3 | %s |\n", d.Seconds(), r.Seconds(), c.Seconds(), ratio, yes(ratio <= 1.3))
	fcD, fcR := median(f.fcDump), median(f.fcRestore)
	for i, comp := range fileCompressions {
		dd, rr := median(walls(f.fullDump[comp])), median(walls(f.fullRestore[comp]))
		dr, sr, rr2 := dd.Seconds()/fcD.Seconds(), float64(f.fullSize[comp])/float64(f.fcSize), rr.Seconds()/fcR.Seconds()
		// The goals are the default compression's; the others are shown
		// for the choice (README: twin files).
		name, goal := comp, func(string, bool) string { return "— | —" }
		if i == 0 {
			name += " (default)"
			goal = func(g string, ok bool) string { return g + " | " + yes(ok) }
		}
		fmt.Fprintf(w, "| (j) full, %s: dump vs `pg_dump -Fc` | %.1f s / %.1f s = **%.2f** | %s |\n", name, dd.Seconds(), fcD.Seconds(), dr, goal("≤ 1", dr <= 1))
		fmt.Fprintf(w, "| (j) full, %s: file size vs `pg_dump -Fc`'s | %s / %s = **%.2f** | %s |\n", name, mb(f.fullSize[comp]), mb(f.fcSize), sr, goal("≤ 1", sr <= 1))
		fmt.Fprintf(w, "| (j) full, %s: restore vs `pg_restore` of the `-Fc` file | %.1f s / %.1f s = **%.2f** | %s |\n", name, rr.Seconds(), fcR.Seconds(), rr2, goal("≤ 0.75", rr2 <= 0.75))
	}
	rows := f.fullDump[fileCompressions[0]][0].report.Rows
	goal := 100_000_000 + 32*rows
	dPeak, rPeak := peakRSS(f.fullDump[fileCompressions[0]]), peakRSS(f.fullRestore[fileCompressions[0]])
	fmt.Fprintf(w, "| (j) peak memory, full dump / restore, %s rows | %s / %s | ≤ %s | %s |\n", num(rows), kib(dPeak), kib(rPeak), mb(goal), yes(max(dPeak, rPeak)*1024 <= goal))
}

// phases lists a run's phases and their seconds, for the log.
func phases(r result) string {
	var out []string
	for _, p := range r.report.Phases {
		out = append(out, fmt.Sprintf("%s %.1fs", p.Name, p.Seconds))
	}
	return strings.Join(out, ", ")
}
