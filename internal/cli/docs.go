package cli

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/schema"
)

// DocsURL is where the documentation of this pgtwin lives.
const DocsURL = "https://github.com/pgtwin/pgtwin/blob/main/docs/"

// docSection returns the documentation page and section (page#anchor)
// that explains err, or "" when none does better than the message.
func docSection(err error) string {
	var (
		refused *clone.Refused
		budget  *clone.BudgetError
		tools   *schema.ToolsError
		conn    *dbconn.ConnectError
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
	case errors.As(err, &pgErr) && pgErr.Code == "42501":
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
	}
}
