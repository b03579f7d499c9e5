package cli

import (
	"errors"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/guard"
	"github.com/pgtwin/pgtwin/internal/schema"
	"github.com/pgtwin/pgtwin/internal/source"
)

// DocsURL is where the documentation of this pgtwin lives.
const DocsURL = "https://github.com/pgtwin/pgtwin/blob/main/docs/"

// docSection returns the documentation page and section (page#anchor)
// that explains err, or "" when none does better than the message.
func docSection(err error) string {
	var (
		refused *guard.Refused
		budget  *clone.BudgetError
		tools   *schema.ToolsError
		conn    *dbconn.ConnectError
		rls     *source.RowSecurityError
		pgErr   *pgconn.PgError
	)
	switch {
	case errors.As(err, &refused) && refused.Doc != "":
		return "troubleshooting.md#" + refused.Doc
	case errors.As(err, &budget):
		return "troubleshooting.md#large-twins-and-ci-time-limits"
	case errors.As(err, &tools):
		return "troubleshooting.md#pg_dump-version-mismatch"
	case len(config.Problems(err)) > 0:
		return "troubleshooting.md#config-errors"
	case errors.As(err, &conn):
		return "troubleshooting.md#connections"
	case errors.As(err, &rls):
		return "troubleshooting.md#row-level-security"
	case isFormatError(err):
		return "twin-files.md#when-a-file-is-refused"
	case errors.As(err, &pgErr) && pgErr.Code == pgerrcode.InsufficientPrivilege:
		return "troubleshooting.md#permissions-on-managed-postgres"
	}
	return ""
}

// DocSections lists every page#anchor docSection can point at, for the
// test that keeps them pointing at real sections.
func DocSections() []string {
	return []string{
		"troubleshooting.md#the-target-was-not-made-by-pgtwin",
		"troubleshooting.md#poolers-pgbouncer-neon-pooler-rds-proxy",
		"troubleshooting.md#connections",
		"troubleshooting.md#large-twins-and-ci-time-limits",
		"troubleshooting.md#pg_dump-version-mismatch",
		"troubleshooting.md#config-errors",
		"troubleshooting.md#permissions-on-managed-postgres",
		"troubleshooting.md#row-level-security",
		"twin-files.md#when-a-file-is-refused",
	}
}

// classify marks the errors the user fixes in the config or the command
// line, and the guards' refusals, as usage errors (exit 2).
func classify(err error) error {
	if err == nil {
		return nil
	}
	if len(config.Problems(err)) > 0 || guard.IsRefused(err) || clone.IsRefused(err) || isFormatError(err) {
		return usage(err)
	}
	return err
}
