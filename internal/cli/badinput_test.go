package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgtwin/pgtwin/internal/demo"
	"github.com/pgtwin/pgtwin/internal/pglocal"
)

// result is what a pgtwin process did.
type result struct {
	code           int
	stdout, stderr string
}

// runPgtwin runs the built pgtwin (this test binary under the name pgtwin,
// see TestMain) with args, in an environment without the variables pgtwin
// would pick connections up from, plus env ("NAME=value").
func runPgtwin(t *testing.T, env []string, args ...string) result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := &exec.Cmd{Path: exe, Args: append([]string{"pgtwin"}, args...), Stdout: &stdout, Stderr: &stderr}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PG") && name != "PGTWIN_MASK_KEY" || strings.HasSuffix(name, "_DATABASE_URL") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("pgtwin %s did not exit in time:\n%s", strings.Join(args, " "), stderr.String())
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return r
}

// oneLine checks that stderr is exactly one line and matches re.
func (r result) oneLine(t *testing.T, re string) {
	t.Helper()
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr is not one line:\n%s", r.stderr)
	}
	if line := withoutDocHint(strings.TrimSuffix(r.stderr, "\n")); !regexp.MustCompile(re).MatchString(line) {
		t.Errorf("stderr:\n  %s\nwant it to match\n  %s", line, re)
	}
}

