package catalog_test

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/catalog"
)

// Read the catalog of a database and print its foreign keys.
func ExampleRead() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer conn.Close(ctx)
	c, err := catalog.Read(ctx, conn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, fk := range c.ForeignKeys {
		fmt.Println(fk) // e.g. public.orders(user_id) -> public.users(id)
	}
}
