package clone

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/plan"
	"github.com/pgtwin/pgtwin/internal/progress"
	"github.com/pgtwin/pgtwin/internal/schema"
	"github.com/pgtwin/pgtwin/internal/subset"
)

// Options say what to twin, from where, to where.
type Options struct {
	Source, Target dbconn.Endpoint
	Config         *config.Config
	// PgBin is the directory of pg_dump/pg_restore to use (--pg-bin).
	PgBin string
	// KeepOwners keeps owners and grants in the DDL.
	KeepOwners bool
	// OverwriteNonTwin lets pgtwin replace the schemas of a target that has
	// tables but no pgtwin marker.
	OverwriteNonTwin bool
	Getenv           func(string) string
	Version          string
	// Phase, when set, is told when each phase starts.
	Phase func(name string)
	// WaitForLock makes a run wait for another run on the same target to
	// end instead of failing (--wait); Waiting, when set, is told once
	// before the wait starts.
	WaitForLock bool
	Waiting     func()
	// Progress, when set, is told each phase, the plan's estimates and the
	// rows as they stream.
	Progress progress.Reporter
	// Budget limits the twin's size and the run's duration.
	Budget Budget
}

// Refused is returned when a guard stops the run before anything is
// written; the user must change the command or the config.
type Refused struct {
	Reason string
	// Doc is the section of docs/troubleshooting.md that explains it.
	Doc string
}

func (r *Refused) Error() string { return r.Reason }

// Report is what a run did.
type Report struct {
	Version    int           `json:"report_version"`
	Source     string        `json:"source"`
	Target     string        `json:"target"`
	SnapshotAt time.Time     `json:"snapshot_at"`
	Tables     []TableReport `json:"tables"`
	CutKeys    []CutReport   `json:"cut_keys,omitempty"`
	// Masked counts the values masked per column; MaskKeyFingerprint
	// identifies the key (never the key itself).
	Masked             []MaskedReport `json:"masked,omitempty"`
	MaskKeyFingerprint string         `json:"mask_key_fingerprint,omitempty"`
	Phases             []Phase        `json:"phases"`
	Rows               int64          `json:"rows"`
	Bytes              int64          `json:"bytes"`
	Seconds            float64        `json:"seconds"`
	Warnings           []string       `json:"warnings"`
}

