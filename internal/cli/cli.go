// Package cli is the pgtwin command line: flags, output and exit codes.
// Every command runs in-process with injected streams and environment, so
// tests drive it exactly as a user does.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the run failed (connection lost, server error, …)
	ExitUsage   = 2 // bad usage or config: nothing was done
	// ExitInterrupted: stopped by SIGINT or SIGTERM (the shell's 128+SIGINT).
	// A clone interrupted before its commit was rolled back: the target is
	// as it was.
	ExitInterrupted = 130
)

// errInterrupted is why Main cancels the run's context on the first SIGINT
// or SIGTERM.
var errInterrupted = errors.New("interrupted")

// usageError marks an error the user fixes in flags or config (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usage(err error) error { return usageError{err} }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Env is the process environment as the commands see it.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Logger         *slog.Logger
}

// Main runs pgtwin with os-level signal handling: the first SIGINT or
// SIGTERM cancels the run (which rolls back), a second exits at once.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		fmt.Fprintln(stderr, "pgtwin: interrupted, rolling back (press Ctrl-C again to exit at once)")
		cancel(errInterrupted)
		if _, ok := <-sigs; ok {
			fmt.Fprintln(stderr, "pgtwin: exiting at once")
			os.Exit(ExitInterrupted)
		}
	}()
	return Run(ctx, args, Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}

// Run runs pgtwin with args and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	root := newRoot(env)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if errors.Is(context.Cause(ctx), errInterrupted) {
		// The command's own error is only the cancellation's echo
		// ("context canceled"), unless it says more (see cloneCmd.run).
		if !errors.Is(err, errInterrupted) {
			err = errInterrupted
		}
		fmt.Fprintf(env.Stderr, "pgtwin: %v\n", err)
		return ExitInterrupted
	}
	fmt.Fprintf(env.Stderr, "pgtwin: %v\n", err)
	var u usageError
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command") {
		return ExitUsage
	}
	return ExitFailure
}

func newRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "pgtwin",
		Short: "Make a partial twin of a production PostgreSQL database",
		Long: `pgtwin copies the full schema and a small, referentially intact, point-in-time
slice of a production PostgreSQL database into a development database.

Exit codes: 0 ok, 1 the run failed, 2 bad usage or config (nothing was done),
130 interrupted (a clone is rolled back).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	root.AddCommand(newVersion(env), newInit(env), newPlan(env), newClone(env), newDemo(env), newVerify(env))
	return root
}

// Version is set at build time with -ldflags "-X …cli.Version=v1.2.3";
// otherwise the module version or VCS revision is used.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	return "devel"
}

func newVersion(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print pgtwin's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(env.Stdout, "pgtwin %s\n", version())
			return err
		},
	}
}
