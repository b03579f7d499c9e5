package cli_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pgtwin/pgtwin/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script")

type withServer struct{ m *testing.M }

func (w withServer) Run() int { return pgtest.Run(w.m) }

// TestMain makes this test binary double as the pgtwin command inside the
// scripts, and starts one throwaway PostgreSQL server for the package.
// testMaskKey is the masking key of the tests' runs (the demo config masks).
const testMaskKey = "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"

func TestMain(m *testing.M) {
	// Runs started by the tests inherit it; a script's pgtwin (this binary
	// run again) keeps the script's own value, even an empty one.
	if _, ok := os.LookupEnv("PGTWIN_MASK_KEY"); !ok {
		os.Setenv("PGTWIN_MASK_KEY", testMaskKey)
	}
	testscript.Main(withServer{m}, map[string]func(){
		"pgtwin": func() { os.Exit(pgtwinMain()) },
	})
}

// TestScripts runs testdata/script/*.txtar against databases made once:
// $SHOP_DSN / $SHOP_URL (the demo shop) and $FIXTURE_DSN (the catalog
// fixture, every shape of schema).
func TestScripts(t *testing.T) {
	ctx := context.Background()
	shop := pgtest.NewNamedDB(t, "pgtwin_cli_shop")
	createShop(t, pgtest.DSN(shop))
	// Vacuumed now, so that autovacuum cannot add a table's visibility map
	// (8 kB more of pg_table_size in plan's output) while the scripts run.
	pgtest.Exec(t, pgtest.Connect(t, shop), "VACUUM")
	fixtureSQL, err := os.ReadFile("../catalog/testdata/fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	fixture := pgtest.NewNamedDB(t, "pgtwin_cli_fixture", string(fixtureSQL))
	empty := pgtest.NewDB(t)

	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PGTWIN_MASK_KEY", testMaskKey)
			env.Setenv("SHOP_DSN", pgtest.DSN(shop))
			env.Setenv("SHOP_URL", pgtest.URL(shop))
			env.Setenv("FIXTURE_DSN", pgtest.DSN(fixture))
			env.Setenv("EMPTY_DSN", pgtest.DSN(empty))
			// A fresh, empty target and a database someone else owns.
			target, err := pgtest.CreateDB(ctx)
			if err != nil {
				return err
			}
			env.Defer(func() { pgtest.DropDB(target) })
			env.Setenv("TARGET_DSN", pgtest.DSN(target))
			env.Setenv("TARGET_URL", pgtest.URL(target))
			other, err := pgtest.CreateDB(ctx, "CREATE TABLE precious (id int PRIMARY KEY); INSERT INTO precious VALUES (1)")
			if err != nil {
				return err
			}
			env.Defer(func() { pgtest.DropDB(other) })
			env.Setenv("OTHER_DSN", pgtest.DSN(other))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":   exits,
			"sqlexec": sqlExec,
		},
	})
}

// exits N prog args… runs prog like exec and asserts its exit code is N.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// sqlexec DSN SQL runs SQL on a database, for script set-up.
func sqlExec(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sqlexec DSN SQL")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, args[0])
	if err != nil {
		ts.Fatalf("sqlexec: %v", err)
	}
	defer conn.Close(ctx)
	err = conn.PgConn().Exec(ctx, args[1]).Close()
	if (err != nil) != neg {
		ts.Fatalf("sqlexec: %v", err)
	}
}
