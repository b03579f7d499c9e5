package cli

import (
	"context"
	"log/slog"
	"strings"

	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/observe"
)

// Default environment variables for the two databases, as in the CI
// workflows pgtwin replaces.
const (
	DefaultSourceEnv = "PROD_DATABASE_URL"
	DefaultTargetEnv = "DEV_DATABASE_URL"
)

// endpoint resolves the connection of role ("source" or "target") from the
// flag value, the config's url_env for it, or the default environment
// variable, checks that it parses, and traces it when a log is asked for.
func (e Env) endpoint(cfg *config.Config, role, flagValue string) (dbconn.Endpoint, error) {
	name, urlEnv := DefaultSourceEnv, cfg.Source.URLEnv
	if role == "target" {
		name, urlEnv = DefaultTargetEnv, cfg.Target.URLEnv
	}
	if urlEnv != "" {
		name = urlEnv
	}
	ep, err := dbconn.Resolve(role, role, flagValue, name, e.Getenv)
	if err != nil {
		return ep, usage(err)
	}
	if _, err := ep.Config(); err != nil {
		return ep, usage(err)
	}
	if l := e.logger(); l != nil {
		ep.Tracer = observe.Tracer(observe.Log(l))
	}
	return ep, nil
}

// logLevels are the values of --log-level and $PGTWIN_LOG.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// logLevel reads the level of the structured log: --log-level, else
// $PGTWIN_LOG; "" (the default) is no log.
func (e Env) logLevel() (string, error) {
	level := ""
	if e.flags != nil {
		level = e.flags.logLevel
	}
	from := "--log-level"
	if level == "" {
		level, from = strings.ToLower(e.Getenv("PGTWIN_LOG")), "$PGTWIN_LOG"
	}
	if _, ok := logLevels[level]; !ok && level != "" {
		return "", usagef("%s must be debug, info, warn or error, got %q", from, level)
	}
	return level, nil
}

// logger is the structured log on stderr that --log-level or $PGTWIN_LOG
// ask for (or Env.Logger); nil when none is.
func (e Env) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	level, err := e.logLevel()
	if err != nil || level == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: logLevels[level]}))
}

// observer is what a clone tells besides its progress: the structured log,
// and the observer a test gave Env.
func (e Env) observer() observe.Observer {
	var log observe.Observer
	if l := e.logger(); l != nil {
		log = observe.Log(l)
	}
	return observe.Join(log, e.hook)
}

// checkLogLevel rejects a bad --log-level or $PGTWIN_LOG before a command
// runs.
func (e Env) checkLogLevel(context.Context) error {
	_, err := e.logLevel()
	return err
}
