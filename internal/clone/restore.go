package clone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/guard"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/observe"
	"github.com/pgtwin/pgtwin/internal/report"
	"github.com/pgtwin/pgtwin/internal/subset"
	"github.com/pgtwin/pgtwin/internal/twinfile"
)

// RestoreOptions say which file to load into which target. Of Options,
// Target, OverwriteNonTwin, WaitForLock, Observer and Budget.MaxDuration
// apply.
type RestoreOptions struct {
	Options
	Input io.Reader
}

// restorePhases load a twin file with every guarantee of a clone: the
// target checks before anything is written, one transaction, the file's
// checksums checked before the commit, then ANALYZE.
var restorePhases = []phase{
	{"file header", (*run).readHeader},
	{"target checks", (*run).checkFileTarget},
	{twinfile.SectionPreData, applying(twinfile.SectionPreData)},
	{twinfile.SectionData, applying(twinfile.SectionData)},
	{twinfile.SectionPostData, applying(twinfile.SectionPostData)},
	{twinfile.SectionSequences, applying(twinfile.SectionSequences)},
	{twinfile.SectionCommit, (*run).commitFile},
	{"analyze", (*run).analyze},
}

// Restore loads a twin file into the target. On any error before the
// commit — a damaged, cut short or changed file included — the target is
// left exactly as it was.
func Restore(ctx context.Context, opts RestoreOptions) (*report.Report, error) {
	r := newRun(opts.Options)
	r.input = opts.Input
	r.begin = r.beginLoad
	start := time.Now()
	rep, err := r.do(ctx, restorePhases)
	if r.reader != nil {
		r.reader.Close()
	}
	r.obs.Done(time.Since(start), err)
	return rep, err
}

// restoreState is what a restore's phases share besides run's.
type restoreState struct {
	input   io.Reader
	reader  *twinfile.Reader
	pending *twinfile.Item
	seconds map[catalog.Name]time.Duration
	counts  map[catalog.Name][2]int64
}

// readHeader reads the file's header: a file that is not a twin file, or
// of a newer format, is refused before the target is touched.
func (r *run) readHeader(context.Context) error {
	var err error
	if r.reader, err = twinfile.NewReader(r.input); err != nil {
		return err
	}
	h := r.reader.Header
	r.rep.Source, r.rep.SnapshotAt, r.rep.MaskKeyFingerprint = h.Source, h.SnapshotAt, h.MaskKeyFingerprint
	r.seconds = map[catalog.Name]time.Duration{}
	r.counts = map[catalog.Name][2]int64{}
	for _, t := range h.Tables {
		r.loaded = append(r.loaded, t.String())
	}
	return nil
}

// checkFileTarget connects to the target and runs the guards; the target
// may not be the database the file was made from.
func (r *run) checkFileTarget(ctx context.Context) error {
	if err := r.connectTarget(ctx); err != nil {
		return err
	}
	return guard.TargetOfFile(ctx, r.reader.Header.SourceIdentity, r.tgt, r.rep.Target, r.guardOptions(r.reader.Header.Schemas))
}

// applying returns the phase that runs the file's section name.
func applying(name string) func(*run, context.Context) error {
	return func(r *run, ctx context.Context) error {
		if err := r.startSection(ctx, name); err != nil {
			return err
		}
		for {
			it, err := r.next()
			if err != nil {
				return err
			}
			if it.Kind == twinfile.KindSection {
				r.pending = it
				break
			}
			if err := r.apply(ctx, name, it); err != nil {
				return err
			}
		}
		if name == twinfile.SectionPreData {
			return r.freezeNewTables(ctx)
		}
		return nil
	}
}

// startSection begins the transaction at the first section and checks the
// file's next item starts the section name.
func (r *run) startSection(ctx context.Context, name string) error {
	if r.load == nil {
		var err error
		if r.load, err = r.begin(ctx); err != nil {
			return err
		}
	}
	it, err := r.next()
	if errors.Is(err, io.EOF) {
		return &twinfile.FormatError{Msg: fmt.Sprintf("the twin file ends before its %s section: it is damaged", name)}
	}
	if err != nil {
		return err
	}
	if it.Kind != twinfile.KindSection || it.Section != name {
		return &twinfile.FormatError{Msg: fmt.Sprintf("the twin file's %s section is missing: it is damaged", name)}
	}
	return nil
}

// next returns the pending item or the file's next one.
func (r *run) next() (*twinfile.Item, error) {
	if it := r.pending; it != nil {
		r.pending = nil
		return it, nil
	}
	return r.reader.Next()
}

