package cli_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/demo"
)

// createShop fills the database dsn names with the demo shop (scale 1).
func createShop(t testing.TB, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := demo.CreateShop(ctx, conn, 1); err != nil {
		t.Fatal(err)
	}
}

// shopConfig writes the demo's config to a file of the test's and returns
// its path.
func shopConfig(t *testing.T) string { return writeFile(t, "twin.yaml", string(demo.Config)) }
