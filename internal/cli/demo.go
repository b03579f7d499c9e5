package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/pgtwin/pgtwin/internal/clone"
	"github.com/pgtwin/pgtwin/internal/config"
	"github.com/pgtwin/pgtwin/internal/dbconn"
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
		Short: "Twin a sample shop database between two throwaway local servers",
		Long: `demo starts two throwaway PostgreSQL servers from the server binaries installed
on this machine, creates a sample shop database in one (users, addresses, products, a category
tree, orders, order items, payments, reviews), shows the plan pgtwin makes for
the sample config, and clones the twin into the other. Nothing outside the
throwaway servers is touched; they are removed at the end unless --keep is
given.`,
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
	cmd.Flags().BoolVar(&c.keep, "keep", false, "leave the throwaway servers running and print how to connect")
	cmd.Flags().IntVar(&c.scale, "scale", 1, "multiply the sample data (1 is about 60,000 rows)")
	return cmd
}

func (c *demoCmd) run(ctx context.Context) error {
	out := c.env.Stdout
	fmt.Fprintln(out, "Starting two throwaway PostgreSQL servers: \"production\" and \"dev\"…")
	var servers []*pglocal.Cluster
	for range 2 {
		s, err := pglocal.Start(ctx, pglocal.Options{})
		if err != nil {
			return err
		}
		servers = append(servers, s)
		if !c.keep {
			defer s.Stop()
		}
	}
	prod, dev := servers[0], servers[1]
	for _, s := range servers {
		if err := createDatabase(ctx, s, "shop"); err != nil {
			return err
		}
	}
	shop, err := pgx.Connect(ctx, prod.DSN("shop"))
	if err != nil {
		return fmt.Errorf("connect to database shop: %w", err)
	}
	err = demo.CreateShop(ctx, shop, c.scale)
	if err == nil {
		err = demo.CreateReader(ctx, shop)
	}
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
	fmt.Fprintf(out, "Created the sample shop database on \"production\", and a role %q that may only read it:\n"+
		"pgtwin needs nothing more on a source. The sample config (%s):\n\n%s\n", demo.Reader, cfgPath, demo.Config)
	fmt.Fprintf(out, "$ pgtwin plan --config %s\n\n", cfgPath)
	// pgtwin reads production as a role that may only read.
	source := prod.UserDSN(demo.Reader, "shop")
	p, err := buildPlan(ctx, c.env, cfg, source)
	if err != nil {
		return err
	}
	if err := p.WriteText(out); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n$ pgtwin clone --config %s\n\n", cfgPath)
	rep, err := clone.Run(ctx, clone.Options{
		Source: dbconn.Endpoint{Role: "source", DSN: source, From: "the demo"},
		Target: dbconn.Endpoint{Role: "target", DSN: dev.DSN("shop"), From: "the demo"},
		Config: cfg, Getenv: demoKey(c.env.Getenv), Version: version(), Observer: c.env.observer(),
	})
	if err != nil {
		return classify(err)
	}
	if err := rep.WriteText(out); err != nil {
		return err
	}
	if err := showMasking(ctx, out, prod.DSN("shop"), dev.DSN("shop")); err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintf(out, "\nBoth servers are still running. Connect with:\n  psql %q   # production\n  psql %q   # the twin\nStop them with:\n", prod.DSN("shop"), dev.DSN("shop"))
		for _, s := range servers {
			fmt.Fprintf(out, "  %s\n", s.StopCommand())
		}
	} else {
		fmt.Fprintln(out, "\nThe throwaway servers are removed now; run `pgtwin demo --keep` to look around in them.")
	}
	return nil
}

func createDatabase(ctx context.Context, s *pglocal.Cluster, name string) error {
	admin, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the throwaway server: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// demoKey gives the demo a throwaway masking key unless the environment
// has one.
func demoKey(getenv func(string) string) func(string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	key := hex.EncodeToString(b)
	return func(name string) string {
		if v := getenv(name); v != "" || name != config.DefaultMaskKeyEnv {
			return v
		}
		return key
	}
}

// showMasking prints the newest user as production holds it and as the
// twin does.
func showMasking(ctx context.Context, out io.Writer, prodDSN, twinDSN string) error {
	const q = `SELECT u.id, u.email, u.name, coalesce(a.city, '') FROM users u LEFT JOIN addresses a ON a.id = u.default_address_id `
	var id int64
	var rows [2][3]string
	for i, dsn := range []string{prodDSN, twinDSN} {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		if i == 0 {
			err = conn.QueryRow(ctx, q+"ORDER BY u.created_at DESC, u.id LIMIT 1").Scan(&id, &rows[i][0], &rows[i][1], &rows[i][2])
		} else {
			err = conn.QueryRow(ctx, q+"WHERE u.id = $1", id).Scan(&id, &rows[i][0], &rows[i][1], &rows[i][2])
		}
		conn.Close(ctx)
		if err != nil {
			return fmt.Errorf("read a user to show the masking: %w", err)
		}
	}
	fmt.Fprintf(out, "\nThe newest user (id %d), in production and in the twin:\n", id)
	tw := tabwriter.NewWriter(out, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "  \temail\tname\tcity")
	fmt.Fprintf(tw, "  production\t%s\t%s\t%s\n", rows[0][0], rows[0][1], rows[0][2])
	fmt.Fprintf(tw, "  twin\t%s\t%s\t%s\n", rows[1][0], rows[1][1], rows[1][2])
	return tw.Flush()
}
