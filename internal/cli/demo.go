package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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
	"github.com/pgtwin/pgtwin/internal/human"
	"github.com/pgtwin/pgtwin/internal/pglocal"
	"github.com/pgtwin/pgtwin/internal/twinfile"
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
the sample config, and clones the twin into the other; then it dumps the same
twin to a twin file and restores the file into a second database. Nothing outside the
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
	getenv := demoKey(c.env.Getenv) // one key for the twin and its file
	rep, err := clone.Run(ctx, clone.Options{
		Source: dbconn.Endpoint{Role: "source", DSN: source, From: "the demo"},
		Target: dbconn.Endpoint{Role: "target", DSN: dev.DSN("shop"), From: "the demo"},
		Config: cfg, Getenv: getenv, Version: version(), Observer: c.env.observer(),
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
	if err := c.showTwinFile(ctx, cfg, cfgPath, source, dev, getenv); err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintf(out, "\nBoth servers are still running. Connect with:\n  psql %q   # production\n  psql %q   # the twin\n  psql %q   # the twin restored from its file\nStop them with:\n", prod.DSN("shop"), dev.DSN("shop"), dev.DSN("shop_from_file"))
		for _, s := range servers {
			fmt.Fprintf(out, "  %s\n", s.StopCommand())
		}
	} else {
		fmt.Fprintln(out, "\nThe throwaway servers are removed now; run `pgtwin demo --keep` to look around in them.")
	}
	return nil
}

// showTwinFile dumps the same twin to a file and restores the file into
// a second database on "dev", as a team would hand a twin around.
func (c *demoCmd) showTwinFile(ctx context.Context, cfg *config.Config, cfgPath, source string, dev *pglocal.Cluster, getenv func(string) string) error {
	out := c.env.Stdout
	path := filepath.Join(dev.Dir, "twin.sql.zst")
	fmt.Fprintf(out, "\n$ pgtwin dump --config %s --output %s\n", cfgPath, path)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create the twin file: %w", err)
	}
	defer f.Close()
	counted := &countingWriter{w: f}
	_, m, err := clone.Dump(ctx, clone.DumpOptions{
		Options: clone.Options{
			Source: dbconn.Endpoint{Role: "source", DSN: source, From: "the demo"},
			Config: cfg, Getenv: getenv, Version: version(), Observer: c.env.observer(),
		},
		Output: counted, OutputName: path, Compression: twinfile.Zstd,
	})
	if err != nil {
		return classify(err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the twin file: %w", err)
	}
	fmt.Fprintf(out, "Wrote %s rows of %d tables in %s (zstd), masked with key %s.\n", human.Count(m.Rows), len(m.Counts), human.Bytes(counted.n), m.MaskKeyFingerprint)
	if err := createDatabase(ctx, dev, "shop_from_file"); err != nil {
		return err
	}
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open the twin file: %w", err)
	}
	defer in.Close()
	fmt.Fprintf(out, "\n$ pgtwin restore --input %s --target …/shop_from_file\n", path)
	rep, err := clone.Restore(ctx, clone.RestoreOptions{
		Options: clone.Options{Target: dbconn.Endpoint{Role: "target", DSN: dev.DSN("shop_from_file"), From: "the demo"}, Version: version(), Observer: c.env.observer()},
		Input:   in,
	})
	if err != nil {
		return classify(err)
	}
	fmt.Fprintf(out, "Restored %s rows into shop_from_file on \"dev\" in %.2fs: every checksum checked, no production access and no masking key needed.\n", human.Count(rep.Rows), rep.Seconds)
	same, err := sameRows(ctx, dev.DSN("shop"), dev.DSN("shop_from_file"))
	if err != nil {
		return err
	}
	if !same {
		return errors.New("the users restored from the twin file differ from the twin's: this is a bug in pgtwin; please report it")
	}
	fmt.Fprintln(out, "Its users are the twin's, value for value.")
	return nil
}

// sameRows reports whether two databases hold the same users.
func sameRows(ctx context.Context, a, b string) (bool, error) {
	var sums [2]string
	for i, dsn := range []string{a, b} {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return false, fmt.Errorf("connect to the twin: %w", err)
		}
		err = conn.QueryRow(ctx, "SELECT md5(string_agg(u::text, ',' ORDER BY u.id)) FROM public.users u").Scan(&sums[i])
		conn.Close(ctx)
		if err != nil {
			return false, fmt.Errorf("read the twin's users: %w", err)
		}
	}
	return sums[0] == sums[1], nil
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
