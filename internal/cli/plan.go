package cli

import (
	"context"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/plan"
	"github.com/pgtwin/pgtwin/internal/source"
)

type planCmd struct {
	env        Env
	configPath string
	source     string
	json, dot  bool
}

func newPlan(env Env) *cobra.Command {
	c := &planCmd{env: env}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what a twin would contain, without copying anything",
		Long: `plan connects to the source (read-only), reads its catalog and the config, and
prints the roots, every table with its estimated rows and why it is included,
every foreign key with the directions it is followed in, the FK cycles, and
warnings. Nothing is written anywhere.`,
		Example: `  # what would twin.yaml copy from production?
  PROD_DATABASE_URL=postgres://readonly@prod.example.com/shop pgtwin plan --config twin.yaml

  # a picture of the graph
  pgtwin plan --config twin.yaml --dot | dot -Tsvg > twin.svg`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			return c.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&c.configPath, "config", "c", "", "config file (YAML, version 1); without one, the plan shows the graph with no roots")
	f.StringVar(&c.source, "source", "", "source database URL or keyword/value string (default $"+DefaultSourceEnv+", then libpq's PG* variables)")
	f.BoolVar(&c.json, "json", false, "print the plan as JSON")
	f.BoolVar(&c.dot, "dot", false, "print the FK graph as Graphviz DOT, coloured by role")
	return cmd
}

func (c *planCmd) validate() error {
	if c.json && c.dot {
		return usagef("--json and --dot cannot be used together")
	}
	return nil
}

func (c *planCmd) run(ctx context.Context) error {
	cfg, err := loadConfig(c.configPath)
	if err != nil {
		return err
	}
	p, err := buildPlan(ctx, c.env, cfg, c.source)
	if err != nil {
		return err
	}
	switch {
	case c.json:
		return p.WriteJSON(c.env.Stdout)
	case c.dot:
		return p.WriteDOT(c.env.Stdout)
	}
	return p.WriteText(c.env.Stdout)
}

// loadConfig reads the config file, or returns an empty version-1 config
// when path is empty.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return &config.Config{Version: 1}, nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, usage(err)
	}
	return cfg, nil
}

// buildPlan connects to the source read-only, reads the catalog, checks the
// config against it (names and SQL fragments) and builds the plan.
func buildPlan(ctx context.Context, env Env, cfg *config.Config, sourceFlag string) (*plan.Plan, error) {
	ep, err := env.endpoint(cfg, "source", sourceFlag)
	if err != nil {
		return nil, err
	}
	src, err := source.Open(ctx, ep, false)
	if err != nil {
		return nil, err
	}
	defer src.Close(ctx)
	_, p, err := src.Plan(ctx, cfg)
	return p, classify(err)
}

// keywordValueRE matches a keyword=value word of a libpq connection string.
var keywordValueRE = regexp.MustCompile(`^[a-z_]+=`)

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if keywordValueRE.MatchString(args[0]) {
			return usagef("%s takes no arguments, got %q: a keyword/value connection string is one argument, so quote the connection string (--source 'host=… dbname=…')",
				cmd.CommandPath(), args[0])
		}
		return usagef("%s takes no arguments, got %q (see pgtwin %s --help)", cmd.CommandPath(), args[0], cmd.Name())
	}
	return nil
}
