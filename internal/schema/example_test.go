package schema_test

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/schema"
)

// A loader's use of the package: find pg_dump for the source server, dump
// under the run's snapshot, and run the sections in the target's
// transaction.
func Example() {
	ctx := context.Background()
	source := os.Getenv("SOURCE_URL") // the snapshot's transaction is open on it
	snapshot := os.Getenv("SNAPSHOT") // from pg_export_snapshot()

	tools, err := schema.FindTools(16, "", os.Getenv)
	if err != nil {
		fmt.Println(err) // a *schema.ToolsError: what to install
		return
	}
	ddl, err := schema.Dump(ctx, tools, schema.DumpOptions{
		ConnString: source,
		Snapshot:   snapshot,
		Schemas:    []string{"public", "Sales Dept"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	target, err := pgx.Connect(ctx, os.Getenv("TARGET_URL"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer target.Close(ctx)
	tx, err := target.Begin(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tx.Rollback(ctx)
	script := ""
	for _, s := range []string{"public", "Sales Dept"} {
		script += "DROP SCHEMA IF EXISTS " + pgx.Identifier{s}.Sanitize() + " CASCADE;\n" + ddl.CreateSchemaSQL(s)
	}
	for _, sql := range []string{script, ddl.PreData /* COPY the rows here */, ddl.PostData} {
		if err := target.PgConn().Exec(ctx, sql).Close(); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := tx.Commit(ctx); err != nil {
		fmt.Println(err)
		return
	}
	// The dump's SETs (search_path = '' among them) outlive the commit.
	if err := target.PgConn().Exec(ctx, ddl.ResetSQL()).Close(); err != nil {
		fmt.Println(err)
	}
}
