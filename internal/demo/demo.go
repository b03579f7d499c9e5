// Package demo holds the sample shop database and config that `pgtwin demo`
// twins, so a new user can see pgtwin work without a database of their own.
package demo

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed shop.sql
var shopSQL string

// Config is the sample twin config (YAML).
//
//go:embed twin.yaml
var Config []byte

// CreateShop creates the shop database's schema and data in the database
// conn is connected to. scale ≥ 1 multiplies the data (scale 1 is about
// 60,000 rows).
func CreateShop(ctx context.Context, conn *pgx.Conn, scale int) error {
	if scale < 1 {
		return fmt.Errorf("scale must be 1 or more, got %d", scale)
	}
	sql := strings.ReplaceAll(shopSQL, ":scale", strconv.Itoa(scale))
	if err := conn.PgConn().Exec(ctx, sql).Close(); err != nil {
		return fmt.Errorf("create the sample shop database: %w", err)
	}
	return nil
}

// Reader is the role CreateReader makes: all pgtwin needs on a source.
const Reader = "reader"

// CreateReader creates a login role that may only read the database conn
// is connected to, as a source role for pgtwin should be.
func CreateReader(ctx context.Context, conn *pgx.Conn) error {
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return err
	}
	sql := fmt.Sprintf(`CREATE ROLE %[1]s LOGIN;
GRANT CONNECT ON DATABASE %[2]s TO %[1]s;
GRANT USAGE ON SCHEMA public TO %[1]s;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO %[1]s;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO %[1]s;`, Reader, pgx.Identifier{db}.Sanitize())
	if err := conn.PgConn().Exec(ctx, sql).Close(); err != nil {
		return fmt.Errorf("create the read-only role %s: %w", Reader, err)
	}
	return nil
}
