// Package clone runs a whole twin as a list of phases over one run state:
// the source snapshot and the plan, pg_dump's DDL, the target's checks, and
// the target's one transaction (pre-data, rows, post-data, sequences,
// commit), then ANALYZE. One loop times each phase, tells the observer,
// enforces the duration budget and explains a lost connection. Dump and
// Restore are phase lists over the same loop: a dump writes the twin to a
// twin file where a clone writes the target, and a restore loads such a
// file into the target with a clone's guards and transaction.
package clone

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/guard"
	"github.com/pgtwin/pgtwin/internal/load"
	"github.com/pgtwin/pgtwin/internal/mask"
	"github.com/pgtwin/pgtwin/internal/observe"
	"github.com/pgtwin/pgtwin/internal/plan"
	"github.com/pgtwin/pgtwin/internal/report"
	"github.com/pgtwin/pgtwin/internal/schema"
	"github.com/pgtwin/pgtwin/internal/source"
	"github.com/pgtwin/pgtwin/internal/subset"
	"github.com/pgtwin/pgtwin/internal/twinfile"
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
	// WaitForLock makes a run wait for another run on the same target to
	// end instead of failing (--wait); the observer is told it waits.
	WaitForLock bool
	// Observer, when set, is told each phase, the plan's estimates, the
	// rows as they stream, waits and warnings.
	Observer observe.Observer
	// Budget limits the twin's size and the run's duration.
	Budget Budget
	// Access forces the access path of every lookup (tests); the zero
	// value chooses per lookup from the source's statistics.
	Access subset.Access
	// TextOnly keeps whole tables on the COPY text path instead of passing
	// their binary COPY through (tests compare the two).
	TextOnly bool
	// BatchSize is the most keys a probe asks for (0: subset's default).
	BatchSize int
	// Jobs is the number of source sessions reading rows (--jobs); they
	// share the run's snapshot. 0 means DefaultJobs.
	Jobs int
}

// DefaultJobs is the number of source sessions that read rows when
// Options.Jobs is 0.
const DefaultJobs = 1

// phase is one step of a run.
type phase struct {
	name string
	run  func(*run, context.Context) error
}

// phases are a clone's steps, in order. Their names are the report's
// (README: "phases come in run order").
var phases = []phase{
	{"plan", (*run).makePlan},
	{"schema dump", (*run).dumpSchema},
	{"target checks", (*run).checkTarget},
	{"pre-data", (*run).preData},
	{"data", (*run).copyRows},
	{"indexes and constraints", (*run).postData},
	{"sequences", (*run).sequences},
	{"commit", (*run).commit},
	{"analyze", (*run).analyze},
}

// run is the state the phases share.
type run struct {
	opts Options
	obs  observe.Observer
	rep  *report.Report

	src  *source.Session
	tgt  *pgx.Conn
	res  *plan.Resolved
	plan *plan.Plan
	ddl  *schema.DDL
	// load is where the twin goes: the target's transaction, or a file
	// (file is set); begin opens it.
	load  destination
	begin func(context.Context) (destination, error)
	file  *fileDest
	stats []subset.TableStats
	// maskKey is the masking key when the plan masks (masking is set).
	maskKey mask.Key
	masking bool
	// loaded are the tables of the twin, for ANALYZE.
	loaded []string
	restoreState
}

// Run makes the twin. On any error before the commit the target is left
// exactly as it was.
func Run(ctx context.Context, opts Options) (*report.Report, error) {
	r := newRun(opts)
	r.begin = r.beginLoad
	start := time.Now()
	rep, err := r.do(ctx, phases)
	r.obs.Done(time.Since(start), err)
	return rep, err
}

func newRun(opts Options) *run {
	r := &run{opts: opts, obs: opts.Observer, rep: report.New()}
	if r.obs == nil {
		r.obs = observe.Nop{}
	}
	return r
}

