package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/demo"
	"github.com/pgtwin/pgtwin/internal/pglocal"
)

type demoCmd struct {
	env   Env
	keep  bool
	scale int
}

func newDemo(env Env) *cobra.Command {
	c := &demoCmd{env: env}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run pgtwin on a sample shop database in a throwaway local server",
		Long: `demo starts a throwaway PostgreSQL server from the server binaries installed
on this machine, creates a sample shop database in it (users, addresses,
products, a category tree, orders, order items, payments, reviews), and shows
the plan pgtwin makes for the sample config. Nothing outside the throwaway
server is touched; it is removed at the end unless --keep is given.`,
		Example: `  pgtwin demo
  pgtwin demo --keep     # leave the server running and print how to connect`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.scale < 1 {
				return usagef("--scale must be 1 or more, got %d", c.scale)
			}
			return c.run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&c.keep, "keep", false, "leave the throwaway server running and print how to connect")
	cmd.Flags().IntVar(&c.scale, "scale", 1, "multiply the sample data (1 is about 60,000 rows)")
	return cmd
}

func (c *demoCmd) run(ctx context.Context) error {
	out := c.env.Stdout
	fmt.Fprintln(out, "Starting a throwaway PostgreSQL server for the sample \"production\" database…")
	prod, err := pglocal.Start(ctx, pglocal.Options{})
	if err != nil {
		return err
	}
	if !c.keep {
		defer prod.Stop()
	}
	admin, err := pgx.Connect(ctx, prod.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the throwaway server: %w", err)
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE shop")
	admin.Close(ctx)
	if err != nil {
		return fmt.Errorf("create database shop: %w", err)
	}
	shop, err := pgx.Connect(ctx, prod.DSN("shop"))
	if err != nil {
		return fmt.Errorf("connect to database shop: %w", err)
	}
	err = demo.CreateShop(ctx, shop, c.scale)
	shop.Close(ctx)
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(prod.Dir, "twin.yaml")
	if err := os.WriteFile(cfgPath, demo.Config, 0o644); err != nil {
		return fmt.Errorf("write the sample config: %w", err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Created database \"shop\". The sample config (%s):\n\n%s\n", cfgPath, demo.Config)
	p, err := buildPlan(ctx, c.env, cfg, prod.DSN("shop"))
	if err != nil {
		return err
	}
	if err := p.WriteText(out); err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintf(out, "\nThe server is still running. Connect with:\n  psql %q\nStop it with:\n  pg_ctl -D %s stop && rm -rf %s\n", prod.DSN("shop"), prod.DataDir, prod.Dir)
	}
	return nil
}
