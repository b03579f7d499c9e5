package source

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/pii"
	"github.com/pgtwin/pgtwin/internal/plan"
)

// Plan checks cfg against the source (names, row-level security on the
// tables the twin reads, then every SQL fragment on the server) and builds
// the plan. Config mistakes come back as *config.Error values (see
// config.Problems); a table whose rows a policy would hide from the role
// as a *RowSecurityError.
func (s *Session) Plan(ctx context.Context, cfg *config.Config) (*plan.Resolved, *plan.Plan, error) {
	res, err := plan.Check(cfg, s.Catalog)
	if err != nil {
		return nil, nil, err
	}
	// Before the fragments are checked: with row_security off, a policy
	// would fail them, and the message would blame the config.
	if err := s.checkRowSecurity(ctx, plan.Build(s.Catalog, res, nil)); err != nil {
		return nil, nil, err
	}
	if err := plan.CheckSQL(ctx, s.Tx, res); err != nil {
		return nil, nil, err
	}
	estimates, err := plan.EstimateRoots(ctx, s.Tx, s.Catalog, res)
	if err != nil {
		return nil, nil, err
	}
	p := plan.Build(s.Catalog, res, estimates)
	p.Warnings = append(p.Warnings, s.Warnings...)
	personal, warnings, err := s.personal(ctx, res)
	if err != nil {
		return nil, nil, err
	}
	p.Warnings = append(p.Warnings, warnings...)
	p.CheckPersonal(personal, res)
	return res, p, nil
}

// personal finds the twin's columns that look personal: by their
// definition, and by a small sample of their values read in the snapshot.
// A table the sample cannot read becomes a warning of the plan.
func (s *Session) personal(ctx context.Context, res *plan.Resolved) ([]plan.PersonalColumn, []string, error) {
	included := func(n catalog.Name) bool {
		return res.Included(n) && res.Copy[n] != config.CopySchema
	}
	found := pii.FromCatalog(s.Catalog, included)
	var sampled []pii.Finding
	var warnings []string
	err := s.inSnapshot(ctx, func(tx pgx.Tx) (err error) {
		sampled, warnings, err = pii.Sample(ctx, tx, s.Catalog, included, found)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sample the source for personal data: %w", err)
	}
	var out []plan.PersonalColumn
	for _, f := range pii.Merge(s.Catalog, found, sampled) {
		out = append(out, plan.PersonalColumn{Table: f.Table.Display(), Column: f.Column, Reasons: f.Reasons, Suggest: f.Suggest})
	}
	return out, warnings, nil
}

// inSnapshot runs fn in a read-only transaction that sees the source
// snapshot, with the session's settings. With an exported snapshot, that
// is a second, short session importing it, so that the locks fn takes end
// with it instead of staying with the run's own transaction until the data
// phase.
func (s *Session) inSnapshot(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.Snapshot == "" {
		return fn(s.Tx)
	}
	conn, err := s.Endpoint.Connect(ctx)
	if err != nil {
		return fmt.Errorf("open a second source session: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin a read-only transaction on the source: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+catalog.QuoteLiteral(s.Snapshot)+"; "+sessionSettings); err != nil {
		return fmt.Errorf("import the source snapshot: %w", err)
	}
	return fn(tx)
}

// RowSecurityError says that row-level security would hide rows of tables
// the twin reads from the source role. pgtwin reads with row_security off
// (as pg_dump does), so the server would refuse those reads; a twin with
// fewer rows than asked for is never made.
type RowSecurityError struct {
	Role   string
	Tables []catalog.Name
	// Forced says a table has FORCE ROW LEVEL SECURITY: its owner is
	// filtered too.
	Forced bool
}

func (e *RowSecurityError) Error() string {
	names := make([]string, len(e.Tables))
	for i, n := range e.Tables {
		names[i] = n.Display()
	}
	return fmt.Sprintf("row-level security policies would hide rows of %s from the source role %s, and pgtwin never copies part of a table: %s",
		strings.Join(names, ", "), e.Role, e.fix())
}

func (e *RowSecurityError) fix() string {
	fix := fmt.Sprintf("let the role bypass them (ALTER ROLE %s BYPASSRLS, as a superuser)", catalog.QuoteIfNeeded(e.Role))
	if e.Forced {
		return fix + "; FORCE ROW LEVEL SECURITY applies them to the tables' owner too"
	}
	return fix + " or run pgtwin as the tables' owner"
}

// rowSecurityQuery lists the tables whose rows row-level security would
// filter for the session's role: row_security_active is what the server
// itself decides (on, not the owner unless forced, no BYPASSRLS, not a
// superuser), whatever row_security is set to.
const rowSecurityQuery = `
SELECT n.nspname, c.relname, c.relforcerowsecurity, current_user
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relrowsecurity AND c.relkind IN ('r', 'p') AND pg_catalog.row_security_active(c.oid)
ORDER BY 1, 2`

// checkRowSecurity refuses a plan that reads rows of a table that
// row-level security would filter for the session's role.
func (s *Session) checkRowSecurity(ctx context.Context, p *plan.Plan) error {
	reads := map[catalog.Name]bool{}
	for _, t := range p.Tables {
		reads[t.Name] = t.Role != plan.ReasonSchemaOnly && t.Role != plan.ReasonUnreached
	}
	rows, err := s.Tx.Query(ctx, rowSecurityQuery)
	if err != nil {
		return fmt.Errorf("read the source's row-level security: %w", err)
	}
	e := &RowSecurityError{}
	var name catalog.Name
	var forced bool
	_, err = pgx.ForEachRow(rows, []any{&name.Schema, &name.Name, &forced, &e.Role}, func() error {
		if reads[name] {
			e.Tables = append(e.Tables, name)
			e.Forced = e.Forced || forced
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the source's row-level security: %w", err)
	}
	if len(e.Tables) > 0 {
		return e
	}
	return nil
}
