package pglocal_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/pglocal"
)

func TestStartQueryStop(t *testing.T) {
	ctx := context.Background()
	c, err := pglocal.Start(ctx, pglocal.Options{TCP: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := c.Dir
	for _, dsn := range []string{c.DSN("postgres"), c.URL("postgres", "postgres")} {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("connect %s: %v\n%s", dsn, err, c.Log())
		}
		var fsync string
		if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
			t.Fatal(err)
		}
		if fsync != "off" {
			t.Errorf("fsync = %q, want off", fsync)
		}
		conn.Close(ctx)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, c.DSN("postgres")); err == nil {
		t.Error("server still accepts connections after Stop")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("cluster directory %s still exists after Stop", dir)
	}
}

func TestParseMajor(t *testing.T) {
	for in, want := range map[string]int{
		"pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)": 15,
		"postgres (PostgreSQL) 17beta1":                       17,
		"pg_dump (PostgreSQL) 9.6.24":                         9,
	} {
		got, err := pglocal.ParseMajor(in)
		if err != nil || got != want {
			t.Errorf("ParseMajor(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := pglocal.ParseMajor("garbage"); err == nil {
		t.Error("ParseMajor(garbage) succeeded")
	}
}
