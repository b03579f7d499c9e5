package clone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/guard"
	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/report"
	"github.com/pgtwin/pgtwin/internal/twinfile"
)

// DumpOptions say what to twin and where the file goes. Of Options, Target,
// OverwriteNonTwin, WaitForLock and TextOnly do not apply.
type DumpOptions struct {
	Options
	// Output receives the file; Dump does not close it.
	Output io.Writer
	// OutputName names the output in the report ("twin.sql.zst", "stdout").
	OutputName  string
	Compression twinfile.Compression
}

// dumpPhases are a dump's steps: a clone's, with the file in the target's
// place; no target checks, and nothing to analyze.
var dumpPhases = []phase{
	{"plan", (*run).makePlan},
	{"schema dump", (*run).dumpSchema},
	{twinfile.SectionPreData, (*run).preData},
	{twinfile.SectionData, (*run).copyRows},
	{twinfile.SectionPostData, (*run).postData},
	{twinfile.SectionSequences, (*run).sequences},
	{twinfile.SectionCommit, (*run).commit},
}

// Dump writes the twin Run would make to a twin file: the same snapshot,
// plan, masks and budgets. It returns the report and the file's manifest.
// On an error the output holds an unfinished file, which restore refuses.
func Dump(ctx context.Context, opts DumpOptions) (*report.Report, *twinfile.Manifest, error) {
	r := newRun(opts.Options)
	r.rep.Target = opts.OutputName
	r.begin = func(ctx context.Context) (destination, error) {
		id, err := guard.ReadIdentity(ctx, r.src.Tx)
		if err != nil {
			return nil, err
		}
		v := r.src.Catalog.ServerVersion
		h := twinfile.Header{
			PgtwinVersion: opts.Version, CreatedAt: time.Now().UTC(), Source: r.rep.Source,
			SourceServerVersion: fmt.Sprintf("%d.%d", v/10000, v%10000), SourceIdentity: id,
			SnapshotAt: r.src.SnapshotAt, ConfigHash: configHash(opts.Config), Schemas: r.res.Schemas,
		}
		if r.masking {
			h.MaskKeyFingerprint = r.maskKey.Fingerprint()
		}
		for _, t := range r.src.Catalog.Tables {
			if r.res.Included(t.Name) {
				h.Tables = append(h.Tables, t.Name)
			}
		}
		w, err := twinfile.NewWriter(opts.Output, opts.Compression, h)
		if err != nil {
			return nil, err
		}
		r.file = &fileDest{w: w, src: r.src.Tx, out: opts.Output}
		// The file begins in the pre-data phase; the later sections start
		// with their phases (run.do).
		return r.file, w.Section(twinfile.SectionPreData)
	}
	start := time.Now()
	rep, err := r.do(ctx, dumpPhases)
	r.obs.Done(time.Since(start), err)
	if err != nil {
		return nil, nil, err
	}
	rep.Target = fmt.Sprintf("%s (%s, %s)", opts.OutputName, opts.Compression, human.Bytes(r.file.written()))
	return rep, r.file.manifest, nil
}

// fileDest is a destination that writes a twin file.
type fileDest struct {
	w        *twinfile.Writer
	src      load.Querier
	out      io.Writer
	manifest *twinfile.Manifest
	closed   bool
}

func (f *fileDest) Exec(_ context.Context, sql string) error { return f.w.SQL(sql) }

func (f *fileDest) ReplaceSchemas(_ context.Context, schemas []string, create string) error {
	return f.w.SQL(load.ReplaceSchemasSQL(schemas, create))
}

// Freeze is the restoring loader's business: it copies WITH (FREEZE) into
// the tables the file creates; psql cannot.
func (f *fileDest) Freeze([]catalog.Name) {}

func (f *fileDest) Copy(_ context.Context, table catalog.Name, columns []string, r io.Reader) error {
	_, _, err := f.w.Copy(table, columns, r)
	return err
}

func (f *fileDest) CopyBinary(context.Context, catalog.Name, []string, io.Reader) error {
	return errors.New("a twin file holds COPY text only")
}

// CutKey writes the statement; its rows are counted when it runs, at
// restore (-1 here).
func (f *fileDest) CutKey(_ context.Context, fk *catalog.ForeignKey) (int64, error) {
	return -1, f.w.CutSQL(fk.String(), load.CutKeySQL(fk)+";")
}

func (f *fileDest) SetSequences(_ context.Context, seqs []load.SequenceValue) error {
	return f.w.SQL(load.SequencesSQL(seqs))
}

// RefreshMatviews lists the views on the source: the twin's are the same.
func (f *fileDest) RefreshMatviews(ctx context.Context, schemas []string) error {
	sql, err := load.RefreshMatviewsSQL(ctx, f.src, schemas)
	if err != nil {
		return err
	}
	return f.w.SQL(sql)
}

// WriteMarker writes the marker's DDL and its INSERT as two items, which
// restore runs as two statements (see load.Loader.WriteMarker).
func (f *fileDest) WriteMarker(_ context.Context, m load.Marker) error {
	if err := f.w.SQL(load.MarkerDDL); err != nil {
		return err
	}
	return f.w.SQL(load.MarkerInsertSQL(m))
}

// Commit writes the manifest and the end line.
func (f *fileDest) Commit(context.Context) error {
	m, err := f.w.Close()
	f.closed = true
	f.manifest = m
	return err
}

// Rollback stops the compressor; the file stays unfinished.
func (f *fileDest) Rollback(context.Context) {
	if !f.closed {
		f.closed = true
		f.w.Abort()
	}
}

// written is the size of the file, when the output counts it.
func (f *fileDest) written() int64 {
	if c, ok := f.out.(interface{ Written() int64 }); ok {
		return c.Written()
	}
	return 0
}
