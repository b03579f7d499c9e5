package clone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/guard"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/observe"
	"github.com/pgtwin/pgtwin/internal/report"
	"github.com/pgtwin/pgtwin/internal/schema"
	"github.com/pgtwin/pgtwin/internal/source"
	"github.com/pgtwin/pgtwin/internal/subset"
)

// makePlan opens the source snapshot, checks the config against it and builds
// the plan; a plan with problems or over the budget is refused.
func (r *run) makePlan(ctx context.Context) error {
	var err error
	if r.src, err = source.Open(ctx, r.opts.Source, true); err != nil {
		return err
	}
	r.rep.Source, r.rep.SnapshotAt = r.src.Server, r.src.SnapshotAt
	if r.res, r.plan, err = r.src.Plan(ctx, r.opts.Config); err != nil {
		return err
	}
	if len(r.plan.Problems) > 0 {
		return &guard.Refused{Reason: "the plan has problems (see pgtwin plan):\n  " + strings.Join(r.plan.Problems, "\n  ")}
	}
	if err := checkEstimate(r.plan, r.opts.Budget); err != nil {
		return err
	}
	if r.maskKey, r.masking, err = maskKey(r.res, r.plan, r.opts.Getenv); err != nil {
		return err
	}
	est := make([]observe.Table, 0, len(r.plan.Tables))
	for _, t := range r.plan.Tables {
		est = append(est, observe.Table{Name: t.Table, Rows: t.EstimatedRows, Bytes: t.EstimatedBytes()})
	}
	r.obs.Estimate(est)
	for _, w := range r.plan.Warnings {
		r.warn(w)
	}
	return nil
}

// dumpSchema takes pg_dump's DDL from the snapshot, before anything
// touches the target.
func (r *run) dumpSchema(ctx context.Context) error {
	tools, err := schema.FindTools(r.src.Catalog.ServerVersion/10000, r.opts.PgBin, r.opts.Getenv)
	if err != nil {
		return err
	}
	opts := schema.DumpOptions{ConnString: r.opts.Source.DSN, Snapshot: r.src.Snapshot, KeepOwners: r.opts.KeepOwners, Source: r.src.Tx,
		IndexedForeignKeys: r.src.Catalog.IndexedForeignKeys}
	if len(r.opts.Config.Schemas.Include) > 0 {
		opts.Schemas = r.res.Schemas
	} else {
		opts.ExcludeSchemas = r.opts.Config.Schemas.Exclude
	}
	r.ddl, err = schema.Dump(ctx, tools, opts)
	return err
}

// checkTarget connects to the target and runs the guards.
func (r *run) checkTarget(ctx context.Context) error {
	if err := r.connectTarget(ctx); err != nil {
		return err
	}
	return guard.Target(ctx, r.src.Tx, r.tgt, r.rep.Target, r.guardOptions(r.res.Schemas))
}

// connectTarget connects to the target.
func (r *run) connectTarget(ctx context.Context) error {
	var err error
	if r.tgt, err = r.opts.Target.Connect(ctx); err != nil {
		return err
	}
	// A killed pgtwin cannot roll back; the server does when it notices the
	// connection is gone, which it otherwise does only when the running
	// statement ends (a big index build, the whole post-data script),
	// holding the run's lock and the half-made schemas until then. Ask it
	// to look every second (PostgreSQL 14+ on Linux, macOS and the BSDs;
	// where the setting is unknown or unsupported, the error is ignored).
	_, _ = r.tgt.Exec(ctx, "SET client_connection_check_interval = 1000")
	r.rep.Target = r.opts.Target.Describe()
	return nil
}

// guardOptions are the target checks' options for a run replacing schemas.
func (r *run) guardOptions(schemas []string) guard.Options {
	return guard.Options{Schemas: schemas, Overwrite: r.opts.OverwriteNonTwin, Wait: r.opts.WaitForLock, Waiting: r.obs.Waiting}
}

