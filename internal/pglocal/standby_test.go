package pglocal_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/pglocal"
)

func TestStartStandby(t *testing.T) {
	ctx := context.Background()
	primary, err := pglocal.Start(ctx, pglocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Stop()
	exec := func(c *pglocal.Cluster, sql string) error {
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(primary, "CREATE TABLE before_backup AS SELECT generate_series(1, 100) AS n"); err != nil {
		t.Fatal(err)
	}
	standby, err := primary.StartStandby(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := standby.Dir
	if standby.Socket == primary.Socket || standby.DataDir == primary.DataDir {
		t.Fatalf("standby shares the primary's socket or data: %+v", standby)
	}
	if err := exec(primary, "CREATE TABLE after_backup AS SELECT generate_series(1, 50) AS n"); err != nil {
		t.Fatal(err)
	}
	if err := standby.WaitReplay(ctx, primary); err != nil {
		t.Fatalf("%v\n%s", err, standby.Log())
	}

	conn, err := pgx.Connect(ctx, standby.DSN("postgres"))
	if err != nil {
		t.Fatalf("connect to the standby: %v\n%s", err, standby.Log())
	}
	var recovering bool
	var before, after int
	err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery(), (SELECT count(*) FROM before_backup), (SELECT count(*) FROM after_backup)").Scan(&recovering, &before, &after)
	if err != nil {
		t.Fatal(err)
	}
	if !recovering || before != 100 || after != 50 {
		t.Errorf("standby: in recovery %v, %d rows from before the backup (want 100), %d streamed after it (want 50)", recovering, before, after)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE nope (n int)"); err == nil {
		t.Error("the standby accepted a write")
	}
	conn.Close(ctx)

	if err := standby.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, standby.DSN("postgres")); err == nil {
		t.Error("standby still accepts connections after Stop")
	}
	if err := exec(primary, "SELECT 1"); err != nil {
		t.Errorf("the primary stopped with its standby: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("standby directory %s still exists after Stop", dir)
	}
}
