package cli_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgtwin/pgtwin/internal/cli"
	"github.com/pgtwin/pgtwin/internal/pglocal"
)

// secretPassword needs escaping in every form of connection string: a
// space, @, /, ', \ and % (and it is long enough not to be found by chance).
const secretPassword = `tw1n S3cret@/'x\%y`

// secretForms are the ways secretPassword (or another password) can be
// written: as it is, percent-encoded in a URL's user info, path or query,
// and backslash-escaped in a quoted keyword value.
func secretForms(pw string) []string {
	return []string{pw, url.PathEscape(pw), url.QueryEscape(pw), url.UserPassword("", pw).String()[1:],
		strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw)}
}

// TestSecrets: a password given in a URL's user info, in a URL's password
// parameter, in a keyword/value string or in $PGPASSWORD appears in none of
// pgtwin's outputs — stdout, stderr (errors and log lines), --json reports,
// the config init writes, the marker in the target's pgtwin.runs, and what
// a panic prints — for runs that work (init, plan, clone, verify) and runs
// that fail (a wrong password, a bad SQL fragment in the config, a target
// refused as the source itself, a panic).
func TestSecrets(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real pgtwin processes and a server")
	}
	ctx := context.Background()
	cl, err := pglocal.Start(ctx, pglocal.Options{TCP: true, Password: secretPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Stop() })
	exec1(t, cl.DSN("postgres"), "CREATE DATABASE shop")
	exec1(t, cl.DSN("postgres"), "CREATE DATABASE twin")
	createShop(t, cl.DSN("shop"))
	dir := t.TempDir()
	cfg := shopConfig(t)
	badCfg := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badCfg, []byte("version: 1\nroots:\n  - table: users\n    where: nme = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Each form gives the two connection strings and the environment.
	type form struct {
		name     string
		src, tgt string
		env      []string
	}
	forms := func(pw string) []form {
		u := func(db string) string {
			return (&url.URL{Scheme: "postgres", User: url.UserPassword("postgres", pw), Host: fmt.Sprintf("127.0.0.1:%d", cl.Port), Path: "/" + db, RawQuery: "sslmode=disable"}).String()
		}
		q := func(db string) string {
			// libpq (and pgx) read a + in a URL as a +, not a space.
			return fmt.Sprintf("postgresql://postgres@127.0.0.1:%d/%s?password=%s&sslmode=disable", cl.Port, db, url.PathEscape(pw))
		}
		kw := func(db, pw string) string {
			s := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable", cl.Port, db)
			if pw != "" {
				s += " password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw) + "'"
			}
			return s
		}
		return []form{
			{"URL user info", u("shop"), u("twin"), nil},
			{"URL parameter", q("shop"), q("twin"), nil},
			{"keyword/value", kw("shop", pw), kw("twin", pw), nil},
			{"PGPASSWORD", kw("shop", ""), kw("twin", ""), []string{"PGPASSWORD=" + pw}},
		}
	}
	check := func(t *testing.T, what, text string, pws ...string) {
		t.Helper()
		for _, pw := range pws {
			for _, f := range secretForms(pw) {
				if strings.Contains(text, f) {
					t.Errorf("%s holds the password (as %q):\n%s", what, f, text)
				}
			}
		}
	}
	run := func(t *testing.T, f form, wantCode int, args ...string) result {
		t.Helper()
		r := runPgtwin(t, f.env, args...)
		if r.code != wantCode {
			t.Errorf("pgtwin %s: exit code %d, want %d\n%s", args[0], r.code, wantCode, r.stderr)
		}
		check(t, "stdout of pgtwin "+args[0], r.stdout, secretPassword)
		check(t, "stderr of pgtwin "+args[0], r.stderr, secretPassword)
		return r
	}

	for _, f := range forms(secretPassword) {
		t.Run(f.name, func(t *testing.T) {
			// Runs that work.
			out := filepath.Join(t.TempDir(), "init.yaml")
			run(t, f, cli.ExitOK, "init", "--source", f.src, "--output", out)
			written, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "init's config", string(written), secretPassword)
			run(t, f, cli.ExitOK, "init", "--source", f.src)
			run(t, f, cli.ExitOK, "plan", "--config", cfg, "--source", f.src)
			run(t, f, cli.ExitOK, "plan", "--config", cfg, "--source", f.src, "--json")
			run(t, f, cli.ExitOK, "plan", "--config", cfg, "--source", f.src, "--log-level", "debug")
			run(t, f, cli.ExitOK, "clone", "--config", cfg, "--source", f.src, "--target", f.tgt)
			run(t, f, cli.ExitOK, "clone", "--config", cfg, "--source", f.src, "--target", f.tgt, "--json")
			run(t, f, cli.ExitOK, "verify", "--target", f.tgt)
			run(t, f, cli.ExitOK, "verify", "--target", f.tgt, "--json")
			// The same through the default environment variables.
			env := append(f.env, "PROD_DATABASE_URL="+f.src, "DEV_DATABASE_URL="+f.tgt)
			run(t, form{env: env}, cli.ExitOK, "clone", "--config", cfg)

			// Runs that fail.
			r := run(t, f, cli.ExitUsage, "plan", "--config", badCfg, "--source", f.src)
			r.oneLine(t, `^pgtwin: .*bad\.yaml:4: roots\[0\]\.where: column "nme" does not exist`)
			r = run(t, f, cli.ExitUsage, "clone", "--quiet", "--config", cfg, "--source", f.src, "--target", f.src)
			r.oneLine(t, `is the source database itself`)
			r = run(t, form{env: env}, cli.ExitFailure, "clone", "--quiet", "--config", cfg, "--pg-bin", t.TempDir())
			r.oneLine(t, `^pgtwin: pg_dump not found in --pg-bin directory`)
			// A panic (as the first phase starts), with the connection strings in
			// its value.
			panicked := append(env, panicEnv+"=1")
			r = run(t, form{env: panicked}, cli.ExitFailure, "clone", "--quiet", "--config", cfg, "--source", f.src, "--target", f.tgt)
			if !strings.HasPrefix(r.stderr, "pgtwin: internal error: PGTWIN_TEST_PANIC: args ") || !strings.Contains(r.stderr, "please report it") {
				t.Errorf("a panic printed:\n%s", r.stderr)
			}
		})
	}

	wrong := "not-" + secretPassword
	for _, f := range forms(wrong) {
		t.Run(f.name+", wrong password", func(t *testing.T) {
			for _, args := range [][]string{
				{"init", "--source", f.src},
				{"plan", "--config", cfg, "--source", f.src},
				{"clone", "--quiet", "--config", cfg, "--source", f.src, "--target", f.tgt},
				{"verify", "--target", f.tgt},
			} {
				r := run(t, f, cli.ExitFailure, args...)
				check(t, "stderr", r.stderr, wrong)
				r.oneLine(t, `^pgtwin: (source|target) database postgres@127\.0\.0\.1:\d+/(shop|twin) \(from --(source|target)\): password authentication failed for user "postgres": check the password in --(source|target) or ~/\.pgpass$`)
			}
		})
	}

	// The marker the runs left.
	conn, err := pgx.Connect(ctx, cl.DSN("twin"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var runs string
	if err := conn.QueryRow(ctx, "SELECT count(*) || ' ' || coalesce(string_agg(r::text, E'\\n'), '') FROM pgtwin.runs r").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(runs, "12 ") {
		t.Errorf("pgtwin.runs holds %s rows, want 12 (three clones a form)", strings.SplitN(runs, " ", 2)[0])
	}
	check(t, "pgtwin.runs", runs, secretPassword)
}
