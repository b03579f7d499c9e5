package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	ossignal "os/signal"
	"syscall"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/observe"
)

// These environment variables steer the pgtwin processes the tests start
// (this test binary under the name pgtwin, see TestMain); the shipped
// binary knows none of them.
const (
	// holdEnv names a phase ("data", "commit", …) at whose start the run
	// stops, says "pgtwin: holding at <phase>" on stderr, and waits until
	// it is cancelled (SIGINT, SIGTERM) or a line arrives on stdin. Tests
	// use it to kill or break things at a known point of a run.
	holdEnv = "PGTWIN_TEST_HOLD_PHASE"
	// panicEnv, set to 1, makes the run panic as its first phase starts,
	// with a value that holds the connection strings it was given, so
	// tests can check what a panic prints (secrets_test.go).
	panicEnv = "PGTWIN_TEST_PANIC"
)

// pgtwinMain is the pgtwin command of this test binary: cli.Main with the
// hooks its environment asks for.
func pgtwinMain() int {
	ctx := context.Background()
	return cli.MainWithHook(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, hooksFromEnv(os.Getenv, os.Args[1:], os.Stdin, os.Stderr))
}

// hooksFromEnv returns the observer the test switches in getenv ask for.
// A held run also goes on when the process gets SIGINT or SIGTERM (which
// cancel the run: cli.Main listens too), so that tests can interrupt it.
func hooksFromEnv(getenv func(string) string, args []string, stdin io.Reader, stderr io.Writer) observe.Observer {
	h := hook{hold: getenv(holdEnv), panic: getenv(panicEnv) == "1", args: args, getenv: getenv, stdin: stdin, stderr: stderr}
	if h.hold != "" {
		h.stop = make(chan os.Signal, 1)
		ossignal.Notify(h.stop, os.Interrupt, syscall.SIGTERM)
	}
	return h
}

type hook struct {
	observe.Nop
	hold   string
	panic  bool
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stderr io.Writer
	stop   chan os.Signal
}

func (h hook) PhaseStarted(name string) {
	if h.panic {
		panic(fmt.Errorf("PGTWIN_TEST_PANIC: args %q, $%s %q, $%s %q", h.args,
			cli.DefaultSourceEnv, h.getenv(cli.DefaultSourceEnv), cli.DefaultTargetEnv, h.getenv(cli.DefaultTargetEnv)))
	}
	if name != h.hold || h.hold == "" {
		return
	}
	fmt.Fprintf(h.stderr, "pgtwin: holding at %s\n", name)
	line := make(chan struct{})
	if h.stdin != nil {
		go func() {
			if _, err := bufio.NewReader(h.stdin).ReadString('\n'); err == nil {
				close(line)
			}
		}()
	}
	select {
	case <-line:
	case <-h.stop:
	}
}
