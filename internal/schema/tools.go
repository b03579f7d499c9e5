package schema

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pgtwin/pgtwin/internal/pglocal"
)

// MinMajor is the oldest pg_dump pgtwin uses: Dump relies on --extension,
// which came with PostgreSQL 14.
const MinMajor = 14

// Tools are the pg_dump and pg_restore programs of one PostgreSQL
// installation.
type Tools struct {
	PgDump    string // path of pg_dump
	PgRestore string // path of pg_restore, in the same directory
	Major     int    // major version of pg_dump, e.g. 16
}

// Candidate is a pg_dump that FindTools looked at.
type Candidate struct {
	Path  string // path of pg_dump
	From  string // where the directory came from: "--pg-bin", "$PGTWIN_PG_BIN", "PATH", "pg_config --bindir" or "" (a standard location)
	Major int    // its major version; 0 when it could not be read
	// Problem says why it is unusable apart from its version, e.g. "no
	// pg_restore beside it"; empty when the version was the only problem.
	Problem string
}

func (c Candidate) String() string {
	switch {
	case c.Major == 0:
		return fmt.Sprintf("%s (%s)", c.Path, c.Problem)
	case c.Problem != "":
		return fmt.Sprintf("pg_dump %d (%s, %s)", c.Major, c.Path, c.Problem)
	default:
		return fmt.Sprintf("pg_dump %d (%s)", c.Major, c.Path)
	}
}

// ToolsError says that no usable pg_dump was found, what would do, and
// what was found instead. The user must act on it: install a PostgreSQL
// client or point --pg-bin at one.
type ToolsError struct {
	ServerMajor int         // major version of the source server; 0 when unknown
	Needed      int         // the oldest pg_dump major that would do
	PgBin       string      // the --pg-bin directory, when one was given
	Found       []Candidate // the programs looked at, in order; empty when no pg_dump exists at all
}

// NotFound reports whether no pg_dump program was found at all (as opposed
// to only unusable ones).
func (e *ToolsError) NotFound() bool { return len(e.Found) == 0 }

func (e *ToolsError) Error() string {
	if e.NotFound() {
		if e.PgBin != "" {
			return fmt.Sprintf("pg_dump not found in --pg-bin directory %s: point --pg-bin at the bin directory of a PostgreSQL %d (or newer) client", e.PgBin, e.Needed)
		}
		return fmt.Sprintf("pg_dump not found: install the PostgreSQL client (Debian/Ubuntu: apt-get install postgresql-client-%d) or pass --pg-bin", e.Needed)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pg_dump %d or newer is needed", e.Needed)
	switch {
	case e.ServerMajor == e.Needed:
		fmt.Fprintf(&b, " for this PostgreSQL %d server", e.ServerMajor)
	case e.ServerMajor > 0:
		fmt.Fprintf(&b, " (pgtwin needs %d+; this server is PostgreSQL %d)", MinMajor, e.ServerMajor)
	}
	b.WriteString(", found: ")
	for i, c := range e.Found {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	fmt.Fprintf(&b, "; install postgresql-client-%d (apt: https://wiki.postgresql.org/wiki/Apt) or point --pg-bin at its bin directory", e.Needed)
	return b.String()
}

// systemBinDirs are the standard places of PostgreSQL installations, looked
// at after the ones the user names; a variable for tests.
var systemBinDirs = func() []string {
	return append(pglocal.DebianBinDirs(), "/usr/local/pgsql/bin")
}

// FindTools finds a pg_dump (and the pg_restore beside it) that can dump a
// server of major version serverMajor (0 when unknown): pg_dump refuses
// servers newer than itself.
//
// With explicitDir (the --pg-bin flag) only that directory is considered.
// Otherwise the candidates are, in order: $PGTWIN_PG_BIN, pg_dump on $PATH,
// `pg_config --bindir`, /usr/lib/postgresql/*/bin (newest first) and
// /usr/local/pgsql/bin; the first whose pg_dump is new enough wins. Debian's
// pg_wrapper (/usr/bin/pg_dump is a link to it) is passed over in favour of
// the versioned directories it would choose from, because its choice can
// depend on the environment. getenv is os.Getenv outside tests.
//
// When none will do, the error is a *ToolsError.
func FindTools(serverMajor int, explicitDir string, getenv func(string) string) (Tools, error) {
	needed := max(serverMajor, MinMajor)
	type dir struct{ path, from string }
	var dirs []dir
	if explicitDir != "" {
		dirs = append(dirs, dir{explicitDir, "--pg-bin"})
	} else {
		if d := getenv("PGTWIN_PG_BIN"); d != "" {
			dirs = append(dirs, dir{d, "$PGTWIN_PG_BIN"})
		}
		if p := lookPath("pg_dump", getenv("PATH")); p != "" && !isPgWrapper(p) {
			dirs = append(dirs, dir{filepath.Dir(p), "PATH"})
		}
		if p := lookPath("pg_config", getenv("PATH")); p != "" {
			if out, err := output(p, "--bindir"); err == nil && strings.TrimSpace(out) != "" {
				dirs = append(dirs, dir{strings.TrimSpace(out), "pg_config --bindir"})
			}
		}
		for _, d := range systemBinDirs() {
			dirs = append(dirs, dir{d, ""})
		}
	}

	tErr := &ToolsError{ServerMajor: serverMajor, Needed: needed}
	if explicitDir != "" {
		tErr.PgBin = explicitDir
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		clean := filepath.Clean(d.path)
		if seen[clean] {
			continue
		}
		seen[clean] = true
		pgDump := filepath.Join(clean, "pg_dump")
		if !isExecutable(pgDump) {
			continue
		}
		c := Candidate{Path: pgDump, From: d.from}
		out, err := output(pgDump, "--version")
		if err == nil {
			c.Major, err = pglocal.ParseMajor(out)
		}
		if err != nil {
			c.Major, c.Problem = 0, "version unknown: "+err.Error()
			tErr.Found = append(tErr.Found, c)
			continue
		}
		pgRestore := filepath.Join(clean, "pg_restore")
		if !isExecutable(pgRestore) {
			c.Problem = "no pg_restore beside it"
			tErr.Found = append(tErr.Found, c)
			continue
		}
		if c.Major < needed {
			tErr.Found = append(tErr.Found, c)
			continue
		}
		return Tools{PgDump: pgDump, PgRestore: pgRestore, Major: c.Major}, nil
	}
	return Tools{}, tErr
}

// lookPath is exec.LookPath over the given PATH value.
func lookPath(name, path string) string {
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// isPgWrapper reports whether p is (a link to) Debian's pg_wrapper.
func isPgWrapper(p string) bool {
	real, err := filepath.EvalSymlinks(p)
	return err == nil && filepath.Base(real) == "pg_wrapper"
}

// output runs a program briefly (a --version query) and returns its stdout.
func output(prog string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", fmt.Errorf("%s %s: %w", filepath.Base(prog), strings.Join(args, " "), err)
		}
		return "", fmt.Errorf("%s %s: %w: %s", filepath.Base(prog), strings.Join(args, " "), err, msg)
	}
	return string(out), nil
}

// String describes the tools for messages: "pg_dump 16 (/usr/lib/postgresql/16/bin)".
func (t Tools) String() string {
	return "pg_dump " + strconv.Itoa(t.Major) + " (" + filepath.Dir(t.PgDump) + ")"
}
