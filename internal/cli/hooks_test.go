package cli_test

import (
	"context"
	"fmt"
	"os"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/observe"
)

// This environment variable steers the pgtwin processes the tests start
// (this test binary under the name pgtwin, see TestMain); the shipped
// binary does not know it. Tests that need a run held somewhere hold it
// with PostgreSQL's own locks instead (see holdUse in faults_test.go).
const (
	// panicEnv, set to 1, makes the run panic as its first phase starts,
	// with a value that holds the connection strings it was given, so
	// tests can check what a panic prints (secrets_test.go).
	panicEnv = "PGTWIN_TEST_PANIC"
)

// pgtwinMain is the pgtwin command of this test binary: cli.Main with the
// hooks its environment asks for.
func pgtwinMain() int {
	ctx := context.Background()
	return cli.MainWithHook(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, hooksFromEnv(os.Getenv, os.Args[1:]))
}

// hooksFromEnv returns the observer the test switches in getenv ask for.
func hooksFromEnv(getenv func(string) string, args []string) observe.Observer {
	return hook{panic: getenv(panicEnv) == "1", args: args, getenv: getenv}
}

type hook struct {
	observe.Nop
	panic  bool
	args   []string
	getenv func(string) string
}

func (h hook) PhaseStarted(name string) {
	if h.panic {
		panic(fmt.Errorf("PGTWIN_TEST_PANIC: args %q, $%s %q, $%s %q", h.args,
			cli.DefaultSourceEnv, h.getenv(cli.DefaultSourceEnv), cli.DefaultTargetEnv, h.getenv(cli.DefaultTargetEnv)))
	}
}
