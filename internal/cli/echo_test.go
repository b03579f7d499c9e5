package cli_test

import (
	"strings"
	"testing"
)

// TestEchoedArgumentsRedacted: a keyword/value connection string left
// unquoted in the shell reaches pgtwin as several arguments, one of them
// password=…; pgtwin's usage errors echo arguments, and none may show the
// password. The message says how to pass the string instead.
func TestEchoedArgumentsRedacted(t *testing.T) {
	t.Parallel()
	const pw = "s3cret-echo"
	for _, tc := range []struct {
		name string
		args []string
		want string // a regexp for the one line of stderr
	}{{
		name: "unquoted source, password last",
		args: []string{"clone", "--source", "host=h", "port=5432", "password=" + pw},
		want: `^pgtwin: pgtwin clone takes no arguments, got "port=5432": .*quote the connection string`,
	}, {
		name: "unquoted source, password first",
		args: []string{"clone", "--source", "host=h", "password=" + pw, "port=5432"},
		want: `^pgtwin: pgtwin clone takes no arguments, got "xxxxx": .*quote the connection string`,
	}, {
		name: "unquoted target of plan",
		args: []string{"plan", "--source", "dbname=x", "password=" + pw},
		want: `^pgtwin: pgtwin plan takes no arguments, got "xxxxx"`,
	}, {
		name: "init",
		args: []string{"init", "--source", "host=h", "password='" + pw + "'"},
		want: `^pgtwin: pgtwin init takes no arguments, got "xxxxx"`,
	}, {
		name: "no command",
		args: []string{"password=" + pw, "host=h"},
		want: `^pgtwin: unknown command "xxxxx" for "pgtwin"`,
	}, {
		name: "URL as a command",
		args: []string{"postgres://u:" + pw + "@h/db"},
		want: `^pgtwin: unknown command "xxxxx" for "pgtwin"`,
	}, {
		name: "as a flag's value",
		args: []string{"clone", "--max-rows", "password=" + pw},
		want: `^pgtwin: invalid argument "xxxxx" for "--max-rows" flag`,
	}, {
		name: "as a flag",
		args: []string{"clone", "--password=" + pw},
		want: `^pgtwin: unknown flag: --password`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runPgtwin(t, nil, tc.args...)
			if r.code != 2 {
				t.Errorf("exit code %d, want 2\n%s", r.code, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, pw) {
				t.Errorf("the password is in pgtwin's output:\n%s%s", r.stdout, r.stderr)
			}
			r.oneLine(t, tc.want)
		})
	}
}