// preData begins the target transaction, replaces the included schemas
// and runs pg_dump's pre-data DDL.
func (r *run) preData(ctx context.Context) error {
	var err error
	if r.load, err = r.begin(ctx); err != nil {
		return err
	}
	if err := r.load.Exec(ctx, source.TargetSettings); err != nil {
		return err
	}
	var create strings.Builder
	for _, s := range r.res.Schemas {
		create.WriteString(r.ddl.CreateSchemaSQL(s))
	}
	if err := r.load.ReplaceSchemas(ctx, r.res.Schemas, create.String()); err != nil {
		return err
	}
	if err := r.load.Exec(ctx, r.ddl.PreData); err != nil {
		return ownersHint(fmt.Errorf("run pg_dump's pre-data DDL on the target: %w", err), r.opts.KeepOwners)
	}
	var freeze []catalog.Name
	for _, t := range r.src.Catalog.Tables {
		if !r.res.Included(t.Name) {
			continue
		}
		r.loaded = append(r.loaded, t.Name.String())
		switch t.Kind {
		case catalog.Ordinary:
			freeze = append(freeze, t.Name)
		case catalog.Partitioned:
			// A whole partitioned table is loaded leaf by leaf.
			for _, p := range t.Partitions {
				if r.res.Included(p) {
					freeze = append(freeze, p)
				}
			}
		}
	}
	r.load.Freeze(freeze)
	return nil
}

// copyRows streams the selected rows from the snapshot into the target,
// then cuts the keys the config cuts.
func (r *run) copyRows(ctx context.Context) error {
	jobs := r.opts.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs
	}
	var readers []subset.Source
	for range jobs - 1 {
		reader, err := r.src.OpenReader(ctx)
		if err != nil {
			return err
		}
		defer reader.Close(ctx)
		readers = append(readers, tracedSource{reader, r.obs})
	}
	var err error
	r.stats, err = subset.Run(ctx, tracedSource{r.src, r.obs}, r.sink, r.src.Catalog, r.res, r.plan, subset.Options{
		MaxRows: r.opts.Budget.MaxRows, MaxBytes: r.opts.Budget.MaxBytes,
		OnRows:  func(t catalog.Name, rows, bytes int64) { r.obs.Rows(t.Display(), rows, bytes) },
		MaskKey: r.maskKey,
		Access:  r.opts.Access, BatchSize: r.opts.BatchSize, BinarySink: r.binarySink(), Readers: readers,
	})
	if ob := (*subset.OverBudget)(nil); errors.As(err, &ob) {
		return overBudget(ob, r.stats, r.plan, r.opts.Budget)
	}
	if err != nil {
		return fmt.Errorf("copy rows: %w", err)
	}
	r.rep.AddTables(r.stats, r.plan)
	for _, e := range r.plan.Edges {
		if !e.Cut {
			continue
		}
		n, err := r.load.CutKey(ctx, e.FK)
		if err != nil {
			return err
		}
		r.rep.CutKeys = append(r.rep.CutKeys, report.CutReport{Key: e.Key, Rows: n})
	}
	return nil
}

// sink loads one COPY stream into the target, and tells the observer how
// long it took.
func (r *run) sink(ctx context.Context, table catalog.Name, columns []string, rd io.Reader) error {
	start := time.Now()
	err := r.load.Copy(ctx, table, columns, rd)
	r.obs.Query(observe.Query{Server: r.rep.Target, SQL: "COPY " + table.String() + " FROM STDIN", Took: time.Since(start), Err: err})
	return err
}

// binarySink is the sink of whole tables passed through as binary COPY;
// nil keeps them on the text path (Options.TextOnly).
func (r *run) binarySink() subset.Sink {
	if r.opts.TextOnly || r.file != nil {
		return nil
	}
	return func(ctx context.Context, table catalog.Name, columns []string, rd io.Reader) error {
		start := time.Now()
		err := r.load.CopyBinary(ctx, table, columns, rd)
		r.obs.Query(observe.Query{Server: r.rep.Target, SQL: "COPY " + table.String() + " FROM STDIN (FORMAT binary)", Took: time.Since(start), Err: err})
		return err
	}
}