// destination is where a run puts the twin: the target's load transaction
// (*load.Loader) or a twin file (*fileDest). Nothing is visible until
// Commit.
type destination interface {
	Exec(ctx context.Context, sql string) error
	ReplaceSchemas(ctx context.Context, schemas []string, create string) error
	Freeze(tables []catalog.Name)
	Copy(ctx context.Context, table catalog.Name, columns []string, r io.Reader) error
	CopyBinary(ctx context.Context, table catalog.Name, columns []string, r io.Reader) error
	CutKey(ctx context.Context, fk *catalog.ForeignKey) (int64, error)
	SetSequences(ctx context.Context, seqs []load.SequenceValue) error
	RefreshMatviews(ctx context.Context, schemas []string) error
	WriteMarker(ctx context.Context, m load.Marker) error
	Commit(ctx context.Context) error
	Rollback(ctx context.Context)
}

func (r *run) do(ctx context.Context, phases []phase) (*report.Report, error) {
	start := time.Now()
	if d := r.opts.Budget.MaxDuration; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, errMaxDuration)
		defer cancel()
	}
	defer r.close(ctx)
	for _, p := range phases {
		r.obs.PhaseStarted(p.name)
		if r.file != nil && slices.Contains(twinfile.Sections, p.name) {
			if err := r.file.w.Section(p.name); err != nil {
				return nil, err
			}
		}
		began := time.Now()
		err := p.run(r, ctx)
		took := time.Since(began)
		if err != nil {
			err = r.explain(ctx, p.name, err)
		}
		r.obs.PhaseEnded(p.name, took, err)
		if err != nil {
			return nil, err
		}
		r.rep.Phases = append(r.rep.Phases, report.Phase{Name: p.name, Seconds: took.Seconds()})
	}
	r.rep.Seconds = time.Since(start).Seconds()
	return r.rep, nil
}

// close ends the target transaction (if not committed) and both sessions.
func (r *run) close(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if r.load != nil {
		r.load.Rollback(ctx)
	}
	if r.tgt != nil {
		r.tgt.Close(ctx)
	}
	if r.src != nil {
		r.src.Close(ctx)
	}
}

// explain turns the error of the phase named phase into what the user
// needs to hear: a run stopped by its duration budget says so (with what
// it had copied); one that lost a connection says which (the driver's own
// words — "unexpected EOF", "conn closed", SQLSTATE 57P01 — do not say
// which server went away). Either way the target transaction is gone or
// rolled back, so the target is as it was.
func (r *run) explain(ctx context.Context, phase string, err error) error {
	if errors.Is(context.Cause(ctx), errMaxDuration) {
		return outOfTime(r.opts.Budget, phase, r.stats, r.plan)
	}
	if ctx.Err() != nil || IsBudget(err) {
		return err
	}
	switch {
	case r.tgt != nil && r.tgt.IsClosed():
		return fmt.Errorf("lost the connection to the target %s, nothing was committed and the target is as it was: %w", r.rep.Target, err)
	case r.src != nil && r.src.Conn.IsClosed():
		return fmt.Errorf("lost the connection to the source %s, nothing was committed and the target is as it was: %w", r.rep.Source, err)
	}
	return err
}

// warn adds a warning to the report and tells the observer.
func (r *run) warn(msg string) {
	r.rep.Warnings = append(r.rep.Warnings, msg)
	r.obs.Warning(msg)
}

// ownersHint adds the way out when --keep-owners meets a target server
// without one of the source's roles.
func ownersHint(err error, keepOwners bool) error {
	if keepOwners && missingRole(err) {
		return fmt.Errorf("%w: create the role on the target or leave out --keep-owners", err)
	}
	return err
}

// missingRole reports whether err is the server's "role … does not exist".
func missingRole(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UndefinedObject && strings.HasPrefix(pgErr.Message, "role ")
}

// beginLoad opens the target's load transaction (a clone's and a
// restore's destination).
func (r *run) beginLoad(ctx context.Context) (destination, error) {
	l, err := load.Begin(ctx, r.tgt)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return l, nil
}

// configHash identifies the config's content (not its formatting).
func configHash(cfg *config.Config) string {
	b, _ := json.Marshal(cfg)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// IsRefused reports whether err is a refusal: a guard's, or a budget the
// plan's estimate is over. Nothing was done.
func IsRefused(err error) bool {
	var b *BudgetError
	return guard.IsRefused(err) || errors.As(err, &b) && b.Before
}