// TestBadInput: every mistake a user can make in the command line, the
// config or the databases it names makes pgtwin say, in exactly one line,
// what is wrong and what to do, exit with the documented code (2 when the
// input must change and nothing was tried on the target; 1 when the input
// may be fine but a server could not be reached or refused the work, see
// docs/troubleshooting.md), and leave the target exactly as it was.
func TestBadInput(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs real pgtwin processes and a server")
	}
	ctx := context.Background()
	const pw = "bad-input-secret"
	cl, err := pglocal.Start(ctx, pglocal.Options{TCP: true, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Stop() })
	admin := cl.DSN("postgres")
	for _, sql := range []string{
		"CREATE DATABASE shop", "CREATE DATABASE twin", "CREATE DATABASE locked", "CREATE DATABASE readonly",
		"ALTER DATABASE readonly SET default_transaction_read_only = on",
		"CREATE ROLE app LOGIN PASSWORD '" + pw + "'",
	} {
		exec1(t, admin, sql)
	}
	createShop(t, cl.DSN("shop"))
	tcp := func(user, password, db string) string {
		return fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=%s sslmode=disable", cl.Port, user, password, db)
	}
	src, tgt := tcp("postgres", pw, "shop"), tcp("postgres", pw, "twin")
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("twin.yaml", string(demo.Config))
	cloneOK(t, src, tgt, good)

	// A port nothing listens on, and one that accepts and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().(*net.TCPAddr).Port
	l.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	silentPort := silent.Addr().(*net.TCPAddr).Port

	const where = `(source|target) database \S+@127\.0\.0\.1:\d+/\w+ \(from --(source|target)\): `
	for _, tc := range []struct {
		name     string
		src, tgt string // default: the good source and target
		config   string // config text; default: the demo's
		args     []string
		code     int
		want     string // stderr, one line
		target   string // the database that must not change; default twin
	}{
		// Connections: exit 1 when the server is not reached or refuses
		// the login, 2 when the string itself is wrong.
		{name: "unknown host", src: "host=no-such-host.invalid user=postgres dbname=shop", code: 1,
			want: `^pgtwin: source database postgres@no-such-host\.invalid:5432/shop \(from --source\): host "no-such-host\.invalid" not found: check the host name in --source$`},
		{name: "refused port", src: fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=shop", refused), code: 1,
			want: `^pgtwin: ` + where + `connection refused: is the server running and accepting connections on that host and port\?$`},
		{name: "timeout", tgt: fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=twin connect_timeout=1", silentPort), code: 1,
			want: `^pgtwin: ` + where + `connection timed out: check the host, port and firewall, or raise connect_timeout$`},
		{name: "wrong password", src: tcp("postgres", "not-"+pw, "shop"), code: 1,
			want: `^pgtwin: ` + where + `password authentication failed for user "postgres": check the password in --source or ~/\.pgpass$`},
		{name: "wrong password for the target", tgt: tcp("postgres", "not-"+pw, "twin"), code: 1,
			want: `^pgtwin: ` + where + `password authentication failed for user "postgres": check the password in --target or ~/\.pgpass$`},
		{name: "unknown database", tgt: tcp("postgres", pw, "nope"), code: 1,
			want: `^pgtwin: ` + where + `database "nope" does not exist on that server: check the database name in --target$`},
		{name: "SSL required, server without SSL", src: strings.Replace(src, "sslmode=disable", "sslmode=require", 1), code: 1,
			want: `^pgtwin: ` + where + `the server does not support SSL: use sslmode=prefer or sslmode=disable$`},
		{name: "SSL root certificate missing", src: strings.Replace(src, "sslmode=disable", "sslmode=verify-full sslrootcert=/nonexistent/root.crt", 1), code: 2,
			want: `^pgtwin: source connection string from --source is not valid: failed to configure TLS \(unable to read CA file: open /nonexistent/root\.crt: no such file or directory\)$`},
		{name: "malformed URL", src: "postgres://postgres:" + pw + "@127.0.0.1:notaport/shop", code: 2,
			want: `^pgtwin: source connection string from --source is not valid: invalid port$`},
		{name: "unknown sslmode", tgt: tgt + " sslmode=sometimes", code: 2,
			want: `^pgtwin: target connection string from --target is not valid: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full$`},
		{name: "no source", src: "-", code: 2,
			want: `^pgtwin: no source database: pass --source URL or set \$PROD_DATABASE_URL \(a postgres:// URL or a keyword/value string\)$`},

		// The config: exit 2.
		{name: "malformed YAML", config: "version: 1\nroots: [\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:2: YAML syntax: did not find expected node content; check the indentation, quotes and brackets there$`},
		{name: "unknown key", config: "version: 1\nroots:\n  - table: users\n    wher: id = 1\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:4: roots\[0\]\.wher: unknown key; did you mean where\?$`},
		{name: "wrong version", config: "version: 2\n", code: 2, want: `^pgtwin: .*twin\.yaml:1: version 2 is not supported; this pgtwin reads version 1$`},
		{name: "unknown table", config: "version: 1\nroots:\n  - table: user\n    all: true\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:3: roots\[0\]\.table: table "user" does not exist; did you mean users\?$`},
		{name: "unknown column", config: "version: 1\nroots:\n  - table: users\n    where: nme = 'x'\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:4: roots\[0\]\.where: column "nme" does not exist \(at character 1: "nme = 'x'"\); hint: Perhaps you meant to reference the column "users\.name"\.$`},
		{name: "WHERE with a syntax error", config: "version: 1\nroots:\n  - table: users\n    where: id = = 1\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:4: roots\[0\]\.where: syntax error at or near "=" \(at character 6: "= 1"\)$`},
		{name: "WHERE with a second statement", config: "version: 1\nroots:\n  - table: users\n    where: id = 1; DROP TABLE users\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:4: roots\[0\]\.where: found ';' at character 7; give one SQL expression, not statements$`},
		{name: "WHERE that writes", config: "version: 1\nroots:\n  - table: users\n    where: id = nextval('users_id_seq')\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:4: roots\[0\]\.where: cannot execute nextval\(\) in a read-only transaction; a fragment may only read \(pgtwin never writes to the source\)$`},
		{name: "negative limit", config: "version: 1\nroots:\n  - table: users\n    order_by: id\n    limit: -1\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:5: roots\[0\]\.limit: must be 0 or more, got -1$`},
		{name: "non-numeric limit", config: "version: 1\nroots:\n  - table: users\n    order_by: id\n    limit: ten\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:5: roots\[0\]\.limit: must be a whole number, got "ten"$`},
		{name: "negative percent", config: "version: 1\nroots:\n  - table: users\n    percent: -5\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:4: roots\[0\]\.percent: must be more than 0 and at most 100, got -5$`},
		{name: "non-numeric percent", config: "version: 1\nroots:\n  - table: users\n    percent: lots\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:4: roots\[0\]\.percent: must be a number, got "lots"$`},
		{name: "virtual FK with mismatched types", config: "version: 1\nvirtual_foreign_keys:\n  - table: orders\n    columns: [status]\n    references: users\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:4: virtual_foreign_keys\[0\]\.columns: column public\.orders\.status is text but public\.users\.id is bigint; the types must match$`},
		{name: "cut on a NOT NULL key", config: "version: 1\nforeign_keys:\n  - table: orders\n    columns: [user_id]\n    cut: true\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:5: foreign_keys\[0\]\.cut: foreign key orders_user_id_fkey \(public\.orders\(user_id\) -> public\.users\(id\)\) has NOT NULL columns \(user_id\); cut needs a nullable key$`},
		{name: "root in an excluded schema", config: "version: 1\nschemas:\n  exclude: [public]\nroots:\n  - table: users\n    all: true\n", code: 2,
			want: `^pgtwin: .*twin\.yaml:5: roots\[0\]\.table: table users is in schema public, which is excluded \(schemas\.exclude\)$`},

		// Targets pgtwin may not or cannot write.
		{name: "target without CREATE privilege", tgt: tcp("app", pw, "locked"), target: "locked", code: 1,
			want: `^pgtwin: replace schemas: ERROR: must be owner of schema public \(SQLSTATE 42501\): the target role must own the target database \(and the schemas pgtwin replaces\) or be able to create schemas there$`},
		{name: "read-only target", tgt: tcp("postgres", pw, "readonly"), target: "readonly", code: 2,
			want: `^pgtwin: the target postgres@127\.0\.0\.1:\d+/readonly is read-only \(default_transaction_read_only is on\): refusing to override it; check the target URL, or turn the setting off for that database or role if it is meant to be a twin$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, g := src, tgt
			if tc.src != "" {
				s = tc.src
			}
			if tc.tgt != "" {
				g = tc.tgt
			}
			cfg := good
			if tc.config != "" {
				cfg = write("twin.yaml", tc.config)
				t.Cleanup(func() { write("twin.yaml", string(demo.Config)) })
			}
			watched := tcp("postgres", pw, "twin")
			if tc.target != "" {
				watched = tcp("postgres", pw, tc.target)
			}
			before := stateOf(t, watched)
			args := []string{"clone", "--quiet", "--config", cfg, "--target", g}
			if s != "-" {
				args = append(args, "--source", s)
			}
			r := runPgtwin(t, nil, append(args, tc.args...)...)
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d", r.code, tc.code)
			}
			r.oneLine(t, tc.want)
			if strings.Contains(r.stderr, pw) {
				t.Errorf("stderr holds the password")
			}
			assertUnchanged(t, watched, before)
		})
	}
}
