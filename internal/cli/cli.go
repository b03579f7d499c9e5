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
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/observe"
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
	// Logger, when set, is the structured log (instead of the one
	// --log-level or $PGTWIN_LOG ask for).
	Logger *slog.Logger

	// flags are the root command's flags, shared by the commands.
	flags *rootFlags
	// hook is told what a clone does (tests only: see export_test.go).
	hook observe.Observer
}

// rootFlags are the flags every command has.
type rootFlags struct {
	logLevel string
}

// Main runs pgtwin with os-level signal handling: the first SIGINT or
// SIGTERM cancels the run (which rolls back), a second exits at once.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainEnv(ctx, args, Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}

func mainEnv(ctx context.Context, args []string, env Env) int {
	stderr := env.Stderr
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
	return Run(ctx, args, env)
}

// Run runs pgtwin with args and returns the exit code.
func Run(ctx context.Context, args []string, env Env) (code int) {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	defer func() {
		if v := recover(); v != nil {
			code = internalError(env, args, v)
		}
	}()
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
		fmt.Fprintf(env.Stderr, "pgtwin: %s\n", redactArgs(err.Error(), args))
		return ExitInterrupted
	}
	hint := ""
	if doc := docSection(err); doc != "" {
		hint = " (see " + DocsURL + doc + ")"
	}
	fmt.Fprintf(env.Stderr, "pgtwin: %s%s\n", redactArgs(err.Error(), args), hint)
	var u usageError
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command") {
		return ExitUsage
	}
	return ExitFailure
}

// internalError reports a panic of pgtwin's own goroutine: a bug. Go's
// default report would print the panic value as it is (an error's text may
// hold a connection string) and every goroutine's stack; this one prints
// the value with the passwords of every connection string pgtwin may have
// been given removed, and the panicking goroutine's stack with function
// names and lines only. (Go prints stack arguments as hex words — pointers,
// lengths, integers — never the strings they point to; they are dropped
// all the same.) A panic in another goroutine cannot be recovered here;
// pgtwin starts none that handle connection strings.
func internalError(env Env, args []string, v any) int {
	secrets := slices.Clone(args)
	for _, a := range args {
		if _, val, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "--") {
			secrets = append(secrets, val)
		}
	}
	for _, name := range []string{DefaultSourceEnv, DefaultTargetEnv, "PGPASSWORD"} {
		secrets = append(secrets, env.Getenv(name))
	}
	// Only arguments that can be connection strings or passwords: others
	// ("clone", "--quiet") are not secret and would mask common words.
	var dsns []string
	for _, s := range secrets {
		if strings.ContainsAny(s, "=@:/") || env.Getenv("PGPASSWORD") == s {
			dsns = append(dsns, s)
		}
	}
	msg := dbconn.Redact(fmt.Sprint(v), dsns...)
	msg = passwordRE.ReplaceAllString(msg, "${1}xxxxx")
	fmt.Fprintf(env.Stderr, "pgtwin: internal error: %s\n", msg)
	fmt.Fprint(env.Stderr, stackWithoutArgs(debug.Stack()))
	fmt.Fprintln(env.Stderr, "pgtwin: this is a bug in pgtwin; please report it (https://github.com/pgtwin/pgtwin/issues) with the lines above")
	return ExitFailure
}

// passwordRE matches what remains of a password in a text after Redact:
// one in a URL's user info or in a password= pair of a connection string
// pgtwin was not given directly.
var passwordRE = regexp.MustCompile(`((?:://[^:/@\s]*:)|(?:password\s*=\s*))('(?:\\.|[^'])*'|[^\s@]+)`)

// secretArgRE matches a command-line argument that holds a password: a
// password=… pair (a keyword/value connection string the shell split into
// words) or a URL with a password in its user info.
var secretArgRE = regexp.MustCompile(`(?i)password\s*=|://[^/@\s]*:[^/@\s]*@`)

// redactArgs removes from msg the arguments that hold passwords (cobra and
// pflag echo the arguments they reject) and anything that still reads as
// a password.
func redactArgs(msg string, args []string) string {
	var secrets []string
	for _, a := range args {
		if secretArgRE.MatchString(a) {
			secrets = append(secrets, a)
		}
	}
	msg = dbconn.Redact(msg, secrets...)
	return passwordRE.ReplaceAllString(msg, "${1}xxxxx")
}

// argsRE matches the argument list of a stack frame's call.
var argsRE = regexp.MustCompile(`(?m)^(\S.*)\([^()\n]*\)$`)

// stackWithoutArgs drops the argument words from a goroutine stack.
func stackWithoutArgs(stack []byte) string {
	return argsRE.ReplaceAllString(string(stack), "${1}(…)")
}

func newRoot(env Env) *cobra.Command {
	env.flags = &rootFlags{}
	root := &cobra.Command{
		Use:   "pgtwin",
		Short: "Make a partial twin of a production PostgreSQL database",
		Long: `pgtwin copies the full schema and a small, referentially intact, point-in-time
slice of a production PostgreSQL database into a development database.

Exit codes: 0 ok, 1 the run failed, 2 bad usage or config (nothing was done),
130 interrupted (a clone is rolled back).

--log-level (or $PGTWIN_LOG) writes a structured log on stderr: at info, each
phase and its time and each server connected to (user@host:port/db, never a
password); at debug, every query with its server and time (the statement up to
its first literal: never values).`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return env.checkLogLevel(cmd.Context()) },
	}
	root.PersistentFlags().StringVar(&env.flags.logLevel, "log-level", "", "write a structured log on stderr: debug (every query and its time), info (phases, connections), warn or error (default $PGTWIN_LOG, else none)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	root.AddCommand(newVersion(env), newInit(env), newPlan(env), newClone(env), newDump(env), newRestore(env), newInspect(env), newDemo(env), newVerify(env))
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
		Use:     "version",
		Short:   "Print pgtwin's version",
		Example: `  pgtwin version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(env.Stdout, "pgtwin %s\n", version())
			return err
		},
	}
}
