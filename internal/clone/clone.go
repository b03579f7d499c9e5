package clone

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/load"
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
}

// Refused is returned when a guard stops the run before anything is
// written; the user must change the command or the config.
type Refused struct{ Reason string }

func (r *Refused) Error() string { return r.Reason }

// Report is what a run did.
type Report struct {
	Version    int           `json:"report_version"`
	Source     string        `json:"source"`
	Target     string        `json:"target"`
	SnapshotAt time.Time     `json:"snapshot_at"`
	Tables     []TableReport `json:"tables"`
	CutKeys    []CutReport   `json:"cut_keys,omitempty"`
	Phases     []Phase       `json:"phases"`
	Rows       int64         `json:"rows"`
	Bytes      int64         `json:"bytes"`
	Seconds    float64       `json:"seconds"`
	Warnings   []string      `json:"warnings"`
}

// TableReport is one table's share of the twin.
type TableReport struct {
	Table   string  `json:"table"`
	Rows    int64   `json:"rows"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Queries int     `json:"queries"`
}

// CutReport counts the rows whose key was set to NULL.
type CutReport struct {
	Key  string `json:"key"`
	Rows int64  `json:"rows"`
}

// Phase is a named step and how long it took.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Run makes the twin. On any error before the commit the target is left
// exactly as it was.
func Run(ctx context.Context, opts Options) (*Report, error) {
	start := time.Now()
	rep := &Report{Version: 1, Tables: []TableReport{}, Warnings: []string{}}
	phaseStart := start
	phaseName := ""
	phase := func(name string) {
		now := time.Now()
		if phaseName != "" {
			rep.Phases = append(rep.Phases, Phase{Name: phaseName, Seconds: now.Sub(phaseStart).Seconds()})
		}
		phaseName, phaseStart = name, now
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
	rep.Warnings = append(rep.Warnings, p.Warnings...)

	phase("schema dump")
	major := src.Catalog.ServerVersion / 10000
	tools, err := schema.FindTools(major, opts.PgBin, opts.Getenv)
	if err != nil {
		return nil, err
	}
	dumpOpts := schema.DumpOptions{ConnString: opts.Source.DSN, Snapshot: src.Snapshot, KeepOwners: opts.KeepOwners}
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
	tgt, err := opts.Target.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer tgt.Close(context.WithoutCancel(ctx))
	tgtCfg, _ := opts.Target.Config()
	rep.Target = dbconn.Describe(&tgtCfg.Config)
	if err := guard(ctx, src, tgt, rep.Target, res.Schemas, opts.OverwriteNonTwin); err != nil {
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
		return nil, fmt.Errorf("run pg_dump's pre-data DDL on the target: %w", err)
	}

	phase("data")
	stats, err := subset.Run(ctx, src.Conn.PgConn(), l.Copy, src.Catalog, res, p, subset.Options{})
	if err != nil {
		return nil, fmt.Errorf("copy rows: %w", err)
	}
	rows := map[string]int64{}
	for _, s := range stats {
		rep.Tables = append(rep.Tables, TableReport{Table: s.Table.Plain(), Rows: s.Rows, Bytes: s.Bytes, Seconds: s.Duration.Seconds(), Queries: s.Queries})
		rep.Rows += s.Rows
		rep.Bytes += s.Bytes
		rows[s.Table.Plain()] = s.Rows
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
		return nil, fmt.Errorf("build indexes and constraints on the target (pg_dump's post-data): %w", err)
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
	if err := l.WriteMarker(ctx, load.Marker{
		CreatedAt: time.Now(), SnapshotAt: src.SnapshotAt, Source: rep.Source, ConfigHash: configHash(opts.Config),
		Version: opts.Version, Schemas: res.Schemas, Rows: rows,
	}); err != nil {
		return nil, err
	}
	if err := l.Commit(ctx); err != nil {
		return nil, err
	}
	src.Close(ctx)

	phase("analyze")
	if err := l.Exec(ctx, ddl.ResetSQL()+"\nANALYZE;"); err != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the twin is committed, but ANALYZE failed: %v", err))
	}
	phase("")
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
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
	return errors.As(err, &r)
}
