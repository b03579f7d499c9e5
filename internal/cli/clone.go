package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/observe"
	"github.com/pgtwin/pgtwin/internal/progress"
	"github.com/pgtwin/pgtwin/internal/report"
)

type cloneCmd struct {
	env              Env
	configPath       string
	source, target   string
	pgBin            string
	keepOwners       bool
	overwriteNonTwin bool
	json, quiet      bool
	wait             bool
	progress         string
	progressInterval time.Duration
	maxRows          int64
	maxBytes         string
	maxDuration      time.Duration
	jobs             int
}

func newClone(env Env) *cobra.Command {
	c := &cloneCmd{env: env}
	cmd := &cobra.Command{
		Use:   "clone",
		Short: "Make or refresh the twin: schema plus a referentially intact slice of the rows",
		Long: `clone reads the source in one read-only snapshot and replaces the included
schemas of the target in one transaction: pg_dump's schema, the rows the config
selects (with every row they reference), indexes and constraints built after
the data, sequences set to the source's values, and a marker in pgtwin.runs.
If anything fails, the target is left exactly as it was.

The target must be empty, or a twin pgtwin made before; pgtwin refuses to
write into the source or into a database that holds someone else's tables
(see --overwrite-non-twin).`,
		Example: `  export PROD_DATABASE_URL='postgres://readonly@prod.example.com/shop?sslmode=require'
  export DEV_DATABASE_URL='postgres://app@dev.example.com/shop'
  pgtwin clone --config twin.yaml

  # machine-readable report
  pgtwin clone --config twin.yaml --json > report.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.run(cmd.Context()) },
	}
	f := cmd.Flags()
	c.sourceFlags(f)
	f.StringVar(&c.target, "target", "", "target database URL or keyword/value string (default $"+DefaultTargetEnv+")")
	c.targetFlags(f)
	c.outputFlags(f)
	c.budgetFlags(f)
	f.IntVar(&c.jobs, "jobs", clone.DefaultJobs, "source sessions reading rows, sharing one snapshot: more read the next whole table while the target loads the current one")
	return cmd
}

// sourceFlags are the flags of the commands that read the source.
func (c *cloneCmd) sourceFlags(f *pflag.FlagSet) {
	f.StringVarP(&c.configPath, "config", "c", "", "config file (YAML, version 1)")
	f.StringVar(&c.source, "source", "", "source database URL or keyword/value string (default $"+DefaultSourceEnv+")")
	f.StringVar(&c.pgBin, "pg-bin", "", "directory holding pg_dump and pg_restore (default: $PGTWIN_PG_BIN, PATH, pg_config, /usr/lib/postgresql/*/bin)")
	f.BoolVar(&c.keepOwners, "keep-owners", false, "keep owners and grants in the schema (the target needs the same roles)")
}

// targetFlags are the flags of the commands that write a target.
func (c *cloneCmd) targetFlags(f *pflag.FlagSet) {
	f.BoolVar(&c.overwriteNonTwin, "overwrite-non-twin", false, "replace the included schemas of a target that holds tables pgtwin did not make")
	f.BoolVar(&c.wait, "wait", false, "when another pgtwin run is loading the target, wait for it to end instead of failing")
}

// outputFlags say how a run reports.
func (c *cloneCmd) outputFlags(f *pflag.FlagSet) {
	f.BoolVar(&c.json, "json", false, "print the report as JSON")
	f.BoolVarP(&c.quiet, "quiet", "q", false, "print nothing but errors (and no progress)")
	f.StringVar(&c.progress, "progress", "auto", "progress on stderr: auto (tty on a terminal, plain otherwise; none with --json), tty (live bars), plain (timestamped lines), none")
	f.DurationVar(&c.progressInterval, "progress-interval", 10*time.Second, "how often plain progress writes a line between phase changes")
}

// budgetFlags limit a run.
func (c *cloneCmd) budgetFlags(f *pflag.FlagSet) {
	f.Int64Var(&c.maxRows, "max-rows", 0, "refuse, or stop and roll back, a twin of more rows than this (config: budgets.max_rows)")
	f.StringVar(&c.maxBytes, "max-bytes", "", "refuse, or stop and roll back, a twin of more data than this, e.g. 500MB (config: budgets.max_bytes)")
	f.DurationVar(&c.maxDuration, "max-duration", 0, "stop and roll back a run that takes longer than this, e.g. 20m (config: budgets.max_duration)")
}

func (c *cloneCmd) run(ctx context.Context) error {
	cfg, err := loadConfig(c.configPath)
	if err != nil {
		return err
	}
	if c.jobs < 1 {
		return usage(fmt.Errorf("--jobs must be 1 or more, got %d", c.jobs))
	}
	opts := clone.Options{
		Jobs:   c.jobs,
		Config: cfg, PgBin: c.pgBin, KeepOwners: c.keepOwners,
		OverwriteNonTwin: c.overwriteNonTwin, WaitForLock: c.wait, Getenv: c.env.Getenv, Version: version(),
	}
	if opts.Source, err = c.env.endpoint(cfg, "source", c.source); err != nil {
		return err
	}
	if opts.Target, err = c.env.endpoint(cfg, "target", c.target); err != nil {
		return err
	}
	if opts.Budget, err = c.budget(cfg); err != nil {
		return err
	}
	prog, err := c.reporter()
	if err != nil {
		return err
	}
	opts.Observer = observe.Join(prog, waitNotice{out: c.env.Stderr}, c.env.observer())
	rep, err := clone.Run(ctx, opts)
	prog.Close()
	if err != nil {
		return runError(ctx, err, "the run was rolled back, the target is as it was")
	}
	return c.print(c.env.Stdout, rep)
}

// runError is the error of a run that failed; interrupted, it says what
// the interruption left (guarantee).
func runError(ctx context.Context, err error, guarantee string) error {
	if errors.Is(context.Cause(ctx), errInterrupted) {
		// The run's error is the cancellation's echo; the guarantee is what
		// the user needs to hear.
		return fmt.Errorf("%w: %s", errInterrupted, guarantee)
	}
	return classify(err)
}

// print writes the report as --json and --quiet ask.
func (c *cloneCmd) print(w io.Writer, rep *report.Report) error {
	switch {
	case c.json:
		return rep.WriteJSON(w)
	case c.quiet:
		return nil
	}
	return rep.WriteText(w)
}

// waitNotice says that a run waits for another run's lock, even with
// --quiet or --json: a run that sits still must say why.
type waitNotice struct {
	observe.Nop
	out io.Writer
}

func (w waitNotice) Waiting(what string) { fmt.Fprintf(w.out, "pgtwin: waiting for %s…\n", what) }

// reporter returns the progress reporter --progress, --quiet and --json
// ask for.
func (c *cloneCmd) reporter() (progress.Reporter, error) {
	mode, err := progress.ParseMode(c.progress)
	if err != nil {
		return nil, usage(err)
	}
	if c.progressInterval <= 0 {
		return nil, usagef("--progress-interval must be more than 0, got %s", c.progressInterval)
	}
	switch {
	case c.quiet:
		mode = progress.None
	case c.json && mode == progress.Auto:
		// Machine-readable runs (the GitHub Action collects stderr for its
		// error annotation) stay quiet unless asked.
		mode = progress.None
	}
	return progress.New(mode, progress.Options{Out: c.env.Stderr, Interval: c.progressInterval}), nil
}

// budget merges the budget flags over the config's budgets.
func (c *cloneCmd) budget(cfg *config.Config) (clone.Budget, error) {
	b := clone.Budget{Names: map[string]string{}}
	cb := cfg.Budgets
	from := func(key string) string {
		if cfg.File == "" {
			return "budgets." + key
		}
		return fmt.Sprintf("budgets.%s in %s", key, cfg.File)
	}
	if cb.MaxRows != nil {
		b.MaxRows, b.Names["rows"] = *cb.MaxRows, from("max_rows")
	}
	if cb.MaxBytes != "" {
		n, err := config.ParseBytes(cb.MaxBytes)
		if err != nil {
			return b, usage(err)
		}
		b.MaxBytes, b.Names["bytes"] = n, from("max_bytes")
	}
	if cb.MaxDuration != "" {
		d, err := config.ParseDuration(cb.MaxDuration)
		if err != nil {
			return b, usage(err)
		}
		b.MaxDuration, b.Names["duration"] = d, from("max_duration")
	}
	if c.maxRows != 0 {
		if c.maxRows < 0 {
			return b, usagef("--max-rows must be 1 or more, got %d", c.maxRows)
		}
		b.MaxRows, b.Names["rows"] = c.maxRows, "--max-rows"
	}
	if c.maxBytes != "" {
		n, err := config.ParseBytes(c.maxBytes)
		if err != nil {
			return b, usagef("--max-bytes: %v", err)
		}
		b.MaxBytes, b.Names["bytes"] = n, "--max-bytes"
	}
	if c.maxDuration != 0 {
		if c.maxDuration < 0 {
			return b, usagef("--max-duration must be more than 0, got %s", c.maxDuration)
		}
		b.MaxDuration, b.Names["duration"] = c.maxDuration, "--max-duration"
	}
	return b, nil
}