// apply runs one item of the file's section in the target transaction.
func (r *run) apply(ctx context.Context, section string, it *twinfile.Item) error {
	switch it.Kind {
	case twinfile.KindCopy:
		start := time.Now()
		rows := &countedRows{r: it.Rows, table: it.Table.Display(), obs: r.obs, base: r.counts[it.Table]}
		rows.counts = rows.base
		r.obs.Rows(rows.table, rows.counts[0], rows.counts[1])
		err := r.sink(ctx, it.Table, it.Columns, rows)
		r.counts[it.Table] = rows.counts
		r.obs.Rows(rows.table, rows.counts[0], rows.counts[1])
		r.seconds[it.Table] += time.Since(start)
		if rows.err != nil {
			// The server's "COPY from stdin failed: …" would hide that the
			// file is at fault.
			return rows.err
		}
		return err
	case twinfile.KindSQL:
		if it.Cut == "" {
			if err := r.load.Exec(ctx, it.SQL); err != nil {
				return fileOwnersHint(fmt.Errorf("run the twin file's %s section on the target: %w", section, err))
			}
			return nil
		}
		n, err := r.load.(*load.Loader).ExecCount(ctx, it.SQL)
		if err != nil {
			return fmt.Errorf("cut %s: %w", it.Cut, err)
		}
		r.rep.CutKeys = append(r.rep.CutKeys, report.CutReport{Key: it.Cut, Rows: n})
	}
	return nil
}

// freezeNewTables has the rows copied WITH (FREEZE) into the ordinary
// tables of the schemas the file just created.
func (r *run) freezeNewTables(ctx context.Context) error {
	rows, err := r.tgt.Query(ctx, `SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = ANY($1)`, r.reader.Header.Schemas)
	if err != nil {
		return fmt.Errorf("list the new tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.Name, error) {
		var n catalog.Name
		return n, row.Scan(&n.Schema, &n.Name)
	})
	if err != nil {
		return fmt.Errorf("list the new tables: %w", err)
	}
	r.load.Freeze(names)
	return nil
}

// commitFile reads the file's last section (the marker) to the file's end
// — checking every table's count and checksum and the end checksum — and
// only then runs it and commits: a damaged file leaves not even the
// marker's sequence advanced.
func (r *run) commitFile(ctx context.Context) error {
	if err := r.startSection(ctx, twinfile.SectionCommit); err != nil {
		return err
	}
	var last []*twinfile.Item
	for {
		it, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if it.Kind != twinfile.KindSQL {
			return &twinfile.FormatError{Msg: "the twin file's commit section holds more than SQL: it is damaged"}
		}
		last = append(last, it)
	}
	for _, it := range last {
		if err := r.apply(ctx, twinfile.SectionCommit, it); err != nil {
			return err
		}
	}
	m := r.reader.Manifest()
	tables := make([]report.TableReport, 0, len(m.Counts))
	for _, c := range m.Counts {
		tables = append(tables, report.TableReport{Table: c.Table.Display(), Rows: c.Rows, Bytes: c.Bytes, Seconds: r.seconds[c.Table].Seconds(), EstimatedRows: c.Rows})
	}
	r.rep.AddTableReports(tables)
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.load.Commit(context.WithoutCancel(ctx))
}

// countedRows reads a block's rows, tells the observer the table's running
// counts (as subset does for a clone) from the block's own count, and
// remembers the error, other than io.EOF, its reader returned.
type countedRows struct {
	r      twinfile.RowsReader
	table  string
	obs    observe.Observer
	base   [2]int64 // rows, bytes of the table before this block
	counts [2]int64 // and with what this block has read so far
	told   [2]int64
	err    error
}

func (c *countedRows) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	rows, bytes := c.r.Counted()
	c.counts = [2]int64{c.base[0] + rows, c.base[1] + bytes}
	if c.counts[0]-c.told[0] >= subset.ReportRows || c.counts[1]-c.told[1] >= subset.ReportBytes {
		c.told = c.counts
		c.obs.Rows(c.table, c.counts[0], c.counts[1])
	}
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// fileOwnersHint adds the way out when a file dumped with --keep-owners
// meets a target without one of the source's roles.
func fileOwnersHint(err error) error {
	if missingRole(err) {
		return fmt.Errorf("%w: the file keeps the source's owners (it was dumped with --keep-owners); create the role on the target, or dump without --keep-owners", err)
	}
	return err
}