// tracedSource tells the observer about each COPY from the source: the
// query up to its first literal (observe.Summary: the key lists are
// literals), its command tag and time.
type tracedSource struct {
	src *source.Session
	obs observe.Observer
}

func (t tracedSource) CopyTo(ctx context.Context, w io.Writer, sql string) (pgconn.CommandTag, error) {
	start := time.Now()
	tag, err := t.src.CopyTo(ctx, w, sql)
	t.obs.Query(observe.Query{Server: t.src.Server, SQL: observe.Summary(sql), Tag: tag.String(), Took: time.Since(start), Err: err})
	return tag, err
}

// postData builds indexes and constraints: the target validates every
// foreign key here.
func (r *run) postData(ctx context.Context) error {
	if err := r.load.Exec(ctx, r.ddl.PostData); err != nil {
		return ownersHint(fmt.Errorf("build indexes and constraints on the target (pg_dump's post-data): %w", err), r.opts.KeepOwners)
	}
	if r.ddl.IndexedForeignKeys == "" {
		return nil
	}
	if err := r.load.Exec(ctx, load.IndexedForeignKeysSQL(r.ddl.IndexedForeignKeys)); err != nil {
		return ownersHint(fmt.Errorf("add the foreign keys on the target (pg_dump's post-data): %w", err), r.opts.KeepOwners)
	}
	return nil
}

// sequences sets the twin's sequences to the source's values and
// refreshes its materialized views.
func (r *run) sequences(ctx context.Context) error {
	seqs, err := r.src.SequenceValues(ctx, r.res.Schemas)
	if err != nil {
		return err
	}
	if err := r.load.SetSequences(ctx, seqs); err != nil {
		return err
	}
	return r.load.RefreshMatviews(ctx, r.res.Schemas)
}

// commit writes the marker and commits; the source is let go.
func (r *run) commit(ctx context.Context) error {
	marker := load.Marker{
		CreatedAt: time.Now(), SnapshotAt: r.src.SnapshotAt, Source: r.rep.Source, ConfigHash: configHash(r.opts.Config),
		Version: r.opts.Version, Schemas: r.res.Schemas, Rows: r.rep.RowsByTable(),
	}
	if r.masking {
		marker.MaskKeyFingerprint, marker.Masked = r.maskKey.Fingerprint(), maskedColumns(r.plan)
		r.rep.MaskKeyFingerprint = marker.MaskKeyFingerprint
	}
	if err := r.load.WriteMarker(ctx, marker); err != nil {
		return err
	}
	// A first Ctrl-C must not race the COMMIT: cancelling it half-way
	// would close the connection without knowing whether the twin was
	// committed. So the commit is not interruptible once sent.
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.load.Commit(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	r.src.Close(ctx)
	return nil
}

// analyze resets the session pg_dump's scripts changed and analyzes the
// twin's tables (only those: other schemas of the target are not
// pgtwin's). The twin is committed: a failure is a warning.
func (r *run) analyze(ctx context.Context) error {
	sql := ""
	if r.ddl != nil {
		sql = r.ddl.ResetSQL()
	}
	if len(r.loaded) > 0 {
		sql += "\nANALYZE " + strings.Join(r.loaded, ", ") + ";"
	}
	if err := r.load.Exec(ctx, sql); err != nil {
		if errors.Is(context.Cause(ctx), errMaxDuration) {
			err = fmt.Errorf("stopped by the duration budget of %s (%s)", r.opts.Budget.MaxDuration, r.opts.Budget.name("duration"))
		}
		r.warn(fmt.Sprintf("the twin is committed, but ANALYZE failed: %v; run ANALYZE on the target", err))
	}
	return nil
}