// TableReport is one table's share of the twin.
type TableReport struct {
	Table   string  `json:"table"`
	Rows    int64   `json:"rows"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Queries int     `json:"queries"`
	// Share is the table's share of the twin's bytes, 0 to 1.
	Share float64 `json:"share"`
	// EstimatedRows is the plan's estimate of Rows.
	EstimatedRows int64 `json:"estimated_rows"`
}

// CutReport counts the rows whose key was set to NULL.
type CutReport struct {
	Key  string `json:"key"`
	Rows int64  `json:"rows"`
}

// MaskedReport counts the non-NULL values masked in one column.
type MaskedReport struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Values int64  `json:"values"`
}

// Phase is a named step and how long it took.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Run makes the twin. On any error before the commit the target is left
// exactly as it was.
func Run(ctx context.Context, opts Options) (_ *Report, err error) {
	start := time.Now()
	rep := &Report{Version: 1, Tables: []TableReport{}, Warnings: []string{}}
	prog := opts.Progress
	if prog == nil {
		prog = progress.Nop{}
	}
	phaseStart := start
	phaseName := ""
	// What the data phase copied, and the plan: for the message of a run
	// stopped by its duration budget.
	var (
		stats []subset.TableStats
		p     *plan.Plan
	)
	if opts.Budget.MaxDuration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, opts.Budget.MaxDuration, errMaxDuration)
		defer cancel()
		defer func() {
			if err != nil && errors.Is(context.Cause(ctx), errMaxDuration) {
				err = outOfTime(opts.Budget, phaseName, stats, p)
			}
		}()
	}
	phase := func(name string) {
		now := time.Now()
		if phaseName != "" {
			rep.Phases = append(rep.Phases, Phase{Name: phaseName, Seconds: now.Sub(phaseStart).Seconds()})
		}
		phaseName, phaseStart = name, now
		prog.Phase(name)
		if name != "" && opts.Phase != nil {
			opts.Phase(name)
		}
	}

	phase("plan")
	src, err := OpenSource(ctx, opts.Source, true)
	if err != nil {
		return nil, err
	}
	defer src.Close(ctx)
	var tgt *pgx.Conn
	defer func() {
		if err != nil && ctx.Err() == nil && !IsBudget(err) {
			err = explainLost(err, src, tgt, rep)
		}
		if tgt != nil {
			tgt.Close(context.WithoutCancel(ctx))
		}
	}()
	srcCfg, _ := opts.Source.Config()
	rep.Source = dbconn.Describe(&srcCfg.Config)
	rep.SnapshotAt = src.SnapshotAt
	res, p, err := src.Plan(ctx, opts.Config)
	if err != nil {
		return nil, err
	}
	if len(p.Problems) > 0 {
		return nil, &Refused{Reason: "the plan has problems (see pgtwin plan):\n  " + strings.Join(p.Problems, "\n  ")}
	}
	if err := checkEstimate(p, opts.Budget); err != nil {
		return nil, err
	}
	key, masking, err := maskKey(res, p, opts.Getenv)
	if err != nil {
		return nil, err
	}
	est := make([]progress.Table, 0, len(p.Tables))
	for _, t := range p.Tables {
		est = append(est, progress.Table{Name: t.Table, Rows: t.EstimatedRows, Bytes: t.EstimatedBytes()})
	}
	prog.Estimate(est)
	rep.Warnings = append(rep.Warnings, p.Warnings...)

	phase("schema dump")
	major := src.Catalog.ServerVersion / 10000
	tools, err := schema.FindTools(major, opts.PgBin, opts.Getenv)
	if err != nil {
		return nil, err
	}
	dumpOpts := schema.DumpOptions{ConnString: opts.Source.DSN, Snapshot: src.Snapshot, KeepOwners: opts.KeepOwners, Source: src.Tx}
	if len(opts.Config.Schemas.Include) > 0 {
		dumpOpts.Schemas = res.Schemas
	} else {
		dumpOpts.ExcludeSchemas = opts.Config.Schemas.Exclude
	}
	ddl, err := schema.Dump(ctx, tools, dumpOpts)
	if err != nil {
		return nil, err
	}

	phase("target checks")
	tgt, err = opts.Target.Connect(ctx)
	if err != nil {
		return nil, err
	}
	// A killed pgtwin cannot roll back; the server does when it notices the
	// connection is gone, which it otherwise does only when the running
	// statement ends (a big index build, the whole post-data script),
	// holding the run's lock and the half-made schemas until then. Ask it
	// to look every second (PostgreSQL 14+ on Linux, macOS and the BSDs;
	// where the setting is unknown or unsupported, the error is ignored).
	_, _ = tgt.Exec(ctx, "SET client_connection_check_interval = 1000")
	tgtCfg, _ := opts.Target.Config()
	rep.Target = dbconn.Describe(&tgtCfg.Config)
	if err := guard(ctx, src, tgt, rep.Target, res.Schemas, opts.OverwriteNonTwin, opts.WaitForLock, opts.Waiting); err != nil {
		return nil, err
	}

	phase("pre-data")
	l, err := load.Begin(ctx, tgt)
	if err != nil {
		return nil, err
	}
	defer l.Rollback(context.WithoutCancel(ctx))
	var create strings.Builder
	for _, s := range res.Schemas {
		create.WriteString(ddl.CreateSchemaSQL(s))
	}
	if err := l.ReplaceSchemas(ctx, res.Schemas, create.String()); err != nil {
		return nil, err
	}
	if err := l.Exec(ctx, ddl.PreData); err != nil {
		return nil, ownersHint(fmt.Errorf("run pg_dump's pre-data DDL on the target: %w", err), opts.KeepOwners)
	}
	var loaded []string
	var freeze []catalog.Name
	for _, t := range src.Catalog.Tables {
		if !res.Included(t.Name) {
			continue
		}
		loaded = append(loaded, t.Name.String())
		if t.Kind == catalog.Ordinary {
			freeze = append(freeze, t.Name)
		}
	}
	l.Freeze(freeze)

	phase("data")
	stats, err = subset.Run(ctx, sourceCopy{src.Conn.PgConn()}, l.Copy, src.Catalog, res, p, subset.Options{
		MaxRows: opts.Budget.MaxRows, MaxBytes: opts.Budget.MaxBytes,
		OnRows:  func(t catalog.Name, rows, bytes int64) { prog.Rows(t.Display(), rows, bytes) },
		MaskKey: key,
	})
	if ob := (*subset.OverBudget)(nil); errors.As(err, &ob) {
		return nil, overBudget(ob, stats, p, opts.Budget)
	}
	if err != nil {
		return nil, fmt.Errorf("copy rows: %w", err)
	}
	rows := map[string]int64{}
	estRows := map[string]int64{}
	for _, t := range p.Tables {
		estRows[t.Table] = t.EstimatedRows
	}
	for _, s := range stats {
		rep.Tables = append(rep.Tables, TableReport{Table: s.Table.Display(), Rows: s.Rows, Bytes: s.Bytes, Seconds: s.Duration.Seconds(), Queries: s.Queries,
			EstimatedRows: estRows[s.Table.Display()]})
		rep.Rows += s.Rows
		rep.Bytes += s.Bytes
		rows[s.Table.Display()] = s.Rows
		for _, m := range s.Masked {
			rep.Masked = append(rep.Masked, MaskedReport{Table: s.Table.Display(), Column: m.Column, Values: m.Values})
		}
	}
	for i := range rep.Tables {
		if rep.Bytes > 0 {
			rep.Tables[i].Share = float64(rep.Tables[i].Bytes) / float64(rep.Bytes)
		}
	}
	for _, e := range p.Edges {
		if !e.Cut {
			continue
		}
		n, err := l.CutKey(ctx, e.FK)
		if err != nil {
			return nil, err
		}
		rep.CutKeys = append(rep.CutKeys, CutReport{Key: e.Key, Rows: n})
	}

	phase("indexes and constraints")
	if err := l.Exec(ctx, ddl.PostData); err != nil {
		return nil, ownersHint(fmt.Errorf("build indexes and constraints on the target (pg_dump's post-data): %w", err), opts.KeepOwners)
	}

	phase("sequences")
	seqs, err := src.sequenceValues(ctx, res.Schemas)
	if err != nil {
		return nil, err
	}
	if err := l.SetSequences(ctx, seqs); err != nil {
		return nil, err
	}
	if err := l.RefreshMatviews(ctx, res.Schemas); err != nil {
		return nil, err
	}

	phase("commit")
	marker := load.Marker{
		CreatedAt: time.Now(), SnapshotAt: src.SnapshotAt, Source: rep.Source, ConfigHash: configHash(opts.Config),
		Version: opts.Version, Schemas: res.Schemas, Rows: rows,
	}
	if masking {
		marker.MaskKeyFingerprint, marker.Masked = key.Fingerprint(), maskedColumns(p)
		rep.MaskKeyFingerprint = marker.MaskKeyFingerprint
	}
	if err := l.WriteMarker(ctx, marker); err != nil {
		return nil, err
	}
	// A first Ctrl-C must not race the COMMIT: cancelling it half-way
	// would close the connection without knowing whether the twin was
	// committed. So the commit is not interruptible once sent.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.Commit(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	src.Close(ctx)

	phase("analyze")
	// Only the twin's tables: other schemas of the target are not pgtwin's.
	analyze := ""
	if len(loaded) > 0 {
		analyze = "\nANALYZE " + strings.Join(loaded, ", ") + ";"
	}
	if err := l.Exec(ctx, ddl.ResetSQL()+analyze); err != nil {
		if errors.Is(context.Cause(ctx), errMaxDuration) {
			err = fmt.Errorf("stopped by the duration budget of %s (%s)", opts.Budget.MaxDuration, opts.Budget.name("duration"))
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the twin is committed, but ANALYZE failed: %v; run ANALYZE on the target", err))
	}
	phase("")
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// explainLost says which connection was lost when err came with the loss
// of one (a server restart, pg_terminate_backend, a network failure): the
// driver's own words ("unexpected EOF", "conn closed", SQLSTATE 57P01) do
// not say which server went away. Either way the target transaction is
// gone or rolled back, so the target is as it was.
func explainLost(err error, src *Source, tgt *pgx.Conn, rep *Report) error {
	switch {
	case tgt != nil && tgt.IsClosed():
		return fmt.Errorf("lost the connection to the target %s, nothing was committed and the target is as it was: %w", rep.Target, err)
	case src != nil && src.Conn.IsClosed():
		return fmt.Errorf("lost the connection to the source %s, nothing was committed and the target is as it was: %w", rep.Source, err)
	}
	return err
}

// sourceCopy is the source side of the data phase. Its errors say they
// came from the source (the target's say "copy into …"): a bare "canceling
// statement due to statement timeout" does not say which server timed out.
type sourceCopy struct{ conn *pgconn.PgConn }

func (s sourceCopy) CopyTo(ctx context.Context, w io.Writer, sql string) (pgconn.CommandTag, error) {
	tag, err := s.conn.CopyTo(ctx, w, sql)
	if err != nil && ctx.Err() == nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "57014" && strings.Contains(pgErr.Message, "statement timeout") {
			return tag, fmt.Errorf("read the source: %w; lift the source's statement_timeout for pgtwin (ALTER ROLE … SET statement_timeout = 0, or options=-c statement_timeout=0 in the source URL)", err)
		}
		err = fmt.Errorf("read the source: %w", err)
	}
	return tag, err
}

// ownersHint adds the way out when --keep-owners meets a target server
// without one of the source's roles.
func ownersHint(err error, keepOwners bool) error {
	var pgErr *pgconn.PgError
	if keepOwners && errors.As(err, &pgErr) && pgErr.Code == "42704" && strings.HasPrefix(pgErr.Message, "role ") {
		return fmt.Errorf("%w: create the role on the target or leave out --keep-owners", err)
	}
	return err
}

// configHash identifies the config's content (not its formatting).
func configHash(cfg *config.Config) string {
	b, _ := json.Marshal(cfg)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// IsRefused reports whether err is a guard's refusal.
func IsRefused(err error) bool {
	var r *Refused
	var b *BudgetError
	return errors.As(err, &r) || errors.As(err, &b) && b.Before
}
