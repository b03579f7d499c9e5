package cli

import (
	"context"
	"io"
	"os"

	"github.com/pgtwin/pgtwin/internal/observe"
)

// Test hooks: compiled into the test binary only, so the shipped pgtwin
// obeys no test switch.

// WithHook returns env whose clones also tell o what they do, on the
// run's own path: o may block (hold a run at a phase) or panic.
func WithHook(env Env, o observe.Observer) Env {
	env.hook = o
	return env
}

// MainWithHook is Main with a clone hook (see WithHook).
func MainWithHook(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, o observe.Observer) int {
	return mainEnv(ctx, args, Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, hook: o})
}
